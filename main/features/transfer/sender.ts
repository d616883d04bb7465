// Sending one RFC 5547 file over an MSRP session: disk -> (secretstream seal) -> MSRP chunks with TCP backpressure,
// progress from Success-Report Byte-Ranges (RFC 4975 s.7.1.2), '#' cancel (s.7.1.1) (docs/file-transfer.md s.3).
import { EventEmitter } from 'node:events';
import { open, type FileHandle } from 'node:fs/promises';
import { ParleyError, isParleyError } from '../../base/errors';
import type { MsrpSession, OutgoingMessage } from '../../protocol/msrp/index';
import type { MsrpTransport } from '../../net/msrp/index';
import { STREAM_SEGMENT_SIZE, STREAM_FULL_SEGMENT_CT, sealSegmentAsync, segmentBuffer } from '../../security/secret-stream';
import {
  MANIFEST_CONTENT_TYPE,
  PROTECTED_FILE_CONTENT_TYPE,
  cipherSize,
  sealManifest,
  segmentCount,
  type FileManifest,
} from './file-crypto';
import { ProgressMeter, type TransferProgress } from './progress';
import { onSessionEvent } from './session-events';

/** Plain files are read this much at a time (fresh buffers: the socket keeps references until written). */
export const READ_BLOCK_BYTES = 1024 * 1024;
/** Protected files: segments read and sealed ahead of the socket (crypto-pool workers), a few MiB at most. */
export const SEAL_AHEAD_SEGMENTS = 4;
/**
 * After the last chunk was acknowledged, how long to wait for the final Success-Report. Without it the transfer fails
 * (FILE_UNCONFIRMED): the 200s may come from a relay hop by hop (RFC 4976) that lost the data afterwards.
 */
export const DELIVERY_REPORT_TIMEOUT_MS = 120_000;

export interface SenderOptions {
  path: string;
  /** Plaintext file size (checked against the file before sending: FILE_CHANGED). */
  size: number;
  /** 0-based wire offset to start at (a=file-range start - 1); segment-aligned when protected. */
  wireStart: number;
  /** MSRP Content-Type of a plain file (the file-selector type). */
  contentType?: string;
  protected?: { fileKey: Uint8Array; manifestKey: Uint8Array; manifest: FileManifest };
  /** Default DELIVERY_REPORT_TIMEOUT_MS. */
  reportTimeoutMs?: number;
}

export interface SenderResult {
  /** 'delivered': the receiver's final Success-Report covered the file; 'sent': all chunks acknowledged, then the receiver hung up without a report. */
  status: 'delivered' | 'sent';
  wireBytes: number;
  bytes: number;
  messageId: string;
}

export class FileSender extends EventEmitter<{ progress: [TransferProgress] }> {
  private msg: OutgoingMessage | undefined;
  private stopError: ParleyError | undefined;
  private wake: (() => void) | undefined;
  private settleFn: ((v: { ok: true; delivered: boolean }) => void) | undefined;
  /** Every chunk got its 200 (the data is at the receiver or its relay). */
  acked = false;
  readonly wireSize: number;

  constructor(private readonly o: SenderOptions) {
    super();
    this.wireSize = o.protected ? cipherSize(o.size) : o.size;
    if (o.wireStart < 0 || o.wireStart > this.wireSize)
      throw new ParleyError('FILE_BAD_RANGE', `range start ${o.wireStart + 1} beyond the file`);
    if (o.protected && o.wireStart % STREAM_FULL_SEGMENT_CT !== 0)
      throw new ParleyError('FILE_BAD_RANGE', 'protected resume must start at a segment boundary');
  }

  /** Cancel: the peer sees '#' (message interrupted); run() rejects with `error`. */
  cancel(error = new ParleyError('FILE_CANCELLED', 'transfer cancelled')): void {
    if (this.stopError) return;
    this.stopError = error;
    if (this.msg && !this.msg.failed) this.msg.abort();
    this.wake?.();
  }

  /** The peer ended the session without a reason: 'sent' when every chunk was acknowledged, otherwise a failure. */
  peerEnded(error: ParleyError): void {
    if (this.acked && this.settleFn) this.settleFn({ ok: true, delivered: false });
    else this.cancel(error);
  }

  /** Stream the file; resolves when delivered (or sent); rejects with a ParleyError (cancel, peer refusal, connection loss). */
  async run(transport: MsrpTransport, session: MsrpSession): Promise<SenderResult> {
    const o = this.o;
    const fh = await open(o.path, 'r').catch((e: Error) => {
      throw new ParleyError('FILE_READ_FAILED', `cannot open ${o.path}: ${e.message}`, undefined, { cause: e });
    });
    let outcome: { ok: true; delivered: boolean } | { ok: false; error: ParleyError } | undefined;
    const settle = (v: typeof outcome) => {
      outcome ??= v;
      this.wake?.();
    };
    this.settleFn = settle;
    const plainStart = o.protected ? (o.wireStart / STREAM_FULL_SEGMENT_CT) * STREAM_SEGMENT_SIZE : o.wireStart;
    const meter = new ProgressMeter(o.size);
    const off = onSessionEvent(session, (e) => {
      if (!this.msg || !('messageId' in e) || e.messageId !== this.msg.messageId) return;
      if (e.type === 'progress') {
        const wire = o.wireStart + e.confirmedBytes;
        const plain = o.protected ? Math.min(o.size, Math.floor((wire / this.wireSize) * o.size)) : wire;
        const p = meter.update(wire >= this.wireSize ? o.size : plain);
        if (p) this.emit('progress', p);
      } else if (e.type === 'delivered') settle({ ok: true, delivered: true });
      else if (e.type === 'sendFailed') {
        settle({
          ok: false,
          error: new ParleyError(e.local ? 'FILE_CONNECTION_LOST' : 'FILE_REFUSED', `MSRP ${e.status} ${e.comment ?? ''}`.trim(), {
            status: e.status,
          }),
        });
      } else if (e.type === 'sent') {
        this.acked = true;
        const wait = o.reportTimeoutMs ?? DELIVERY_REPORT_TIMEOUT_MS;
        const unconfirmed = new ParleyError(
          'FILE_UNCONFIRMED',
          `every chunk was acknowledged, but no final Success-Report came within ${wait} ms`,
        );
        const t = setTimeout(() => settle({ ok: false, error: unconfirmed }), wait);
        t.unref();
      }
    });
    try {
      const st = await fh.stat();
      if (st.size !== o.size) throw new ParleyError('FILE_CHANGED', `${o.path} is ${st.size} bytes now, ${o.size} were offered`);
      meter.update(plainStart);
      if (o.protected)
        session.send({ contentType: MANIFEST_CONTENT_TYPE, body: sealManifest(o.protected.manifestKey, o.protected.manifest) });
      const ct = o.protected ? PROTECTED_FILE_CONTENT_TYPE : (o.contentType ?? 'application/octet-stream');
      this.msg = session.startMessage({ contentType: ct, successReport: true }, this.wireSize - o.wireStart);
      if (this.stopError) this.msg.abort();
      const spare: ArrayBuffer[] = []; // sealed segments' memory, back from the socket
      const source = o.protected
        ? sealedBlocks(fh, o.size, o.protected.fileKey, o.wireStart / STREAM_FULL_SEGMENT_CT, spare)
        : plainBlocks(fh, o.size, plainStart);
      const written: { end: number; mem: ArrayBuffer }[] = [];
      let sentBytes = 0;
      for await (const block of source) {
        if (this.stopError || outcome || this.msg.failed) break;
        if (!this.msg.write(block)) break;
        sentBytes += block.length;
        if (o.protected && block.buffer instanceof ArrayBuffer) {
          // a segment's memory is reused once all of it was cut into chunks and those left user space
          written.push({ end: sentBytes, mem: block.buffer });
          const free: ArrayBuffer[] = [];
          while (written.length && written[0].end <= this.msg.bytesChunked) free.push(written.shift()!.mem);
          if (free.length) void transport.flushed(session).then(() => spare.push(...free.slice(0, SEAL_AHEAD_SEGMENTS - spare.length)));
        }
        await transport.drained(session);
      }
      if (!this.stopError && !outcome && !this.msg.failed) this.msg.end();
      while (!outcome && !this.stopError) await new Promise<void>((r) => (this.wake = r));
      if (this.stopError) throw this.stopError;
      if (!outcome!.ok) throw outcome!.error;
      return { status: outcome!.delivered ? 'delivered' : 'sent', wireBytes: this.wireSize, bytes: o.size, messageId: this.msg.messageId };
    } catch (e) {
      if (this.msg && !this.msg.failed) this.msg.abort();
      throw isParleyError(e) ? e : new ParleyError('FILE_SEND_FAILED', String(e), undefined, { cause: e });
    } finally {
      off();
      await fh.close().catch(() => {});
    }
  }
}

async function readFull(fh: FileHandle, len: number, pos: number, into: Buffer = Buffer.allocUnsafe(len)): Promise<Buffer> {
  let got = 0;
  while (got < len) {
    const { bytesRead } = await fh.read(into, got, len - got, pos + got);
    if (bytesRead === 0) throw new ParleyError('FILE_CHANGED', 'the file got shorter while sending');
    got += bytesRead;
  }
  return into;
}

async function* plainBlocks(fh: FileHandle, size: number, start: number): AsyncGenerator<Buffer> {
  for (let pos = start; pos < size; pos += READ_BLOCK_BYTES) yield await readFull(fh, Math.min(READ_BLOCK_BYTES, size - pos), pos);
}

/** Sealed segments in order, SEAL_AHEAD_SEGMENTS read and sealed concurrently (disk, workers and socket overlap). */
async function* sealedBlocks(
  fh: FileHandle,
  size: number,
  fileKey: Uint8Array,
  startSegment: number,
  spare: ArrayBuffer[],
): AsyncGenerator<Buffer> {
  const n = segmentCount(size);
  const ahead: Promise<Uint8Array>[] = [];
  let next = startSegment;
  const seal = async (i: number): Promise<Uint8Array> => {
    const pos = i * STREAM_SEGMENT_SIZE;
    const len = Math.min(STREAM_SEGMENT_SIZE, size - pos);
    const { buf, plain } = segmentBuffer(len, spare.pop()); // sealed in place, in recycled memory when there is some
    await readFull(fh, len, pos, plain);
    return sealSegmentAsync(fileKey, i, buf, i === n - 1);
  };
  const fill = () => {
    while (ahead.length < SEAL_AHEAD_SEGMENTS && next < n) {
      const p = seal(next++);
      p.catch(() => {}); // awaited in order below; dropped when the transfer stops early
      ahead.push(p);
    }
  };
  fill();
  while (ahead.length) {
    const ct = await ahead.shift()!;
    fill();
    yield Buffer.from(ct.buffer, ct.byteOffset, ct.byteLength);
  }
}
