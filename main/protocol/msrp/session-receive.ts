// Receiving one SEND of an MSRP session (RFC 4975 s.7.3): header checks, accept-types (415), chunk reassembly, the
// responses allowed by Failure-Report, the message/chunk/aborted/bound events and the Success-Report (s.7.1.2).
import { ParleyError, type ErrorCode } from '../../base/errors';
import type { ByteRange, ContinuationFlag, FailureReportMode, MsrpFrameHead } from './message';
import { getHeader, parseByteRange, parseFailureReport, parseSuccessReport } from './message';
import type { ChunkReceiver, Reassembler } from './reassembly';
import { responseAllowed } from './reports';
import { typeMatches, type SessionEvent } from './session-types';

/** What the session does with the frames of one incoming request. */
export interface IncomingFrame {
  data(b: Buffer): void;
  end(flag: ContinuationFlag): void;
}

export const IGNORE: IncomingFrame = { data() {}, end() {} };

export interface ReceiveContext {
  reassembler: Reassembler;
  acceptTypes: string[];
  /** The last Content-Type seen and whether it was accepted (chunks of a session repeat it). */
  typeCache: { type: string; ok: boolean };
  /** Answers this SEND (to the first From-Path hop). */
  respond(status: number): void;
  /** Reports a refused request (non-fatal). */
  refuse(code: ErrorCode, message: string): void;
  emit(e: SessionEvent): void;
  /** Sends the Success-Report of a complete message. */
  /** `settled`: the sink's promise when it is still at work (the report waits for it; a failed sink sends none). */
  successReport(messageId: string, totalBytes: number, settled?: Promise<unknown>): void;
}

export function receiveSend(head: MsrpFrameHead, ctx: ReceiveContext): IncomingFrame {
  let mode: FailureReportMode;
  let successReport: boolean;
  let range: ByteRange;
  const messageId = getHeader(head.headers, 'Message-ID');
  try {
    mode = parseFailureReport(getHeader(head.headers, 'Failure-Report'));
    successReport = parseSuccessReport(getHeader(head.headers, 'Success-Report'));
    const br = getHeader(head.headers, 'Byte-Range');
    range = br === undefined ? { start: 1, end: '*', total: '*' } : parseByteRange(br);
    if (!messageId) throw new ParleyError('MSRP_BAD_REQUEST', 'SEND without Message-ID');
  } catch (e) {
    ctx.refuse('MSRP_BAD_REQUEST', (e as Error).message);
    ctx.respond(400);
    return IGNORE;
  }
  const reply = (status: number) => {
    if (responseAllowed(mode, status)) ctx.respond(status);
  };
  const contentType = getHeader(head.headers, 'Content-Type');
  if (contentType !== undefined && contentType !== ctx.typeCache.type) {
    ctx.typeCache.type = contentType;
    ctx.typeCache.ok = typeMatches(ctx.acceptTypes, contentType);
  }
  if (contentType !== undefined && !ctx.typeCache.ok) {
    ctx.refuse('MSRP_UNSUPPORTED_TYPE', `Content-Type ${contentType} not accepted`);
    return { data() {}, end: () => reply(415) };
  }
  const rcv: ChunkReceiver = ctx.reassembler.begin({ messageId, contentType }, range);
  return {
    data: (b) => rcv.data(b),
    end: (flag) => {
      const o = rcv.end(flag);
      switch (o.kind) {
        case 'rejected':
          ctx.refuse(o.error.code, o.error.message);
          reply(o.status);
          return;
        case 'aborted':
          reply(200);
          ctx.emit({ type: 'aborted', messageId });
          return;
        case 'duplicate':
          reply(200);
          return;
        case 'incomplete':
          reply(200);
          ctx.emit({ type: 'chunk', messageId, receivedBytes: o.receivedBytes, totalBytes: o.totalBytes });
          return;
        case 'complete':
          reply(200);
          if (o.totalBytes === 0 && o.contentType === undefined) {
            ctx.emit({ type: 'bound' }); // empty binding SEND from the active side (RFC 4975 s.5.4, RFC 6135)
            return;
          }
          ctx.emit({
            type: 'message',
            messageId,
            contentType: o.contentType,
            totalBytes: o.totalBytes,
            body: o.body,
            sink: o.sink,
            headers: head.headers,
          });
          if (successReport) ctx.successReport(messageId, o.totalBytes, o.sink.settled);
      }
    },
  };
}
