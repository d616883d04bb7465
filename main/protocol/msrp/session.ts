// Sans-IO MSRP session endpoint (RFC 4975 s.7, RFC 4976 paths, RFC 6714 CEMA matching, RFC 7701 NICKNAME).
import { ParleyError, type ErrorCode } from '../../base/errors';
import type { ByteRange, Header, MsrpFrameHead } from './message';
import { formatByteRange, getHeader, newMessageId, newTransactionId, parseByteRange, parseStatusHeader } from './message';
import { MsrpParser, type ParserEvent } from './parser';
import { serializeRequestParts, serializeResponse, type RequestSpec } from './serializer';
import { Chunker, DEFAULT_CHUNK_SIZE, type OutgoingChunk } from './chunker';
import { Reassembler } from './reassembly';
import { buildSuccessReport, expectsResponse, ReportProgress } from './reports';
import { TransactionTable, TRANSACTION_TIMEOUT_MS, type TransactionResult } from './transactions';
import { systemClock } from '../../base/clock';
import { formatMsrpUri, formatPath, msrpUriEquals, parseMsrpUri, type MsrpUri } from './uri';
import {
  InputHolds,
  PathCache,
  type InputFlow,
  type MsrpSessionOptions,
  type OutgoingOptions,
  type OutState,
  type SessionEvent,
  type Writer,
} from './session-types';
import { IGNORE, receiveSend, type IncomingFrame } from './session-receive';
import { OutgoingMessage } from './outgoing';

export type { InputFlow, MsrpSessionOptions, OutgoingOptions, SessionEvent } from './session-types';

export { OutgoingMessage } from './outgoing';

/** Outgoing messages tracked for responses/reports per session (oldest forgotten first). */
export const MAX_TRACKED_OUTGOING = 1024;

export class MsrpSession {
  readonly localUri: MsrpUri;
  readonly toPath: MsrpUri[];
  readonly sessionId: string;
  private readonly opts: MsrpSessionOptions;
  private readonly tx: TransactionTable;
  private readonly rx: Reassembler;
  private readonly out = new Map<string, OutState>();
  private writer: Writer | undefined;
  private queued: Buffer[][] = [];
  private parser: MsrpParser | undefined;
  private current: IncomingFrame | undefined;
  private closed = false;
  private readonly toCache = new PathCache();
  private readonly fromCache = new PathCache();
  private readonly typeCache = { type: '', ok: false };
  /** Formatted once: every chunk and response carries them (formatting showed in relay profiles). */
  private readonly localText: string;
  private toPathText = '';
  private toPathKey: MsrpUri[] = [];
  private lastFrom: MsrpUri[] | undefined;
  private lastFromText = '';
  private readonly input = new InputHolds();
  /** Event sink; set by the owner. */
  onEvent: (e: SessionEvent) => void = () => {};

  constructor(opts: MsrpSessionOptions) {
    this.opts = opts;
    this.localUri = typeof opts.localUri === 'string' ? parseMsrpUri(opts.localUri) : opts.localUri;
    if (!this.localUri.sessionId) throw new ParleyError('MSRP_BAD_URI', 'Local MSRP URI needs a session-id');
    this.sessionId = this.localUri.sessionId;
    this.toPath = opts.toPath.map((u) => (typeof u === 'string' ? parseMsrpUri(u) : u));
    if (this.toPath.length === 0) throw new ParleyError('MSRP_BAD_URI', 'Empty To-Path');
    this.localText = formatMsrpUri(this.localUri);
    this.tx = new TransactionTable(opts.clock ?? systemClock, opts.transactionTimeoutMs ?? TRANSACTION_TIMEOUT_MS);
    this.rx = new Reassembler({
      maxMessageBytes: opts.maxMessageBytes,
      maxOpenMessages: opts.maxOpenMessages,
      maxSessionBytes: opts.maxSessionBytes,
      createSink: opts.createSink,
    });
  }

  /** The formatted To-Path, redone only when the path changed (the conference focus re-targets sessions in place). */
  private toPathLine(): string {
    const p = this.toPath;
    if (p.length !== this.toPathKey.length || p.some((u, i) => u !== this.toPathKey[i])) {
      this.toPathKey = [...p];
      this.toPathText = formatPath(p);
    }
    return this.toPathText;
  }

  get peerUri(): MsrpUri {
    return this.toPath[this.toPath.length - 1];
  }

  /** The connection's input switch (set by the transport). */
  setInputFlow(f: InputFlow | undefined): void {
    this.input.setFlow(f);
  }

  /** Stop reading the connection until release() (consumers slower than the network); see InputHolds. */
  holdInput(): () => void {
    return this.input.hold();
  }

  /** Attach the byte writer (a connection); frames sent before are queued and flushed now. */
  setWriter(w: Writer | undefined): void {
    this.writer = w;
    if (w) for (const q of this.queued.splice(0)) w(q);
  }

  // ------------------------------------------------------------------ sending

  /** Send a whole in-memory message; returns its Message-ID. */
  send(msg: OutgoingOptions & { body: Uint8Array }): string {
    const o = this.startMessage({ ...msg }, msg.body.length);
    o.write(msg.body);
    o.end();
    return o.messageId;
  }

  /** Start a streamed message (total may be unknown: Byte-Range totals become '*'). */
  startMessage(opts: OutgoingOptions, totalBytes?: number): OutgoingMessage {
    const max = this.opts.remoteMaxSize;
    if (max !== undefined && totalBytes !== undefined && totalBytes > max) {
      throw new ParleyError('MSRP_MESSAGE_TOO_LARGE', `Message of ${totalBytes} bytes exceeds the peer's a=max-size ${max}`, { max });
    }
    const messageId = opts.messageId ?? newMessageId();
    const st: OutState = {
      messageId,
      chunker: new Chunker(this.opts.chunkSize ?? DEFAULT_CHUNK_SIZE, totalBytes),
      opts,
      outstanding: 0,
      ended: false,
      busy: false,
      failed: false,
      progress: new ReportProgress(totalBytes),
    };
    this.out.set(messageId, st);
    // messages waiting only for a Success-Report that never comes must not accumulate forever
    if (this.out.size > MAX_TRACKED_OUTGOING) this.out.delete(this.out.keys().next().value!);
    return new OutgoingMessage((o, chunks) => this.sendChunks(o, chunks), st);
  }

  /** RFC 4975 s.5.4 / RFC 6135: the active side sends an empty SEND to bind the connection. cb gets the response. */
  sendBindRequest(cb?: (r: TransactionResult) => void): void {
    const spec: RequestSpec = {
      tid: '',
      method: 'SEND',
      toPath: this.toPath,
      fromPath: [this.localUri],
      headers: [
        ['Message-ID', newMessageId()],
        ['Byte-Range', '1-0/0'],
      ],
    };
    this.emitRequest(spec, (r) => cb?.(r));
  }

  /** Send any request (NICKNAME, extension methods); cb gets the response (or a local 408). */
  request(method: string, headers: Header[], cb?: (r: TransactionResult) => void, body?: { contentType: string; data: Uint8Array }): void {
    const spec: RequestSpec = {
      tid: '',
      method,
      toPath: this.toPath,
      fromPath: [this.localUri],
      headers,
      contentType: body?.contentType,
      body: body?.data,
    };
    this.emitRequest(spec, (r) => cb?.(r));
  }

  private sendChunks(st: OutState, chunks: OutgoingChunk[]): void {
    const max = this.opts.remoteMaxSize;
    const over = max === undefined ? -1 : chunks.findIndex((c) => c.byteRange.end !== '*' && c.byteRange.end > max);
    if (over < 0) return this.sendRaw(st, chunks);
    // an unknown total grew past the peer's a=max-size: interrupt with '#' rather than send what it will refuse
    const at = chunks[over].byteRange;
    const stop: OutgoingChunk = { byteRange: { start: at.start, end: at.start - 1, total: at.total }, body: Buffer.alloc(0), flag: '#' };
    this.failOutgoing(st, 413, "Exceeds the peer's a=max-size", true);
    this.sendRaw(st, [...chunks.slice(0, over), stop], true);
  }

  private sendRaw(st: OutState, chunks: OutgoingChunk[], evenIfFailed = false): void {
    st.busy = true;
    for (const c of chunks) {
      if ((st.failed && !evenIfFailed) || this.closed) break;
      const headers: Header[] = [['Message-ID', st.messageId]];
      if (st.opts.successReport) headers.push(['Success-Report', 'yes']);
      const fr = st.opts.failureReport ?? 'yes';
      if (fr !== 'yes') headers.push(['Failure-Report', fr]);
      headers.push(['Byte-Range', formatByteRange(c.byteRange)], ...(st.opts.headers ?? []));
      const spec: RequestSpec = {
        tid: '',
        method: 'SEND',
        toPath: [this.toPathLine()],
        fromPath: [this.localText],
        headers,
        contentType: st.opts.contentType,
        body: c.body,
        flag: c.flag,
      };
      if (expectsResponse(fr)) {
        st.outstanding++;
        this.emitRequest(spec, (r) => this.onChunkResult(st, r));
      } else if (fr === 'partial') {
        // no 200 will come, but a negative response may: listen without a 408 (s.7.1.2)
        this.emitRequest(spec, (r) => r.status !== 200 && this.failOutgoing(st, r.status, r.comment, r.local), true);
      } else this.emitRequest(spec);
    }
    st.busy = false;
    this.maybeSent(st);
  }

  private onChunkResult(st: OutState, r: TransactionResult): void {
    st.outstanding--;
    if (r.status !== 200) {
      this.failOutgoing(st, r.status, r.comment, r.local);
      return;
    }
    this.maybeSent(st);
  }

  private failOutgoing(st: OutState, status: number, comment: string | undefined, local: boolean): void {
    if (st.failed) return;
    st.failed = true;
    this.onEvent({ type: 'sendFailed', messageId: st.messageId, status, comment, local });
    if (!st.opts.successReport) this.out.delete(st.messageId);
  }

  private maybeSent(st: OutState): void {
    if (st.ended && !st.busy && st.outstanding === 0 && !st.failed) {
      st.ended = false; // emit once
      this.onEvent({ type: 'sent', messageId: st.messageId });
      if (!st.opts.successReport) this.out.delete(st.messageId);
    }
  }

  /**
   * Serialize a request (choosing a fresh tid if the body contains the end-line, s.7.1), register its transaction
   * before writing (a synchronous peer may answer inside write), then write it. Returns the tid.
   */
  private emitRequest(spec: RequestSpec, onResult?: (r: TransactionResult) => void, silentTimeout = false): string {
    for (let i = 0; ; i++) {
      const tid = spec.tid && i === 0 ? spec.tid : newTransactionId();
      let parts: Buffer[];
      try {
        parts = serializeRequestParts({ ...spec, tid });
      } catch (e) {
        if (!(e instanceof ParleyError && e.code === 'MSRP_TID_IN_BODY') || i > 8) throw e;
        continue;
      }
      if (onResult) this.tx.start(tid, onResult, silentTimeout);
      this.write(parts);
      return tid;
    }
  }

  private write(parts: Buffer[]): void {
    if (this.closed) return;
    if (this.writer) this.writer(parts);
    else this.queued.push(parts);
  }

  // ------------------------------------------------------------------ receiving

  /** Feed raw bytes when this session owns its connection (otherwise a demux calls receive()). */
  feed(chunk: Uint8Array): void {
    this.parser ??= new MsrpParser(this.opts.parserLimits);
    for (const ev of this.parser.push(chunk)) this.receive(ev);
  }

  /** Handle one parser event. */
  receive(ev: ParserEvent): void {
    if (this.closed) return;
    switch (ev.type) {
      case 'frame': {
        const h = this.onHead(ev.frame);
        if (ev.frame.body && ev.frame.body.length)
          h.data(Buffer.from(ev.frame.body.buffer, ev.frame.body.byteOffset, ev.frame.body.byteLength));
        h.end(ev.frame.flag);
        break;
      }
      case 'frameStart':
        this.current = this.onHead(ev.head);
        break;
      case 'bodyPart':
        this.current?.data(ev.data);
        break;
      case 'frameEnd':
        this.current?.end(ev.flag);
        this.current = undefined;
        break;
      case 'error':
        this.onEvent({ type: 'error', error: ev.error, fatal: true });
        break;
    }
  }

  private uriMatches(a: MsrpUri, b: MsrpUri): boolean {
    // RFC 6714 s.4: with CEMA only the session-id identifies the session (ALGs may rewrite host/port); otherwise s.6.1
    return this.opts.cema ? a.sessionId !== undefined && a.sessionId === b.sessionId : msrpUriEquals(a, b);
  }

  private respond(head: MsrpFrameHead, fromPath: MsrpUri[], status: number, comment?: string): void {
    if (fromPath !== this.lastFrom) {
      this.lastFrom = fromPath; // PathCache hands out the same array while the From-Path text does not change
      this.lastFromText = formatMsrpUri(fromPath[0]);
    }
    this.write([serializeResponse({ tid: head.tid, status, comment, toPath: [this.lastFromText], fromPath: [this.localText] })]);
  }

  private refuse(code: ErrorCode, msg: string): void {
    this.onEvent({ type: 'error', error: new ParleyError(code, msg), fatal: false });
  }

  private onHead(head: MsrpFrameHead): IncomingFrame {
    if (head.kind === 'response') {
      if (!this.tx.handleResponse(head)) this.refuse('MSRP_STRAY_RESPONSE', `No transaction ${head.tid}`);
      return IGNORE;
    }
    let toPath: MsrpUri[];
    let fromPath: MsrpUri[];
    try {
      fromPath = this.fromCache.get(getHeader(head.headers, 'From-Path') ?? '');
    } catch {
      this.refuse('MSRP_BAD_REQUEST', `${head.method} without a valid From-Path: cannot answer`);
      return IGNORE;
    }
    const isReport = head.method === 'REPORT';
    const answer = (status: number, code: ErrorCode, msg: string): IncomingFrame => {
      this.refuse(code, msg);
      if (!isReport) this.respond(head, fromPath, status);
      return IGNORE;
    };
    try {
      toPath = this.toCache.get(getHeader(head.headers, 'To-Path') ?? '');
    } catch {
      return answer(400, 'MSRP_BAD_REQUEST', 'Missing or bad To-Path');
    }
    if (!this.uriMatches(toPath[0], this.localUri))
      return answer(481, 'MSRP_NO_SESSION', `To-Path ${formatMsrpUri(toPath[0])} is not this session`);
    if ((this.opts.checkFromPath ?? true) && !this.uriMatches(fromPath[fromPath.length - 1], this.peerUri)) {
      return answer(481, 'MSRP_NO_SESSION', `From-Path ${formatMsrpUri(fromPath[fromPath.length - 1])} is not this session's peer`);
    }
    switch (head.method) {
      case 'SEND':
        return this.onSend(head, fromPath);
      case 'REPORT':
        this.onReport(head);
        return IGNORE;
      case 'NICKNAME': {
        const nick = getHeader(head.headers, 'Use-Nickname');
        if (nick === undefined) return answer(400, 'MSRP_BAD_REQUEST', 'NICKNAME without Use-Nickname');
        let done = false;
        const respond = (status: number, comment?: string) => {
          if (done) return;
          done = true;
          this.respond(head, fromPath, status, comment);
        };
        this.onEvent({ type: 'nickname', nickname: nick.replace(/^"(.*)"$/, '$1'), respond });
        return IGNORE;
      }
      default:
        return answer(501, 'MSRP_NOT_IMPLEMENTED', `Method ${head.method} not implemented`);
    }
  }

  private onSend(head: MsrpFrameHead, fromPath: MsrpUri[]): IncomingFrame {
    return receiveSend(head, {
      reassembler: this.rx,
      acceptTypes: this.opts.acceptTypes ?? ['*'],
      typeCache: this.typeCache,
      respond: (status) => this.respond(head, fromPath, status),
      refuse: (code, msg) => this.refuse(code, msg),
      emit: (e) => this.onEvent(e),
      successReport: (messageId, totalBytes, settled) => {
        const report = () => {
          if (!this.closed) this.emitRequest(buildSuccessReport({ toPath: fromPath, fromPath: [this.localUri], messageId, totalBytes }));
        };
        // a sink still at work (decrypting, checking) confirms delivery only when it is done; a failed one never does
        if (settled) settled.then(report, () => {});
        else report();
      },
    });
  }

  private onReport(head: MsrpFrameHead): void {
    const messageId = getHeader(head.headers, 'Message-ID');
    const statusV = getHeader(head.headers, 'Status');
    if (!messageId || !statusV) return this.refuse('MSRP_BAD_REQUEST', 'REPORT without Message-ID or Status');
    let status;
    let byteRange: ByteRange | undefined;
    try {
      status = parseStatusHeader(statusV);
      const br = getHeader(head.headers, 'Byte-Range');
      byteRange = br === undefined ? undefined : parseByteRange(br);
    } catch (e) {
      return this.refuse('MSRP_BAD_REQUEST', (e as Error).message);
    }
    this.onEvent({ type: 'report', messageId, status: status.code, comment: status.comment, byteRange });
    const st = this.out.get(messageId);
    if (!st) return;
    if (status.code !== 200) return this.failOutgoing(st, status.code, status.comment, false);
    if (byteRange) {
      const confirmed = st.progress.add(byteRange);
      this.onEvent({ type: 'progress', messageId, confirmedBytes: confirmed, totalBytes: st.progress.totalBytes });
      if (st.progress.complete) {
        this.out.delete(messageId);
        this.onEvent({ type: 'delivered', messageId });
      }
    }
  }

  /** Connection gone or session ended: fail transactions, drop partial messages, then emit 'closed' (once). */
  close(reason = new ParleyError('MSRP_SESSION_CLOSED', 'MSRP session closed')): void {
    if (this.closed) return;
    this.tx.failAll(408, reason.message);
    this.rx.close(reason);
    this.closed = true;
    this.onEvent({ type: 'closed', reason });
  }
}
