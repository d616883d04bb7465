// Public surface of the MSRP stack (RFC 4975 / 4976 / 6135 / 6714 / 7701): see docs/msrp.md.
export { ParleyError, isParleyError } from '../../base/errors';
export {
  parseMsrpUri,
  tryParseMsrpUri,
  formatMsrpUri,
  msrpUriEquals,
  newSessionId,
  makeLocalUri,
  parsePath,
  formatPath,
  MSRP_DEFAULT_PORT,
} from './uri';
export type { MsrpUri, MsrpScheme } from './uri';
export { getHeader, parseByteRange, formatByteRange, STATUS_TEXT, reasonPhrase, newTransactionId, newMessageId } from './message';
export type { MsrpFrame, MsrpFrameHead, Header, ByteRange, ContinuationFlag, FailureReportMode } from './message';
export { serializeRequest, serializeRequestParts, serializeResponse } from './serializer';
export { MsrpParser, parseFrames, DEFAULT_PARSER_LIMITS } from './parser';
export type { ParserEvent, ParserLimits } from './parser';
export { Chunker, chunkBody, DEFAULT_CHUNK_SIZE } from './chunker';
export { Reassembler, MemorySink, DEFAULT_REASSEMBLY_OPTIONS } from './reassembly';
export type { MessageSink, IncomingMessageInfo } from './reassembly';
export { TRANSACTION_TIMEOUT_MS } from './transactions';
export { FakeClock, systemClock, type Clock } from '../../base/clock';
export type { TransactionResult } from './transactions';
export { MsrpSession, OutgoingMessage } from './session';
export type { MsrpSessionOptions, OutgoingOptions, SessionEvent } from './session';
export { MsrpDemux } from './demux';
export { negotiateSetup, answerSetup } from './setup';
export type { SetupAttr, ConnectionRole } from './setup';
