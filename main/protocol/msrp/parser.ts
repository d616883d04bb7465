// Incremental MSRP framing parser, bytes in / events out (RFC 4975 s.5.1 framing, s.9 syntax, s.7.1 end-line).
import { ParleyError, type ErrorCode } from '../../base/errors';
import type { ContinuationFlag, Header, MsrpFrame, MsrpFrameHead } from './message';
import { endLinePrefix, findEndLine } from './end-line';

export interface ParserLimits {
  /** Start line + header lines + the blank line, per frame. */
  maxHeaderBytes: number;
  maxHeaders: number;
  /** Body bytes of one SEND chunk (bodies are streamed above bufferBodyBytes, so this is a policy limit, not memory). */
  maxBodyBytes: number;
  /** Bodies of non-SEND requests (s.7.1: MUST NOT exceed 10240 octets). */
  maxNonSendBodyBytes: number;
  /** Frames whose body fits in this many bytes are delivered whole ('frame'); larger ones as frameStart/bodyPart/frameEnd. */
  bufferBodyBytes: number;
}

export const DEFAULT_PARSER_LIMITS: ParserLimits = {
  maxHeaderBytes: 16 * 1024,
  maxHeaders: 64,
  maxBodyBytes: 512 * 1024 * 1024,
  maxNonSendBodyBytes: 10240,
  bufferBodyBytes: 64 * 1024,
};

export type ParserEvent =
  | { type: 'frame'; frame: MsrpFrame }
  | { type: 'frameStart'; head: MsrpFrameHead }
  | { type: 'bodyPart'; tid: string; data: Buffer }
  | { type: 'frameEnd'; tid: string; flag: ContinuationFlag; bodyBytes: number }
  /** Fatal framing error: the parser stops; the connection must be closed. */
  | { type: 'error'; error: ParleyError };

const START_RE = /^MSRP ([A-Za-z0-9][A-Za-z0-9.\-+%=]{3,31}) (?:([A-Z]+)|(\d{3})(?: (.*))?)$/;
const HNAME_RE = /^[A-Za-z][A-Za-z0-9!#$%&'*+\-.^_`|~]*$/;
const EMPTY = Buffer.alloc(0);
const CR = 13;
const LF = 10;

function frameOf(h: MsrpFrameHead, body: Buffer | undefined, flag: ContinuationFlag): MsrpFrame {
  return { tid: h.tid, kind: h.kind, method: h.method, status: h.status, comment: h.comment, headers: h.headers, body, flag };
}

type State = 'start' | 'headers' | 'body' | 'failed';

/**
 * Push Buffer chunks of any size; get events. Never throws: any problem is an 'error' event, after which push() returns [].
 * Body Buffers may be views into the pushed chunks (the parser takes ownership of chunks; do not mutate them afterwards).
 */
export class MsrpParser {
  private readonly limits: ParserLimits;
  private state: State = 'start';
  private headBytes = 0;
  private lineParts: Buffer[] = [];
  private head: MsrpFrameHead | undefined;
  // body scanning
  private pattern = EMPTY; // "\r\n-------<tid>"
  private carry = EMPTY;
  private bodyLen = 0;
  private bodyLimit = 0;
  private parts: Buffer[] = [];
  private bufferedLen = 0;
  private streaming = false;
  private out: ParserEvent[] = [];

  constructor(limits: Partial<ParserLimits> = {}) {
    this.limits = { ...DEFAULT_PARSER_LIMITS, ...limits };
  }

  get failed(): boolean {
    return this.state === 'failed';
  }

  /** True when no frame is partially parsed (a clean point to close the connection). */
  get idle(): boolean {
    return this.state === 'start' && this.headBytes === 0;
  }

  push(chunk: Uint8Array): ParserEvent[] {
    const out: ParserEvent[] = (this.out = []);
    if (this.state === 'failed' || chunk.length === 0) return out;
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    try {
      this.run(buf, 0);
    } catch (e) {
      const err = e instanceof ParleyError ? e : new ParleyError('MSRP_INTERNAL', `Parser failure: ${String(e)}`, undefined, { cause: e });
      this.fail(err);
    }
    return out;
  }

  private run(buf: Buffer, off: number): void {
    while (off < buf.length && this.state !== 'failed') off = this.state === 'body' ? this.body(buf, off) : this.line(buf, off);
  }

  private fail(error: ParleyError): void {
    this.state = 'failed';
    this.parts = [];
    this.lineParts = [];
    this.carry = EMPTY;
    this.out.push({ type: 'error', error });
  }

  private err(code: ErrorCode, msg: string, details?: Record<string, unknown>): never {
    throw new ParleyError(code, msg, details);
  }

  // ---- start line and headers, line by line ----
  private line(buf: Buffer, off: number): number {
    const nl = buf.indexOf(LF, off);
    const end = nl < 0 ? buf.length : nl + 1;
    this.headBytes += end - off;
    if (this.headBytes > this.limits.maxHeaderBytes) {
      this.err('MSRP_HEADERS_TOO_LARGE', `MSRP header block exceeds ${this.limits.maxHeaderBytes} bytes`, {
        limit: this.limits.maxHeaderBytes,
      });
    }
    if (nl < 0) {
      this.lineParts.push(Buffer.from(buf.subarray(off))); // small copy, bounded by maxHeaderBytes
      return buf.length;
    }
    let line = buf;
    let from = off;
    let to = nl + 1;
    if (this.lineParts.length) {
      line = Buffer.concat([...this.lineParts, buf.subarray(off, nl + 1)]);
      from = 0;
      to = line.length;
      this.lineParts = [];
    }
    if (to - from < 2 || line[to - 2] !== CR) {
      this.err(this.state === 'start' ? 'MSRP_BAD_START_LINE' : 'MSRP_BAD_HEADER', 'MSRP line not terminated by CRLF');
    }
    const text = line.toString('utf8', from, to - 2);
    if (this.state === 'start') this.startLine(text);
    else this.headerLine(text);
    return nl + 1;
  }

  private startLine(text: string): void {
    if (text.length === 0) {
      // tolerate CRLF keep-alives between frames (stream transports shared with SIP habits); costs no memory
      this.headBytes = 0;
      return;
    }
    const m = START_RE.exec(text);
    if (!m) this.err('MSRP_BAD_START_LINE', `Bad MSRP start line: ${JSON.stringify(text.slice(0, 80))}`);
    this.head =
      m[2] !== undefined
        ? { tid: m[1], kind: 'request', method: m[2], status: undefined, comment: undefined, headers: [] }
        : { tid: m[1], kind: 'response', method: undefined, status: Number(m[3]), comment: m[4], headers: [] };
    this.state = 'headers';
  }

  private headerLine(text: string): void {
    const head = this.head!;
    if (text.length === 0) {
      this.beginBody(head);
      return;
    }
    if (text.startsWith('-------')) {
      const flag = text[text.length - 1];
      if (text.length !== 8 + head.tid.length || text.slice(7, -1) !== head.tid || (flag !== '$' && flag !== '+' && flag !== '#')) {
        this.err('MSRP_BAD_END_LINE', `Bad MSRP end-line for transaction ${head.tid}: ${JSON.stringify(text.slice(0, 60))}`);
      }
      this.out.push({ type: 'frame', frame: frameOf(head, undefined, flag as ContinuationFlag) });
      this.reset();
      return;
    }
    const colon = text.indexOf(':');
    const name = colon > 0 ? text.slice(0, colon) : '';
    if (!HNAME_RE.test(name)) this.err('MSRP_BAD_HEADER', `Bad MSRP header line: ${JSON.stringify(text.slice(0, 80))}`);
    if (head.headers.length >= this.limits.maxHeaders) {
      this.err('MSRP_TOO_MANY_HEADERS', `More than ${this.limits.maxHeaders} MSRP headers`, { limit: this.limits.maxHeaders });
    }
    head.headers.push([name, text.slice(colon + 1).trim()] as Header);
  }

  private beginBody(head: MsrpFrameHead): void {
    this.state = 'body';
    this.pattern = endLinePrefix(head.tid);
    this.bodyLimit =
      head.method === 'SEND' ? this.limits.maxBodyBytes : Math.min(this.limits.maxBodyBytes, this.limits.maxNonSendBodyBytes);
    this.bodyLen = 0;
    this.parts = [];
    this.bufferedLen = 0;
    this.streaming = false;
    this.carry = EMPTY;
  }

  private reset(): void {
    this.state = 'start';
    this.head = undefined;
    this.headBytes = 0;
    this.parts = [];
    this.carry = EMPTY;
  }

  // ---- body: scan for "\r\n-------<tid>" + flag + "\r\n" ----

  /** Look for a complete, valid end-line starting in [from, limit). 'partial' = a candidate needs more bytes. */
  private scan(b: Buffer, from: number, limit: number): { kind: 'found' | 'partial'; pos: number; flag?: ContinuationFlag } | undefined {
    const pat = this.pattern;
    const k = pat.length + 3;
    let p = findEndLine(b, pat, from, limit);
    while (p >= 0 && p < limit) {
      if (p + k > b.length) return { kind: 'partial', pos: p };
      const f = b[p + pat.length];
      if ((f === 0x24 || f === 0x2b || f === 0x23) && b[p + pat.length + 1] === CR && b[p + pat.length + 2] === LF) {
        return { kind: 'found', pos: p, flag: String.fromCharCode(f) as ContinuationFlag };
      }
      p = findEndLine(b, pat, p + 1, limit);
    }
    return undefined;
  }

  private body(buf: Buffer, off: number): number {
    const k = this.pattern.length + 3;
    if (this.carry.length > 0) {
      if (buf.length - off < k) {
        // short input: merge with the (small) carry and scan the whole thing below
        const merged = Buffer.concat([this.carry, buf.subarray(off)]);
        this.carry = EMPTY;
        this.run(merged, 0); // merged is small (< 2 end-lines), so this recursion is shallow
        return buf.length;
      }
      const carry = this.carry;
      const joined = Buffer.concat([carry, buf.subarray(off, off + k)]);
      const r = this.scan(joined, 0, carry.length);
      this.carry = EMPTY;
      if (r && r.kind === 'found') {
        this.emitBody(carry.subarray(0, r.pos));
        this.endFrame(r.flag!);
        return off + (r.pos + k - carry.length);
      }
      this.emitBody(carry); // 'partial' cannot happen: joined holds k bytes past any start inside carry
    }
    return this.scanTail(buf, off);
  }

  /** Scan buf from off to its end; returns the offset to continue from (buf.length when all consumed). */
  private scanTail(buf: Buffer, off: number): number {
    const k = this.pattern.length + 3;
    const r = this.scan(buf, off, buf.length);
    if (r && r.kind === 'found') {
      this.emitBody(buf.subarray(off, r.pos));
      this.endFrame(r.flag!);
      return r.pos + k;
    }
    let hold = buf.length;
    if (r && r.kind === 'partial') hold = r.pos;
    else {
      const w = Math.max(off, buf.length - (k - 1));
      const cr = buf.indexOf(CR, w);
      if (cr >= 0) hold = cr;
    }
    this.emitBody(buf.subarray(off, hold));
    if (this.state !== 'failed' && hold < buf.length) this.carry = Buffer.from(buf.subarray(hold));
    return buf.length;
  }

  private emitBody(data: Buffer): void {
    if (data.length === 0 || this.state === 'failed') return;
    this.bodyLen += data.length;
    if (this.bodyLen > this.bodyLimit) {
      this.err('MSRP_CHUNK_TOO_LARGE', `MSRP body exceeds ${this.bodyLimit} bytes`, { limit: this.bodyLimit });
    }
    if (this.streaming) {
      this.out.push({ type: 'bodyPart', tid: this.head!.tid, data });
      return;
    }
    this.parts.push(data);
    this.bufferedLen += data.length;
    if (this.bufferedLen > this.limits.bufferBodyBytes) {
      this.streaming = true;
      this.out.push({ type: 'frameStart', head: this.head! });
      for (const p of this.parts) this.out.push({ type: 'bodyPart', tid: this.head!.tid, data: p });
      this.parts = [];
    }
  }

  private endFrame(flag: ContinuationFlag): void {
    const head = this.head!;
    if (this.streaming) this.out.push({ type: 'frameEnd', tid: head.tid, flag, bodyBytes: this.bodyLen });
    else {
      const body = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts);
      this.out.push({ type: 'frame', frame: frameOf(head, body, flag) });
    }
    this.reset();
  }
}

/** Convenience for tests and tools: parse a complete byte string into whole frames (streamed bodies are collected). */
export function parseFrames(bytes: Uint8Array, limits?: Partial<ParserLimits>): { frames: MsrpFrame[]; error?: ParleyError } {
  const p = new MsrpParser(limits);
  const frames: MsrpFrame[] = [];
  let open: { head: MsrpFrameHead; parts: Buffer[] } | undefined;
  for (const ev of p.push(bytes)) {
    if (ev.type === 'frame') frames.push(ev.frame);
    else if (ev.type === 'frameStart') open = { head: ev.head, parts: [] };
    else if (ev.type === 'bodyPart') open!.parts.push(ev.data);
    else if (ev.type === 'frameEnd') {
      frames.push({ ...open!.head, body: Buffer.concat(open!.parts), flag: ev.flag });
      open = undefined;
    } else return { frames, error: ev.error };
  }
  return { frames };
}
