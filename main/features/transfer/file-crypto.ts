// End-to-end file protection for RFC 5547 transfers: segmented secretstream under a per-file key, and the sealed manifest
// (real name, type, size, SHA-256, file key) carried under the session's streamKey(transferId) (docs/file-transfer.md s.4).
import { ParleyError } from '../../base/errors';
import {
  openSegment,
  openSegmentAsync,
  sealSegment,
  encryptedSegmentSize,
  STREAM_SEGMENT_SIZE,
  STREAM_FULL_SEGMENT_CT,
} from '../../security/secret-stream';
import { fromB64, toB64, random } from '../../security/sodium';

/** MSRP Content-Type of the sealed manifest message (sent before the file). */
export const MANIFEST_CONTENT_TYPE = 'application/vnd.parley.file-manifest';
/** MSRP Content-Type of the ciphertext of a protected file. */
export const PROTECTED_FILE_CONTENT_TYPE = 'application/vnd.parley.file-stream';
export const MANIFEST_VERSION = 1;
/** A sealed manifest never exceeds this (names are at most 1024 bytes). */
export const MAX_MANIFEST_BYTES = 4096;

export interface FileManifest {
  v: number;
  name: string;
  type: string;
  size: number;
  /** lowercase hex SHA-256 of the plaintext file */
  sha256: string;
  /** base64 of the 32-byte per-file key */
  key: string;
  modified?: string;
}

export function newFileKey(): Uint8Array {
  return random(32);
}

/** Number of secretstream segments of a file (an empty file is one empty final segment). */
export function segmentCount(plainSize: number): number {
  return Math.max(1, Math.ceil(plainSize / STREAM_SEGMENT_SIZE));
}

/** Ciphertext bytes of segment i. */
export function segmentCipherSize(plainSize: number, i: number): number {
  const n = segmentCount(plainSize);
  if (i < n - 1) return STREAM_FULL_SEGMENT_CT;
  return encryptedSegmentSize(plainSize - (n - 1) * STREAM_SEGMENT_SIZE);
}

/** Total ciphertext size (what the SDP file-selector size and MSRP Byte-Range totals carry). */
export function cipherSize(plainSize: number): number {
  const n = segmentCount(plainSize);
  return (n - 1) * STREAM_FULL_SEGMENT_CT + segmentCipherSize(plainSize, n - 1);
}

/** Resume mapping: segment index -> ciphertext offset and plaintext offset. */
export function segmentOffsets(segment: number): { cipher: number; plain: number } {
  return { cipher: segment * STREAM_FULL_SEGMENT_CT, plain: segment * STREAM_SEGMENT_SIZE };
}

/** Seal the manifest under the session-derived key (a one-segment secretstream; a fresh key per session and transfer). */
export function sealManifest(manifestKey: Uint8Array, m: FileManifest): Uint8Array {
  return sealSegment(manifestKey, 0, new TextEncoder().encode(JSON.stringify(m)), true);
}

/** Open and validate a sealed manifest: E2E_TAMPERED when it does not authenticate, FILE_MANIFEST_BAD when malformed. */
export function openManifest(manifestKey: Uint8Array, sealed: Uint8Array): FileManifest & { fileKey: Uint8Array } {
  if (sealed.length > MAX_MANIFEST_BYTES) throw new ParleyError('FILE_MANIFEST_BAD', 'manifest too large');
  const { plaintext, final } = openSegment(manifestKey, 0, sealed);
  if (!final) throw new ParleyError('E2E_TAMPERED', 'manifest truncated');
  let m: FileManifest;
  try {
    m = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext)) as FileManifest;
  } catch {
    throw new ParleyError('FILE_MANIFEST_BAD', 'manifest is not UTF-8 JSON');
  }
  const bad = (w: string) => new ParleyError('FILE_MANIFEST_BAD', `manifest: ${w}`);
  if (!m || typeof m !== 'object' || m.v !== MANIFEST_VERSION) throw bad('unsupported version');
  if (typeof m.name !== 'string' || !m.name || Buffer.byteLength(m.name) > 1024) throw bad('bad name');
  if (typeof m.type !== 'string' || m.type.length > 255) throw bad('bad type');
  if (!Number.isSafeInteger(m.size) || m.size < 0) throw bad('bad size');
  if (typeof m.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(m.sha256)) throw bad('bad sha256');
  if (m.modified !== undefined && typeof m.modified !== 'string') throw bad('bad modified');
  const fileKey = fromB64(String(m.key), 'FILE_MANIFEST_BAD');
  if (fileKey.length !== 32) throw bad('bad key');
  return { ...m, fileKey };
}

export function manifestFor(o: {
  name: string;
  type: string;
  size: number;
  sha256: string;
  fileKey: Uint8Array;
  modified?: string;
}): FileManifest {
  return { v: MANIFEST_VERSION, name: o.name, type: o.type, size: o.size, sha256: o.sha256, key: toB64(o.fileKey), modified: o.modified };
}

/** Segments being opened at once by a receiver (crypto-pool workers); beyond this the MSRP connection stops reading. */
export const OPEN_AHEAD_SEGMENTS = 4;

/**
 * Incremental segment opener for the receiver: collects incoming ciphertext into one fresh buffer per segment and hands
 * each complete segment (its length is known) to the crypto pool, several at a time; onPlain gets each verified segment's
 * plaintext in order. The first segment that does not authenticate (E2E_TAMPERED) goes to onFail (once), fails settled()
 * and stops delivery.
 */
export class SegmentOpener {
  private buf: Buffer | undefined;
  private fill = 0;
  private index: number;
  private readonly count: number;
  private chain: Promise<void> = Promise.resolve();
  private opening = 0;
  private failure: unknown;
  private readonly spare: ArrayBuffer[] = []; // full-segment buffers back from the pool, reused (flat memory, no GC churn)

  constructor(
    private readonly fileKey: Uint8Array,
    private readonly plainSize: number,
    startSegment: number,
    private readonly onPlain: (plain: Uint8Array, segment: number) => void | Promise<void>,
    private readonly onFail: (error: unknown) => void,
  ) {
    this.index = startSegment;
    this.count = segmentCount(plainSize);
  }

  /** Index of the next segment to collect. */
  get nextSegment(): number {
    return this.index;
  }
  /** Every segment was collected (the last one may still be opening: await settled()). */
  get done(): boolean {
    return this.index >= this.count;
  }
  /** Segments handed to the pool whose plaintext was not consumed yet (onPlain's promise not settled). */
  get inFlight(): number {
    return this.opening;
  }
  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** Feed ciphertext in order. Throws E2E_TAMPERED for data after the final segment. */
  push(data: Uint8Array): void {
    let off = 0;
    while (off < data.length) {
      if (this.done) throw new ParleyError('E2E_TAMPERED', 'data after the final segment');
      const want = segmentCipherSize(this.plainSize, this.index);
      if (!this.buf) {
        const reuse = want === STREAM_FULL_SEGMENT_CT ? this.spare.pop() : undefined;
        this.buf = reuse ? Buffer.from(reuse, 0, want) : Buffer.allocUnsafe(want);
      }
      const n = Math.min(want - this.fill, data.length - off);
      this.buf.set(data.subarray(off, off + n), this.fill);
      this.fill += n;
      off += n;
      if (this.fill === want) this.submit(this.buf, this.index++);
    }
  }

  /** Resolves when every submitted segment was delivered; rejects with the first failure. */
  settled(): Promise<void> {
    return this.chain;
  }

  private submit(segment: Buffer, index: number): void {
    this.buf = undefined;
    this.fill = 0;
    this.opening++;
    const last = index === this.count - 1;
    const opened = openSegmentAsync(this.fileKey, index, segment); // the buffer may move to a worker
    opened.catch(() => {}); // reported through the chain, in order
    this.chain = this.chain.then(async () => {
      try {
        const seg = await opened;
        if (seg.final !== last)
          throw new ParleyError('E2E_TAMPERED', last ? 'final segment not marked final' : 'early final segment', { segment: index });
        await this.onPlain(seg.plaintext, index); // once consumed (written), the memory takes a later segment
        const mem = seg.plaintext.buffer;
        if (mem instanceof ArrayBuffer && mem.byteLength === STREAM_FULL_SEGMENT_CT && this.spare.length < 2) this.spare.push(mem);
      } finally {
        this.opening--;
      }
    });
    this.chain.catch((e: unknown) => {
      if (this.failure !== undefined) return;
      this.failure = e;
      this.onFail(e);
    });
  }
}
