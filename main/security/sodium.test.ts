import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initCrypto, hkdf, Reader, lp16, u64, concat, random, x25519, fromB64url, fromB64, edPkToX, S } from './sodium';
import { isParleyError } from '../base/errors';

before(async () => {
  await initCrypto();
});

const hex = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

test('hkdf(ikm, salt, info) is HKDF-SHA-256: RFC 5869 test case 1', () => {
  const okm = hkdf(hex('0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b'), hex('000102030405060708090a0b0c'), hex('f0f1f2f3f4f5f6f7f8f9'), 42);
  assert.deepEqual(okm, hex('3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865'));
});

test('Reader: bounds, lp16 limits, trailing bytes all raise the given code', () => {
  const buf = concat(lp16('abc'), u64(7));
  const r = new Reader(buf, 'E2E_BAD_FORMAT');
  assert.equal(r.str16(), 'abc');
  assert.equal(r.u64(), 7n);
  r.end();
  assert.throws(
    () => r.u8(),
    (e) => isParleyError(e, 'E2E_BAD_FORMAT'),
  );
  assert.throws(
    () => new Reader(lp16('abcdef'), 'E2E_BAD_FORMAT').lp16(3),
    (e) => isParleyError(e, 'E2E_BAD_FORMAT'),
  );
  assert.throws(
    () => new Reader(new Uint8Array([0, 1, 0xff]), 'E2E_BAD_FORMAT').str16(),
    (e) => isParleyError(e, 'E2E_BAD_FORMAT'),
    'invalid UTF-8',
  );
  assert.throws(
    () => new Reader(new Uint8Array(3), 'E2E_BAD_FORMAT').end(),
    (e) => isParleyError(e, 'E2E_BAD_FORMAT'),
  );
});

test('random bytes are fresh; small-order X25519 keys are refused; base64 decoders are strict', () => {
  assert.notDeepEqual(random(32), random(32));
  assert.equal(random(200_000).length, 200_000);
  assert.throws(
    () => x25519(random(32), new Uint8Array(32)),
    (e) => isParleyError(e, 'E2E_BAD_FORMAT'),
  );
  assert.throws(
    () => fromB64url('a+b', 'KEY_MSG_BAD_FORMAT'),
    (e) => isParleyError(e, 'KEY_MSG_BAD_FORMAT'),
  );
  assert.throws(
    () => fromB64url('AAAA', 'KEY_MSG_BAD_FORMAT', 4),
    (e) => isParleyError(e, 'KEY_MSG_BAD_FORMAT'),
  );
  assert.throws(
    () => fromB64('A', 'KEY_MSG_BAD_FORMAT'),
    (e) => isParleyError(e, 'KEY_MSG_BAD_FORMAT'),
  );
  assert.deepEqual(fromB64(' AQID\r\n', 'KEY_MSG_BAD_FORMAT'), new Uint8Array([1, 2, 3]));
  const kp = S().crypto_sign_keypair();
  assert.deepEqual(edPkToX(kp.publicKey), S().crypto_sign_ed25519_pk_to_curve25519(kp.publicKey));
  assert.deepEqual(edPkToX(kp.publicKey), edPkToX(kp.publicKey), 'memoized result is stable');
});
