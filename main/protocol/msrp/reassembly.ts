// Incoming chunk reassembly by Message-ID: byte ranges, out-of-order, '*' totals, '#' aborts, size limits (RFC 4975 s.7.3.1).
// Bytes already received are dropped (a range sent again is written once); bytes kept in memory are bounded per session.
import { ParleyError, type ErrorCode } from '../../base/errors';
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
  /** Memory kept by all incomplete in-memory messages together (declared totals reserved, pieces with their overhead). */
  maxSessionBytes: number;
  /** Memory by default; supply a sink factory to stream big messages to disk. */
  createSink?: (info: IncomingMessageInfo) => MessageSink;
}

export const DEFAULT_REASSEMBLY_OPTIONS: ReassemblyOptions = {
  maxMessageBytes: 256 * 1024 * 1024,
  maxOpenMessages: 64,
  maxRanges: 4096,
  maxSessionBytes: 64 * 1024 * 1024,
};

/** Memory one stored piece costs beyond its bytes (object, Buffer, array slot): counted against the session bound. */
export const PIECE_OVERHEAD_BYTES = 128;

/**
 * In-memory sink. With a declared total the message is one buffer, reserved against the session bound when the message
 * opens and written in place; without one, pieces are kept (each a copy of its own: a view would pin the whole socket
 * buffer it came from) and assembled once at the end.
 */
export class MemorySink implements MessageSink {
  private buf: Buffer | undefined;
  private pieces: { offset: number; data: Buffer }[] = [];
  body: Buffer | undefined;
  constructor(private readonly totalBytes?: number) {}
  /** Bytes reserved up front (the declared total). */
  get reserved(): number {
    return this.totalBytes ?? 0;
  }
  /** Memory a write of n new bytes adds (0 when the whole message was reserved). */
  cost(n: number): number {
    return this.totalBytes === undefined ? n + PIECE_OVERHEAD_BYTES : 0;
  }
  write(offset: number, data: Buffer): void {
    if (this.totalBytes !== undefined) {
      this.buf ??= Buffer.allocUnsafeSlow(this.totalBytes);
      data.copy(this.buf, offset, 0, Math.max(0, Math.min(data.length, this.totalBytes - offset)));
      return;
    }
    const own = Buffer.allocUnsafeSlow(data.length);
    data.copy(own);
    this.pieces.push({ offset, data: own });
  }
  end(totalBytes: number): void {
    if (this.buf?.length === totalBytes) this.body = this.buf;
    else {
      const out = Buffer.alloc(totalBytes);
      if (this.buf) this.buf.copy(out, 0, 0, Math.min(this.buf.length, totalBytes));
      for (const { offset, data } of this.pieces) data.copy(out, offset, 0, Math.max(0, Math.min(data.length, totalBytes - offset)));
      this.body = out;
    }
    this.buf = undefined;
    this.pieces = [];
  }
  abort(): void {
    this.buf = undefined;
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
  /** The parts of [s, e) not covered yet, in order. */
  gaps(s: number, e: number): [number, number][] {
    const out: [number, number][] = [];
    for (const [a, b] of this.ranges) {
      if (b <= s) continue;
      if (a >= e) break;
      if (a > s) out.push([s, a]);
      s = Math.max(s, b);
      if (s >= e) return out;
    }
    if (s < e) out.push([s, e]);
    return out;
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
  /** Bytes this message keeps in memory (counted against maxSessionBytes). */
  held: number;
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
    const msg = this.msg;
    for (const [s, e] of msg.received.gaps(this.offset, end)) {
      if (msg.memory && !this.r.hold(msg, msg.memory.cost(e - s))) {
        const limit = this.r.opts.maxSessionBytes;
        this.failure = {
          status: 413,
          error: new ParleyError('MSRP_SESSION_BUFFER_FULL', `incomplete messages of this session hold more than ${limit} bytes`, {
            messageId: this.messageId,
            limit,
          }),
        };
        return;
      }
      msg.sink.write(s, buf.subarray(s - this.offset, e - this.offset));
    }
    msg.received.add(this.offset, end);
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
  #held = 0;

  constructor(opts: Partial<ReassemblyOptions> = {}) {
    const set = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) as Partial<ReassemblyOptions>;
    this.opts = { ...DEFAULT_REASSEMBLY_OPTIONS, ...set };
  }

  get openCount(): number {
    return this.open.size;
  }

  /** Bytes kept in memory by incomplete messages (bounded by maxSessionBytes). */
  get heldBytes(): number {
    return this.#held;
  }

  /** @internal counts n more bytes kept in memory for msg; false (nothing counted) when the session bound would pass. */
  hold(msg: OpenMessage, n: number): boolean {
    if (this.#held + n > this.opts.maxSessionBytes) return false;
    this.#held += n;
    msg.held += n;
    return true;
  }

  #release(msg: OpenMessage): void {
    this.#held -= msg.held;
    msg.held = 0;
  }

  begin(info: IncomingMessageInfo, range: ByteRange): ChunkReceiver {
    const id = info.messageId;
    const reject = (status: 400 | 413, code: ErrorCode, msg: string) =>
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
      const sink = this.opts.createSink ? this.opts.createSink(full) : new MemorySink(declared);
      const memory = sink instanceof MemorySink ? sink : undefined;
      msg = { info: full, sink, memory, received: new RangeSet(), total: declared, held: 0 };
      if (memory && !this.hold(msg, memory.reserved)) {
        this.remember(id, 'failed');
        return reject(413, 'MSRP_SESSION_BUFFER_FULL', `Message ${id} of ${declared} bytes does not fit in this session's memory bound`);
      }
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
      this.#release(msg);
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
    this.#release(m);
    m.sink.abort(reason);
  }

  private remember(id: string, state: 'complete' | 'failed'): void {
    this.closed.set(id, state);
    if (this.closed.size > 1024) this.closed.delete(this.closed.keys().next().value!);
  }
}
