// Segmented crypto_secretstream_xchacha20poly1305 for large MSRP bodies and files (RFC 4975 chunking, RFC 5547 resume); docs/security.md s.5.5.
import { ParleyError } from '../base/errors';
import { S, concat, u64, utf8, h256, wipe } from './sodium';
import { cryptoPool, nativeEligible, sealedSize } from './crypto-pool';

export const STREAM_SEGMENT_SIZE = 1024 * 1024;
export const STREAM_CHUNK_SIZE = 64 * 1024;
const HEADER = 24;
const ABYTES = 17;
/** Ciphertext size of every non-final segment. */
export const STREAM_FULL_SEGMENT_CT = HEADER + (STREAM_SEGMENT_SIZE / STREAM_CHUNK_SIZE) * (STREAM_CHUNK_SIZE + ABYTES);

export function segmentKey(fileKey: Uint8Array, index: number): Uint8Array {
  if (fileKey.length !== 32) throw new ParleyError('SEC_BAD_KEY', 'stream key must be 32 bytes');
  return h256(concat(utf8('seg'), u64(index)), fileKey);
}

/** Ciphertext length of a segment holding `plainLen` bytes. */
export function encryptedSegmentSize(plainLen: number): number {
  const chunks = Math.max(1, Math.ceil(plainLen / STREAM_CHUNK_SIZE));
  return HEADER + plainLen + chunks * ABYTES;
}

/** Encrypt one segment. Non-final segments must hold exactly STREAM_SEGMENT_SIZE bytes. */
export function sealSegment(fileKey: Uint8Array, index: number, plaintext: Uint8Array, final: boolean): Uint8Array {
  const s = S();
  if (!final && plaintext.length !== STREAM_SEGMENT_SIZE) throw new ParleyError('E2E_BAD_FORMAT', 'non-final segment must be full');
  if (plaintext.length > STREAM_SEGMENT_SIZE) throw new ParleyError('E2E_BAD_FORMAT', 'segment too large');
  const key = segmentKey(fileKey, index);
  const { state, header } = s.crypto_secretstream_xchacha20poly1305_init_push(key);
  wipe(key);
  const out: Uint8Array[] = [header];
  const n = Math.max(1, Math.ceil(plaintext.length / STREAM_CHUNK_SIZE));
  for (let i = 0; i < n; i++) {
    const last = i === n - 1;
    const tag = last
      ? final
        ? s.crypto_secretstream_xchacha20poly1305_TAG_FINAL
        : s.crypto_secretstream_xchacha20poly1305_TAG_PUSH
      : s.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
    out.push(
      s.crypto_secretstream_xchacha20poly1305_push(
        state,
        plaintext.subarray(i * STREAM_CHUNK_SIZE, (i + 1) * STREAM_CHUNK_SIZE),
        null,
        tag,
      ),
    );
  }
  return concat(...out);
}

/** Decrypt one segment; E2E_TAMPERED on any failure (wrong index, reordering, truncation, modification). */
export function openSegment(fileKey: Uint8Array, index: number, ciphertext: Uint8Array): { plaintext: Uint8Array; final: boolean } {
  const s = S();
  if (ciphertext.length < HEADER + ABYTES || ciphertext.length > STREAM_FULL_SEGMENT_CT)
    throw new ParleyError('E2E_TAMPERED', 'segment size invalid');
  const key = segmentKey(fileKey, index);
  let state;
  try {
    state = s.crypto_secretstream_xchacha20poly1305_init_pull(ciphertext.subarray(0, HEADER), key);
  } finally {
    wipe(key);
  }
  const parts: Uint8Array[] = [];
  let off = HEADER;
  let lastTag = -1;
  while (off < ciphertext.length) {
    if (lastTag !== -1 && lastTag !== s.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE)
      throw new ParleyError('E2E_TAMPERED', 'data after end of segment');
    const c = ciphertext.subarray(off, off + STREAM_CHUNK_SIZE + ABYTES);
    off += c.length;
    const r = s.crypto_secretstream_xchacha20poly1305_pull(state, c, null);
    if (!r) throw new ParleyError('E2E_TAMPERED', 'stream chunk does not authenticate', { segment: index });
    parts.push(r.message);
    lastTag = r.tag;
  }
  const final = lastTag === s.crypto_secretstream_xchacha20poly1305_TAG_FINAL;
  if (!final && lastTag !== s.crypto_secretstream_xchacha20poly1305_TAG_PUSH) throw new ParleyError('E2E_TAMPERED', 'segment truncated');
  const plaintext = concat(...parts);
  if (!final && plaintext.length !== STREAM_SEGMENT_SIZE) throw new ParleyError('E2E_TAMPERED', 'non-final segment is not full');
  return { plaintext, final };
}

/** Plaintext bytes of a segment whose ciphertext is `ctLen` bytes long (-1 when no segment has that length). */
function plainLength(ctLen: number): number {
  if (ctLen < HEADER + ABYTES || ctLen > STREAM_FULL_SEGMENT_CT) return -1;
  return ctLen - HEADER - Math.ceil((ctLen - HEADER) / (STREAM_CHUNK_SIZE + ABYTES)) * ABYTES;
}

/**
 * A buffer to seal one segment in place (`reuse`: memory of an earlier segment of the same size that nothing references
 * any more): read the plaintext into `plain` (its tail), then pass `buf` to sealSegmentAsync.
 */
export function segmentBuffer(plainLen: number, reuse?: ArrayBuffer): { buf: Buffer; plain: Buffer } {
  const size = sealedSize(plainLen);
  const buf = reuse && reuse.byteLength === size ? Buffer.from(reuse) : Buffer.allocUnsafe(size);
  return { buf, plain: buf.subarray(buf.length - plainLen) };
}

/**
 * sealSegment off the calling thread (crypto-pool.ts: OpenSSL in worker threads), same bytes. `buf` comes from
 * segmentBuffer() with the plaintext in place; it is detached (moved to a worker) and the ciphertext comes back in the same
 * memory. Segments whose last chunk length the native construction does not cover (only a file's last segment can have
 * one) are sealed here with libsodium.
 */
export function sealSegmentAsync(fileKey: Uint8Array, index: number, buf: Uint8Array, final: boolean): Promise<Uint8Array> {
  try {
    const plainLen = plainLength(buf.length);
    if (plainLen < 0) throw new ParleyError('E2E_BAD_FORMAT', 'not a segment buffer');
    if (!final && plainLen !== STREAM_SEGMENT_SIZE) throw new ParleyError('E2E_BAD_FORMAT', 'non-final segment must be full');
    if (!nativeEligible(plainLen)) return Promise.resolve(sealSegment(fileKey, index, buf.subarray(buf.length - plainLen), final));
    return cryptoPool().seal(segmentKey(fileKey, index), buf, final);
  } catch (e) {
    return Promise.reject(e);
  }
}

/**
 * openSegment off the calling thread (see sealSegmentAsync); rejects with E2E_TAMPERED. `ciphertext` is detached; the
 * plaintext comes back at the front of the same memory (reusable for the next segment once the plaintext is consumed).
 */
export async function openSegmentAsync(
  fileKey: Uint8Array,
  index: number,
  ciphertext: Uint8Array,
): Promise<{ plaintext: Uint8Array; final: boolean }> {
  const plainLen = plainLength(ciphertext.length);
  if (plainLen < 0) throw new ParleyError('E2E_TAMPERED', 'segment size invalid');
  if (!nativeEligible(plainLen)) return openSegment(fileKey, index, ciphertext);
  const r = await cryptoPool().open(segmentKey(fileKey, index), ciphertext);
  if (!r.final && r.plaintext.length !== STREAM_SEGMENT_SIZE) throw new ParleyError('E2E_TAMPERED', 'non-final segment is not full');
  return r;
}

/** Where to resume a transfer after `receivedCipherBytes` arrived: the start of the first incomplete segment. */
export function resumePoint(receivedCipherBytes: number): { segment: number; cipherOffset: number; plainOffset: number } {
  const segment = Math.floor(receivedCipherBytes / STREAM_FULL_SEGMENT_CT);
  return { segment, cipherOffset: segment * STREAM_FULL_SEGMENT_CT, plainOffset: segment * STREAM_SEGMENT_SIZE };
}

/** Incremental encryptor: push plaintext in any pieces, get ciphertext; start at `startSegment` to resume. */
export class StreamEncryptor {
  #buf: Uint8Array[] = [];
  #len = 0;
  #index: number;
  #done = false;
  constructor(
    private readonly fileKey: Uint8Array,
    startSegment = 0,
  ) {
    this.#index = startSegment;
  }
  push(data: Uint8Array): Uint8Array {
    if (this.#done) throw new ParleyError('E2E_STREAM_CLOSED', 'stream already finished');
    this.#buf.push(data);
    this.#len += data.length;
    const out: Uint8Array[] = [];
    if (this.#len > STREAM_SEGMENT_SIZE) {
      let all = concat(...this.#buf);
      // Keep at least one byte back so the last segment is always sealed by finish() with TAG_FINAL.
      while (all.length > STREAM_SEGMENT_SIZE) {
        out.push(sealSegment(this.fileKey, this.#index++, all.subarray(0, STREAM_SEGMENT_SIZE), false));
        all = all.subarray(STREAM_SEGMENT_SIZE);
      }
      this.#buf = [all.slice()];
      this.#len = all.length;
    }
    return concat(...out);
  }
  finish(): Uint8Array {
    if (this.#done) throw new ParleyError('E2E_STREAM_CLOSED', 'stream already finished');
    this.#done = true;
    return sealSegment(this.fileKey, this.#index++, concat(...this.#buf), true);
  }
}

/** Incremental decryptor; yields plaintext only for complete, verified segments. */
export class StreamDecryptor {
  #buf: Uint8Array = new Uint8Array(0);
  #index: number;
  #final = false;
  constructor(
    private readonly fileKey: Uint8Array,
    startSegment = 0,
  ) {
    this.#index = startSegment;
  }
  get done(): boolean {
    return this.#final;
  }
  /** Index of the next segment expected (resume point after a failure). */
  get nextSegment(): number {
    return this.#index;
  }
  push(data: Uint8Array): Uint8Array {
    if (this.#final) throw new ParleyError('E2E_TAMPERED', 'data after the final segment');
    this.#buf = concat(this.#buf, data);
    const out: Uint8Array[] = [];
    while (this.#buf.length >= STREAM_FULL_SEGMENT_CT && !this.#final) {
      const seg = openSegment(this.fileKey, this.#index, this.#buf.subarray(0, STREAM_FULL_SEGMENT_CT));
      out.push(seg.plaintext);
      this.#index++;
      this.#final = seg.final;
      this.#buf = this.#buf.slice(STREAM_FULL_SEGMENT_CT);
    }
    if (this.#final && this.#buf.length) throw new ParleyError('E2E_TAMPERED', 'data after the final segment');
    return concat(...out);
  }
  /** End of input: the remainder must be the final segment. */
  finish(): Uint8Array {
    if (this.#final) {
      if (this.#buf.length) throw new ParleyError('E2E_TAMPERED', 'data after the final segment');
      return new Uint8Array(0);
    }
    const seg = openSegment(this.fileKey, this.#index, this.#buf);
    if (!seg.final) throw new ParleyError('E2E_TAMPERED', 'stream truncated (no final segment)');
    this.#final = true;
    this.#index++;
    this.#buf = new Uint8Array(0);
    return seg.plaintext;
  }
}
