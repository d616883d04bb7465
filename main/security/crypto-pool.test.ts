import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as nodeCrypto from 'node:crypto';
import { CryptoPool, nativeEligible, sealedSize, secretstreamCore } from './crypto-pool';
import {
  openSegment,
  openSegmentAsync,
  sealSegment,
  sealSegmentAsync,
  segmentBuffer,
  segmentKey,
  STREAM_CHUNK_SIZE,
  STREAM_FULL_SEGMENT_CT,
  STREAM_SEGMENT_SIZE,
} from './secret-stream';
import { initCrypto } from './sodium';
import { isParleyError } from '../base/errors';

const core = secretstreamCore(nodeCrypto);
const fileKey = nodeCrypto.randomBytes(32);
/** A segment buffer holding `pt` at its tail, ready to be sealed in place. */
function inPlace(pt: Uint8Array): Buffer {
  const { buf, plain } = segmentBuffer(pt.length);
  plain.set(pt);
  return buf;
}
const lengths = [0, 8, 16, 24, 1000 * 16, STREAM_CHUNK_SIZE, STREAM_CHUNK_SIZE + 8, 3 * STREAM_CHUNK_SIZE + 40, STREAM_SEGMENT_SIZE];

before(async () => {
  await initCrypto();
});

test('native seal is opened by libsodium, and libsodium seal by the native open, at every eligible length', () => {
  for (const len of lengths) {
    assert.ok(nativeEligible(len), `${len}`);
    for (const final of len === STREAM_SEGMENT_SIZE ? [true, false] : [true]) {
      const pt = nodeCrypto.randomBytes(len);
      const native = core.seal(segmentKey(fileKey, 5), pt, final);
      const a = openSegment(fileKey, 5, native);
      assert.deepEqual([Buffer.from(a.plaintext), a.final], [pt, final], `libsodium opens native, ${len}`);
      const sodium = sealSegment(fileKey, 5, pt, final);
      assert.equal(sodium.length, native.length);
      const b = core.open(segmentKey(fileKey, 5), sodium);
      assert.deepEqual([b.plaintext, b.final], [pt, final], `native opens libsodium, ${len}`);
    }
  }
});

test('lengths the AEAD padding does not cover go to libsodium', () => {
  for (const len of [1, 7, 9, 15, STREAM_CHUNK_SIZE + 3]) assert.equal(nativeEligible(len), false);
});

test('native open refuses every single-byte change, a wrong key or index, truncation and data after the final chunk', () => {
  const pt = nodeCrypto.randomBytes(2 * STREAM_CHUNK_SIZE + 32);
  const ct = sealSegment(fileKey, 1, pt, true);
  const key = segmentKey(fileKey, 1);
  const tampered = (c: Uint8Array, k = key) => assert.throws(() => core.open(k, c), /tampered/);
  for (const at of [0, 16, 23, 24, 25, 24 + STREAM_CHUNK_SIZE + 16, ct.length - 40, ct.length - 1]) {
    const c = Buffer.from(ct);
    c[at] ^= 1;
    tampered(c);
  }
  tampered(ct, segmentKey(fileKey, 2));
  tampered(ct.subarray(0, 24 + STREAM_CHUNK_SIZE + 17)); // first chunk alone: tag MESSAGE, not final
  tampered(ct.subarray(0, ct.length - 5)); // cut inside the last chunk
  tampered(ct.subarray(0, 30)); // shorter than one chunk
  const twoSegments = Buffer.concat([ct, Buffer.from(sealSegment(fileKey, 1, Buffer.alloc(16), true)).subarray(24)]);
  tampered(twoSegments.subarray(0, Math.min(twoSegments.length, STREAM_FULL_SEGMENT_CT)));
});

test('pool: async seal/open give the same bytes format as libsodium, in order, through worker threads', async () => {
  const pool = new CryptoPool(2);
  try {
    const inputs = Array.from({ length: 12 }, (_, i) => nodeCrypto.randomBytes(i % 3 === 0 ? STREAM_SEGMENT_SIZE : 16 * (i + 1)));
    const sealed = await Promise.all(inputs.map((p, i) => pool.seal(segmentKey(fileKey, i), inPlace(p), p.length < STREAM_SEGMENT_SIZE)));
    for (let i = 0; i < inputs.length; i++) assert.equal(sealed[i].length, sealedSize(inputs[i].length));
    for (let i = 0; i < inputs.length; i++) assert.deepEqual(Buffer.from(openSegment(fileKey, i, sealed[i]).plaintext), inputs[i]);
    const opened = await Promise.all(inputs.map((p, i) => pool.open(segmentKey(fileKey, i), sealSegment(fileKey, i, p, true))));
    for (let i = 0; i < inputs.length; i++) assert.deepEqual([Buffer.from(opened[i].plaintext), opened[i].final], [inputs[i], true]);
    const bad = Buffer.from(sealed[1]);
    bad[30] ^= 0x80;
    await assert.rejects(pool.open(segmentKey(fileKey, 1), bad), (e) => isParleyError(e, 'E2E_TAMPERED'));
    assert.equal(pool.pending, 0);
  } finally {
    await pool.close();
  }
});

test('in place: the ciphertext and the plaintext come back in the memory that went in (no allocation per segment)', async () => {
  const pool = new CryptoPool(1);
  try {
    const pt = nodeCrypto.randomBytes(STREAM_SEGMENT_SIZE);
    const buf = inPlace(pt);
    const mem = buf.buffer;
    const ct = await pool.seal(segmentKey(fileKey, 4), buf, false);
    assert.equal(mem.byteLength, 0, 'moved to the worker');
    assert.equal(ct.length, STREAM_FULL_SEGMENT_CT);
    assert.deepEqual(Buffer.from(openSegment(fileKey, 4, ct).plaintext), pt);
    const back = await pool.open(segmentKey(fileKey, 4), ct);
    assert.equal(back.plaintext.buffer.byteLength, STREAM_FULL_SEGMENT_CT, 'plaintext at the front of the same segment memory');
    assert.deepEqual(Buffer.from(back.plaintext), pt);
  } finally {
    await pool.close();
  }
});

test('pool of size 0 runs on the calling thread', async () => {
  const pool = new CryptoPool(0);
  const pt = nodeCrypto.randomBytes(4096);
  const ct = await pool.seal(segmentKey(fileKey, 9), inPlace(pt), true);
  assert.deepEqual(Buffer.from(openSegment(fileKey, 9, ct).plaintext), pt);
  await assert.rejects(pool.open(segmentKey(fileKey, 8), ct), (e) => isParleyError(e, 'E2E_TAMPERED'));
});

test('sealSegmentAsync / openSegmentAsync: any length, libsodium fallback, same checks as the synchronous pair', async () => {
  for (const len of [0, 1, 9, 100, STREAM_CHUNK_SIZE + 3, STREAM_SEGMENT_SIZE]) {
    const pt = nodeCrypto.randomBytes(len);
    const ct = await sealSegmentAsync(fileKey, 3, inPlace(pt), true);
    assert.deepEqual(Buffer.from(openSegment(fileKey, 3, ct).plaintext), pt, `sync open ${len}`);
    const r = await openSegmentAsync(fileKey, 3, sealSegment(fileKey, 3, pt, true));
    assert.deepEqual([Buffer.from(r.plaintext), r.final], [pt, true], `async open ${len}`);
  }
  await assert.rejects(sealSegmentAsync(fileKey, 0, inPlace(Buffer.alloc(16)), false), (e) => isParleyError(e, 'E2E_BAD_FORMAT'));
  await assert.rejects(openSegmentAsync(fileKey, 0, Buffer.alloc(20)), (e) => isParleyError(e, 'E2E_TAMPERED'));
  const tooLong = Buffer.concat([sealSegment(fileKey, 0, Buffer.alloc(32), true), Buffer.alloc(STREAM_FULL_SEGMENT_CT)]);
  await assert.rejects(openSegmentAsync(fileKey, 0, tooLong), (e) => isParleyError(e, 'E2E_TAMPERED'));
  const shortNonFinal = core.seal(segmentKey(fileKey, 0), Buffer.alloc(32), false); // a peer could send this
  await assert.rejects(openSegmentAsync(fileKey, 0, shortNonFinal), /not full/);
});
