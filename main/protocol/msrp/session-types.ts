// Options, events and helpers of the MSRP session endpoint (RFC 4975 s.7, RFC 6714, RFC 7701).
import type { ByteRange, FailureReportMode, Header } from './message';
import type { ParserLimits } from './parser';
import type { Chunker, OutgoingChunk } from './chunker';
import type { IncomingMessageInfo, MessageSink } from './reassembly';
import type { ReportProgress } from './reports';
import type { Clock } from '../../base/clock';
import { parsePath, type MsrpUri } from './uri';
import type { ParleyError } from '../../base/errors';

export interface MsrpSessionOptions {
  /** Our URI (the last URI of our a=path). */
  localUri: string | MsrpUri;
  /** Outgoing To-Path: our relays' Use-Path URIs (if any), then the peer's a=path URIs; the last is the peer. */
  toPath: (string | MsrpUri)[];
  /** RFC 6714: when msrp-cema was negotiated, match To-Path/From-Path on session-id only. */
  cema?: boolean;
  /** Check that the last From-Path URI of incoming requests is the peer (481 otherwise). Default true. */
  checkFromPath?: boolean;
  chunkSize?: number;
  /** The peer's a=max-size: larger messages are refused locally (MSRP_MESSAGE_TOO_LARGE) or interrupted with '#'. */
  remoteMaxSize?: number;
  /** Our a=accept-types ('*' and 'type/*' wildcards allowed). Default ['*']. */
  acceptTypes?: string[];
  maxMessageBytes?: number;
  maxOpenMessages?: number;
  /** Bytes incomplete in-memory messages may keep together (default 64 MiB; reassembly.ts). */
  maxSessionBytes?: number;
  createSink?: (info: IncomingMessageInfo) => MessageSink;
  parserLimits?: Partial<ParserLimits>;
  clock?: Clock;
  transactionTimeoutMs?: number;
}

export interface OutgoingOptions {
  contentType: string;
  messageId?: string;
  successReport?: boolean; // default false (s.7.1.2)
  failureReport?: FailureReportMode; // default 'yes'
  headers?: Header[]; // extra MIME headers (e.g. Content-Disposition), placed before Content-Type
}

export type SessionEvent =
  | { type: 'message'; messageId: string; contentType?: string; totalBytes: number; body?: Buffer; sink: MessageSink; headers: Header[] }
  | { type: 'chunk'; messageId: string; receivedBytes: number; totalBytes?: number }
  | { type: 'aborted'; messageId: string }
  | { type: 'sent'; messageId: string }
  | { type: 'sendFailed'; messageId: string; status: number; comment?: string; local: boolean }
  | { type: 'progress'; messageId: string; confirmedBytes: number; totalBytes?: number }
  | { type: 'delivered'; messageId: string }
  | { type: 'report'; messageId: string; status: number; comment?: string; byteRange?: ByteRange }
  /** The peer's empty binding SEND arrived: the path to us works. */
  | { type: 'bound' }
  | { type: 'nickname'; nickname: string; respond: (status: number, comment?: string) => void }
  /** A request was refused with this status (informational) or a fatal connection error (fatal: close the connection). */
  | { type: 'error'; error: ParleyError; fatal: boolean }
  /** The session ended (close(): its connection went away or the owner closed it); the last event of a session. */
  | { type: 'closed'; reason: ParleyError };

export type Writer = (parts: Buffer[]) => void;

/** Puts a message's next chunks on the wire (the session's side of OutgoingMessage). */
export type ChunkSender = (st: OutState, chunks: OutgoingChunk[]) => void;

export interface OutState {
  messageId: string;
  chunker: Chunker;
  opts: OutgoingOptions;
  outstanding: number;
  ended: boolean;
  busy: boolean; // inside sendChunks: a synchronous peer's 200 must not complete the message early
  failed: boolean;
  progress: ReportProgress;
}

/** Paths repeat on every chunk of a session: remember the last parse of each header value. */
/** Pauses and resumes reading of the connection a session receives on. */
export interface InputFlow {
  pause(): void;
  resume(): void;
}

/**
 * Nested holds on a session's input: the connection stops reading while any hold is open (bounded memory for consumers
 * slower than the network, e.g. decryption). The connection is shared, so other sessions on it wait too.
 */
export class InputHolds {
  private flow: InputFlow | undefined;
  private holds = 0;
  setFlow(f: InputFlow | undefined): void {
    if (this.holds > 0) this.flow?.resume();
    this.flow = f;
    if (this.holds > 0) this.flow?.pause();
  }
  hold(): () => void {
    if (this.holds++ === 0) this.flow?.pause();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (--this.holds === 0) this.flow?.resume();
    };
  }
}

export class PathCache {
  private key = '';
  private value: MsrpUri[] = [];
  get(text: string): MsrpUri[] {
    if (text !== this.key || this.value.length === 0) {
      this.value = parsePath(text); // throws on bad input; the cache keeps the previous good entry
      this.key = text;
    }
    return this.value;
  }
}

export function typeMatches(accept: string[], contentType: string): boolean {
  const t = contentType.split(';')[0].trim().toLowerCase();
  const [maj] = t.split('/');
  return accept.some((a) => {
    const x = a.trim().toLowerCase();
    return x === '*' || x === t || x === `${maj}/*`;
  });
}
