// Incoming chunk reassembly by Message-ID: byte ranges, out-of-order, '*' totals, '#' aborts, size limits (RFC 4975 s.7.3.1).
import { ParleyError } from '../../base/errors';
import type { ByteRange, ContinuationFlag } from './message';

/** Where the bytes of one incoming message go. write() may be called out of order and with overlapping ranges. */
export interface MessageSink {
  write(offset: number, data: Buffer): void;
  /** All bytes 0..totalBytes-1 were written. */
  end(totalBytes: number): void;
  abort(reason: ParleyError): void;
  /** A sink that finishes after end() (e.g. decrypting and checking a file): the session sends the Success-Report once this resolves. */
  readonly settled?: Promise<void>;
}

export interface IncomingMessageInfo {
  messageId: string;
  contentType?: string;
  /** Declared total, when the first seen chunk announced it. */
  totalBytes?: number;
}

export interface ReassemblyOptions {
  maxMessageBytes: number;
  maxOpenMessages: number;
  /** Limit on disjoint received ranges per message (defends against fragmentation floods). */
  maxRanges: number;
  /** Memory by default; supply a sink factory to stream big messages to disk. */
  createSink?: (info: IncomingMessageInfo) => MessageSink;
}

export const DEFAULT_REASSEMBLY_OPTIONS: ReassemblyOptions = {
  maxMessageBytes: 256 * 1024 * 1024,
  maxOpenMessages: 64,
  maxRanges: 4096,
};

/** In-memory sink: keeps the received pieces, assembles once at the end (zero-copy for a single in-order chunk). */
export class MemorySink implements MessageSink {
  private pieces: { offset: number; data: Buffer }[] = [];
  body: Buffer | undefined;
  write(offset: number, data: Buffer): void {
    this.pieces.push({ offset, data });
  }
  end(totalBytes: number): void {
    const p = this.pieces;
    if (p.length === 1 && p[0].offset === 0 && p[0].data.length === totalBytes) this.body = p[0].data;
    else {
      const out = Buffer.alloc(totalBytes);
      for (const { offset, data } of p) data.copy(out, offset, 0, Math.max(0, Math.min(data.length, totalBytes - offset)));
      this.body = out;
    }
    this.pieces = [];
  }
  abort(): void {
    this.pieces = [];
  }
}

/** Sorted, merged half-open ranges [s, e). */
export class RangeSet {
  readonly ranges: [number, number][] = [];
  add(s: number, e: number): void {
    if (e <= s) return;
    const r = this.ranges;
    let i = 0;
    while (i < r.length && r[i][1] < s) i++;
    let j = i;
    while (j < r.length && r[j][0] <= e) {
      s = Math.min(s, r[j][0]);
      e = Math.max(e, r[j][1]);
      j++;
    }
    r.splice(i, j - i, [s, e]);
  }
  covers(s: number, e: number): boolean {
    return this.ranges.some(([a, b]) => a <= s && b >= e);
  }
  /** Bytes in the contiguous prefix starting at 0. */
  get prefix(): number {
    return this.ranges.length && this.ranges[0][0] === 0 ? this.ranges[0][1] : 0;
  }
  get count(): number {
    return this.ranges.length;
  }
}

interface OpenMessage {
  info: IncomingMessageInfo;
  sink: MessageSink;
  memory?: MemorySink;
  received: RangeSet;
  total?: number; // known once declared or once the '$' chunk arrived
}

export type ChunkOutcome =
  | { kind: 'incomplete'; messageId: string; receivedBytes: number; totalBytes?: number }
  | { kind: 'complete'; messageId: string; contentType?: string; totalBytes: number; body?: Buffer; sink: MessageSink }
  | { kind: 'aborted'; messageId: string } // sender interrupted with '#'
  | { kind: 'duplicate'; messageId: string } // chunk of an already completed message
  | { kind: 'rejected'; messageId: string; status: 400 | 413; error: ParleyError };

/** One chunk in flight, created by begin(), fed with data(), closed with end(). */
export class ChunkReceiver {
  private offset: number;
  private failure: { status: 400 | 413; error: ParleyError } | undefined;
  constructor(
    private readonly r: Reassembler,
    readonly messageId: string,
    private readonly msg: OpenMessage | undefined,
    readonly range: ByteRange,
    failure?: { status: 400 | 413; error: ParleyError },
  ) {
    this.offset = range.start - 1;
    this.failure = failure;
  }
  data(buf: Buffer): void {
    if (this.failure || !this.msg || buf.length === 0) return;
    const end = this.offset + buf.length;
    const limit = Math.min(this.r.opts.maxMessageBytes, this.msg.total ?? Infinity);
    if (end > limit) {
      const tooLarge = end > this.r.opts.maxMessageBytes;
      this.failure = {
        status: tooLarge ? 413 : 400,
        error: tooLarge
          ? new ParleyError('MSRP_MESSAGE_TOO_LARGE', `Message ${this.messageId} exceeds ${this.r.opts.maxMessageBytes} bytes`)
          : new ParleyError('MSRP_BAD_BYTE_RANGE', `Chunk data beyond the declared total of message ${this.messageId}`),
      };
      return;
    }
    this.msg.sink.write(this.offset, buf);
    this.msg.received.add(this.offset, end);
    this.offset = end;
    if (this.msg.received.count > this.r.opts.maxRanges) {
      this.failure = { status: 413, error: new ParleyError('MSRP_TOO_FRAGMENTED', `Message ${this.messageId} is too fragmented`) };
    }
  }
  end(flag: ContinuationFlag): ChunkOutcome {
    return this.r.finish(this, this.msg, flag, this.offset, this.failure);
  }
}

export class Reassembler {
  readonly opts: ReassemblyOptions;
  private open = new Map<string, OpenMessage>();
  private closed = new Map<string, 'complete' | 'failed'>(); // bounded memory of finished message ids

  constructor(opts: Partial<ReassemblyOptions> = {}) {
    this.opts = { ...DEFAULT_REASSEMBLY_OPTIONS, ...opts };
  }

  get openCount(): number {
    return this.open.size;
  }

  begin(info: IncomingMessageInfo, range: ByteRange): ChunkReceiver {
    const id = info.messageId;
    const reject = (status: 400 | 413, code: string, msg: string) =>
      new ChunkReceiver(this, id, undefined, range, { status, error: new ParleyError(code, msg, { messageId: id }) });
    const prior = this.closed.get(id);
    if (prior === 'failed') return reject(413, 'MSRP_MESSAGE_TOO_LARGE', `Message ${id} was already refused`);
    if (prior === 'complete') return new ChunkReceiver(this, id, undefined, range);
    const declared = typeof range.total === 'number' ? range.total : undefined;
    if (declared !== undefined && declared > this.opts.maxMessageBytes) {
      this.remember(id, 'failed');
      this.drop(id, new ParleyError('MSRP_MESSAGE_TOO_LARGE', `Message ${id} is ${declared} bytes`));
      return reject(413, 'MSRP_MESSAGE_TOO_LARGE', `Message ${id} is ${declared} bytes, limit ${this.opts.maxMessageBytes}`);
    }
    let msg = this.open.get(id);
    if (!msg) {
      if (this.open.size >= this.opts.maxOpenMessages) {
        return reject(413, 'MSRP_TOO_MANY_MESSAGES', `More than ${this.opts.maxOpenMessages} incomplete messages`);
      }
      const full: IncomingMessageInfo = { ...info, totalBytes: declared };
      let memory: MemorySink | undefined;
      const sink = this.opts.createSink ? this.opts.createSink(full) : (memory = new MemorySink());
      msg = { info: full, sink, memory, received: new RangeSet(), total: declared };
      this.open.set(id, msg);
    } else {
      if (msg.info.contentType === undefined && info.contentType) msg.info.contentType = info.contentType;
      if (declared !== undefined) {
        if (msg.total !== undefined && msg.total !== declared) {
          return reject(400, 'MSRP_BAD_BYTE_RANGE', `Message ${id} total changed from ${msg.total} to ${declared}`);
        }
        msg.total = declared;
      }
    }
    return new ChunkReceiver(this, id, msg, range);
  }

  /** @internal called by ChunkReceiver.end */
  finish(
    c: ChunkReceiver,
    msg: OpenMessage | undefined,
    flag: ContinuationFlag,
    endOffset: number,
    failure?: { status: 400 | 413; error: ParleyError },
  ): ChunkOutcome {
    const id = c.messageId;
    if (failure) {
      if (msg) {
        this.remember(id, 'failed');
        this.drop(id, failure.error);
      }
      return { kind: 'rejected', messageId: id, status: failure.status, error: failure.error };
    }
    if (!msg) return { kind: 'duplicate', messageId: id };
    if (flag === '#') {
      this.remember(id, 'failed');
      this.drop(id, new ParleyError('MSRP_MESSAGE_ABORTED', `Sender aborted message ${id}`));
      return { kind: 'aborted', messageId: id };
    }
    if (flag === '$' && msg.total === undefined) msg.total = endOffset;
    const total = msg.total;
    if (total !== undefined && msg.received.prefix >= total) {
      this.open.delete(id);
      this.remember(id, 'complete');
      msg.sink.end(total);
      return {
        kind: 'complete',
        messageId: id,
        contentType: msg.info.contentType,
        totalBytes: total,
        body: msg.memory?.body,
        sink: msg.sink,
      };
    }
    return { kind: 'incomplete', messageId: id, receivedBytes: msg.received.prefix, totalBytes: total };
  }

  /** Abort everything (connection lost). */
  close(reason: ParleyError): void {
    for (const id of [...this.open.keys()]) this.drop(id, reason);
  }

  private drop(id: string, reason: ParleyError): void {
    const m = this.open.get(id);
    if (!m) return;
    this.open.delete(id);
    m.sink.abort(reason);
  }

  private remember(id: string, state: 'complete' | 'failed'): void {
    this.closed.set(id, state);
    if (this.closed.size > 1024) this.closed.delete(this.closed.keys().next().value!);
  }
}
