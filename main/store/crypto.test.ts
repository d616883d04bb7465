import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StoreCrypto, decodePayload, encodePayload, rowAd, PAD_BLOCK, SEAL_FORMAT_V1 } from './crypto';
import { isParleyError } from '../base/errors';
import { key } from './testutil';

const enc = new TextEncoder();

test('seal/open round-trips, with fresh nonces and padded lengths', async () => {
  const c = await StoreCrypto.create(key(1), StoreCrypto.newSalt());
  const ad = rowAd(['msg', 1, 2]);
  const a = c.seal(enc.encode('hello'), ad);
  const b = c.seal(enc.encode('hello'), ad);
  assert.equal(a[0], SEAL_FORMAT_V1);
  assert.notDeepEqual(a, b);
  assert.deepEqual(c.open(a, ad), enc.encode('hello'));
  assert.equal(c.seal(enc.encode('x'.repeat(27)), ad).length, c.seal(new Uint8Array(0), ad).length, 'same pad block');
  assert.equal(c.seal(enc.encode('x'.repeat(29)), ad).length - c.seal(new Uint8Array(0), ad).length, PAD_BLOCK);
  assert.deepEqual(c.open(c.seal(new Uint8Array(0), ad), ad), new Uint8Array(0));
});

test('open returns null for other AD, other key, truncation, bit flips and unknown versions', async () => {
  const salt = StoreCrypto.newSalt();
  const c = await StoreCrypto.create(key(1), salt);
  const other = await StoreCrypto.create(key(2), salt);
  const ad = rowAd(['msg', 1, 2]);
  const blob = c.seal(enc.encode('secret'), ad);
  assert.equal(c.open(blob, rowAd(['msg', 2, 2])), null);
  assert.equal(c.open(blob, rowAd(['msg', 1, 3])), null);
  assert.equal(other.open(blob, ad), null);
  assert.equal(c.open(blob.subarray(0, 20), ad), null);
  assert.equal(c.open(new Uint8Array(0), ad), null);
  for (const i of [0, 1, 30, blob.length - 1]) {
    const x = blob.slice();
    x[i] ^= 0x80;
    assert.equal(c.open(x, ad), null, `flip at ${i}`);
  }
});

test('AD encoding is unambiguous for fields containing separators', () => {
  assert.notDeepEqual(rowAd(['a|b', 'c']), rowAd(['a', 'b|c']));
  assert.notDeepEqual(rowAd(['1', 2]), rowAd([1, '2']));
  assert.notDeepEqual(rowAd([null]), rowAd(['null']));
});

test('key check value depends on key and salt; bad key length is STORE_BAD_KEY', async () => {
  const salt = StoreCrypto.newSalt();
  const a = await StoreCrypto.create(key(1), salt);
  assert.ok(a.matchesKcv(a.kcv));
  assert.equal(a.matchesKcv((await StoreCrypto.create(key(2), salt)).kcv), false);
  assert.equal(a.matchesKcv((await StoreCrypto.create(key(1), StoreCrypto.newSalt())).kcv), false);
  assert.equal(a.matchesKcv(a.kcv.subarray(1)), false);
  await assert.rejects(StoreCrypto.create(new Uint8Array(31), salt), (e) => isParleyError(e, 'STORE_BAD_KEY'));
});

test('payload encoding keeps nickname presence, text vs binary, NULs', () => {
  const bin = new Uint8Array([0, 0, 1]);
  assert.deepEqual(decodePayload(encodePayload('Nick', bin, true)), { nickname: 'Nick', body: bin });
  assert.deepEqual(decodePayload(encodePayload(null, enc.encode('a\u0000b'), false)), { nickname: null, body: 'a\u0000b' });
  assert.deepEqual(decodePayload(encodePayload('', enc.encode(''), false)), { nickname: '', body: '' });
  assert.equal(decodePayload(new Uint8Array([0, 0xff, 0xff, 1])), null);
});
