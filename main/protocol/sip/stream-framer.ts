// RFC 3261 s.18.3 stream framing (Content-Length) + RFC 5626 s.4.4.1 CRLF keep-alives (double-CRLF ping, CRLF pong). Sans-IO.
import { ParleyError } from '../../base/errors';

/** Default cap on the start-line + headers of one message (bytes, including the blank line). */
export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;
/** Default cap on one message body over a stream transport (bytes). */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export interface FramerLimits {
  maxHeaderBytes: number;
  maxBodyBytes: number;
}

export type FramerEvent =
  /** One complete SIP message: `bytes` is the whole message, `bodyOffset` where its body starts. */
  | { type: 'message'; bytes: Uint8Array; bodyOffset: number; contentLength: number }
  /** Double CRLF keep-alive ping from the peer: answer with a single CRLF (RFC 5626 s.4.4.1). */
  | { type: 'ping' }
  /** Single CRLF keep-alive pong from the peer. */
  | { type: 'pong' };

const CR = 0x0d;
const LF = 0x0a;
const CONTENT_LENGTH_RE = /^(?:content-length|l)[ \t]*:[ \t]*(.*)$/i;
const START_LINE_RE = /^(?:SIP\/2\.0 \d{3}(?: .*)?|[A-Za-z0-9!%*_+`'~.-]+ \S+ SIP\/2\.0)$/;

export interface FramerOptions {
  /** Observes every byte copy the framer makes (tests check that framing stays linear in the bytes received). */
  onCopy?: (bytes: number) => void;
}

/** An idle framer gives back a buffer grown beyond this (a 1 MiB body must not pin 2 MiB per connection). */
const KEEP_CAPACITY = 64 * 1024;

/**
 * Splits a SIP byte stream into whole messages. A limit violation or malformed framing is reported as a ParleyError
 * and leaves the framer failed: the caller must close the connection, since the stream cannot be resynchronised.
 * Linear in the bytes received: pushes append to one growable buffer (doubling; compacted only when at most half
 * full), a message's head is parsed once, and the end-of-headers search resumes where it stopped.
 */
export class SipStreamFramer {
  private store: Uint8Array = new Uint8Array(0);
  private start = 0;
  private end = 0;
  /** Where the search for the end of headers resumes, relative to start (avoids rescanning on small chunks). */
  private scanFrom = 0;
  /** The head of the message being received, once parsed (its body is still arriving). */
  private head: { bodyOffset: number; contentLength: number } | null = null;
  private failure: ParleyError | null = null;
  private readonly limits: FramerLimits;
  private readonly onCopy: (bytes: number) => void;

  constructor(limits: Partial<FramerLimits> = {}, opts: FramerOptions = {}) {
    this.limits = {
      maxHeaderBytes: limits.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES,
      maxBodyBytes: limits.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    };
    this.onCopy = opts.onCopy ?? (() => {});
  }

  /** Bytes received but not yet part of a complete message. */
  get buffered(): number {
    return this.end - this.start;
  }

  /**
   * Feed received bytes; returns the events they complete, in order. On a framing error, `error` is set after the
   * events completed before it; the framer then stays failed (later pushes return the same error and no events).
   */
  push(chunk: Uint8Array): { events: FramerEvent[]; error?: ParleyError } {
    if (this.failure) return { events: [], error: this.failure };
    this.append(chunk);
    const events: FramerEvent[] = [];
    try {
      for (;;) {
        const ev = this.next();
        if (!ev) break;
        events.push(ev);
      }
    } catch (e) {
      this.failure = e instanceof ParleyError ? e : new ParleyError('SIP_FRAMING_MALFORMED', String(e));
      this.store = new Uint8Array(0);
      this.start = this.end = 0;
      return { events, error: this.failure };
    }
    if (this.start === this.end && this.store.length > KEEP_CAPACITY) {
      this.store = new Uint8Array(0);
      this.start = this.end = 0;
    }
    return { events };
  }

  private append(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    const live = this.end - this.start;
    if (this.end + chunk.length > this.store.length) {
      const need = live + chunk.length;
      if (need * 2 > this.store.length) {
        const grown = new Uint8Array(Math.max(need * 2, 1024));
        grown.set(this.store.subarray(this.start, this.end));
        this.store = grown;
      } else {
        this.store.copyWithin(0, this.start, this.end);
      }
      this.onCopy(live);
      this.start = 0;
      this.end = live;
    }
    this.store.set(chunk, this.end);
    this.onCopy(chunk.length);
    this.end += chunk.length;
  }

  private next(): FramerEvent | null {
    const b = this.store.subarray(this.start, this.end);
    if (b.length === 0) return null;
    if (!this.head) {
      // Keep-alives only occur between messages (at the start of the buffer).
      if (b[0] === CR) {
        if (b.length < 2) return null;
        if (b[1] !== LF) throw new ParleyError('SIP_FRAMING_MALFORMED', 'bare CR between SIP messages');
        if (b.length < 3) return null; // may be the first half of a ping: wait for the next byte
        if (b[2] === CR) {
          if (b.length < 4) return null;
          if (b[3] !== LF) throw new ParleyError('SIP_FRAMING_MALFORMED', 'bare CR between SIP messages');
          this.consume(4);
          return { type: 'ping' };
        }
        this.consume(2);
        return { type: 'pong' };
      }
      if (b[0] === LF) throw new ParleyError('SIP_FRAMING_MALFORMED', 'bare LF between SIP messages');
      const headerEnd = this.findHeaderEnd(b);
      if (headerEnd < 0) {
        if (b.length > this.limits.maxHeaderBytes) {
          throw new ParleyError('SIP_HEADER_TOO_LARGE', `SIP headers exceed ${this.limits.maxHeaderBytes} bytes`, {
            limit: this.limits.maxHeaderBytes,
          });
        }
        return null;
      }
      const bodyOffset = headerEnd + 4;
      if (bodyOffset > this.limits.maxHeaderBytes) {
        throw new ParleyError('SIP_HEADER_TOO_LARGE', `SIP headers of ${bodyOffset} bytes exceed ${this.limits.maxHeaderBytes}`, {
          limit: this.limits.maxHeaderBytes,
          size: bodyOffset,
        });
      }
      const contentLength = parseContentLength(b.subarray(0, headerEnd));
      if (contentLength > this.limits.maxBodyBytes) {
        throw new ParleyError('SIP_BODY_TOO_LARGE', `SIP body of ${contentLength} bytes exceeds ${this.limits.maxBodyBytes}`, {
          limit: this.limits.maxBodyBytes,
          size: contentLength,
        });
      }
      this.head = { bodyOffset, contentLength };
    }
    const { bodyOffset, contentLength } = this.head;
    const total = bodyOffset + contentLength;
    if (b.length < total) return null;
    const bytes = b.slice(0, total);
    this.onCopy(total);
    this.consume(total);
    return { type: 'message', bytes, bodyOffset, contentLength };
  }

  private findHeaderEnd(b: Uint8Array): number {
    for (let i = Math.max(0, this.scanFrom); i + 3 < b.length; i++) {
      if (b[i] === CR && b[i + 1] === LF && b[i + 2] === CR && b[i + 3] === LF) return i;
    }
    this.scanFrom = Math.max(0, b.length - 3);
    return -1;
  }

  private consume(n: number): void {
    this.start += n;
    this.scanFrom = 0;
    this.head = null;
  }
}

/** Content-Length (or compact `l`) from a header block (start-line included, no final blank line). */
export function parseContentLength(head: Uint8Array): number {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(head);
  const lines = text.split('\r\n');
  const startLine = lines[0] ?? '';
  if (!START_LINE_RE.test(startLine)) {
    throw new ParleyError('SIP_FRAMING_MALFORMED', 'not a SIP start-line', { startLine: startLine.slice(0, 80) });
  }
  let value: number | null = null;
  for (const line of lines.slice(1)) {
    const m = CONTENT_LENGTH_RE.exec(line);
    if (!m) continue;
    const raw = m[1].trim();
    if (!/^\d{1,10}$/.test(raw)) {
      throw new ParleyError('SIP_BAD_CONTENT_LENGTH', `invalid Content-Length "${raw.slice(0, 20)}"`);
    }
    const n = Number(raw);
    if (value !== null && value !== n) {
      throw new ParleyError('SIP_BAD_CONTENT_LENGTH', 'conflicting Content-Length headers', { first: value, second: n });
    }
    value = n;
  }
  if (value === null) {
    throw new ParleyError('SIP_MISSING_CONTENT_LENGTH', 'Content-Length is mandatory on stream transports (RFC 3261 s.18.3)');
  }
  return value;
}
