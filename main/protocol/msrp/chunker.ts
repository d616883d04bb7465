// Outgoing message chunking: Byte-Range and continuation flags (RFC 4975 s.5.1, s.7.1.1).
import { ParleyError } from '../../base/errors';
import type { ByteRange, ContinuationFlag } from './message';

/** Default chunk size for direct connections; relays use RELAY_CHUNK_SIZE (see relay.ts / docs/msrp.md). */
export const DEFAULT_CHUNK_SIZE = 64 * 1024;

export interface OutgoingChunk {
  byteRange: ByteRange;
  body: Buffer;
  flag: ContinuationFlag;
}

/**
 * Incremental chunker: write() bytes as they come (file streams), end() when done. Known totals give "s-e/N", unknown
 * totals "s-e/*". One chunk's worth of data is held back until end() so the last chunk can carry '$'. Zero-copy when
 * written pieces are at least chunkSize long.
 */
export class Chunker {
  private pending: Buffer[] = [];
  private pendingLen = 0;
  private sent = 0; // bytes already placed in chunks
  private done = false;

  constructor(
    readonly chunkSize: number = DEFAULT_CHUNK_SIZE,
    readonly totalBytes?: number,
  ) {
    if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new ParleyError('MSRP_BAD_CHUNK_SIZE', `Bad chunk size ${chunkSize}`);
  }

  get bytesChunked(): number {
    return this.sent;
  }

  write(data: Uint8Array): OutgoingChunk[] {
    if (this.done) throw new ParleyError('MSRP_MESSAGE_ENDED', 'write() after end() or abort()');
    if (data.length === 0) return [];
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (this.totalBytes !== undefined && this.sent + this.pendingLen + buf.length > this.totalBytes) {
      throw new ParleyError('MSRP_SIZE_MISMATCH', `More than the announced ${this.totalBytes} bytes written`);
    }
    this.pending.push(buf);
    this.pendingLen += buf.length;
    const out: OutgoingChunk[] = [];
    // strictly more than one chunk pending: the final chunk is only cut at end() (or when the known total is reached)
    while (this.pendingLen > this.chunkSize) out.push(this.cut(this.chunkSize, '+'));
    if (this.totalBytes !== undefined && this.sent + this.pendingLen === this.totalBytes && this.pendingLen === this.chunkSize) {
      out.push(this.cut(this.pendingLen, '$'));
      this.done = true;
    }
    return out;
  }

  end(): OutgoingChunk[] {
    if (this.done) return [];
    this.done = true;
    if (this.totalBytes !== undefined && this.sent + this.pendingLen !== this.totalBytes) {
      throw new ParleyError('MSRP_SIZE_MISMATCH', `Message ended after ${this.sent + this.pendingLen} of ${this.totalBytes} bytes`);
    }
    return [this.cut(this.pendingLen, '$')];
  }

  /** Interrupt the message (s.7.1.1 '#'): an empty chunk at the current position. */
  abort(): OutgoingChunk {
    this.done = true;
    this.pending = [];
    this.pendingLen = 0;
    const start = this.sent + 1;
    return { byteRange: { start, end: this.sent, total: this.totalBytes ?? '*' }, body: Buffer.alloc(0), flag: '#' };
  }

  private cut(n: number, flag: ContinuationFlag): OutgoingChunk {
    let body: Buffer;
    const first = this.pending[0];
    if (n === 0) body = Buffer.alloc(0);
    else if (first.length >= n) {
      body = first.subarray(0, n);
      if (first.length === n) this.pending.shift();
      else this.pending[0] = first.subarray(n);
    } else {
      body = Buffer.allocUnsafe(n);
      let filled = 0;
      while (filled < n) {
        const p = this.pending[0];
        const take = Math.min(p.length, n - filled);
        p.copy(body, filled, 0, take);
        filled += take;
        if (take === p.length) this.pending.shift();
        else this.pending[0] = p.subarray(take);
      }
    }
    this.pendingLen -= n;
    const start = this.sent + 1;
    this.sent += n;
    return { byteRange: { start, end: this.sent, total: this.totalBytes ?? (flag === '$' ? this.sent : '*') }, body, flag };
  }
}

/** Chunk a whole in-memory body (known total). An empty body gives one chunk "1-0/0". */
export function chunkBody(body: Uint8Array, chunkSize = DEFAULT_CHUNK_SIZE): OutgoingChunk[] {
  const c = new Chunker(chunkSize, body.length);
  return [...c.write(body), ...c.end()];
}
