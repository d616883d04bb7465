import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { argon2id } from './argon2';
import { initCrypto, utf8 } from './sodium';

before(async () => {
  await initCrypto();
});

test('worker result equals in-thread crypto_pwhash; the event loop keeps running meanwhile', async () => {
  const s = await initCrypto();
  const salt = new Uint8Array(16).fill(3);
  const expected = s.crypto_pwhash(32, utf8('pw'), salt, 2, 32 * 1024 * 1024, s.crypto_pwhash_ALG_ARGON2ID13);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  const got = await argon2id(utf8('pw'), salt, 2, 32 * 1024 * 1024);
  clearInterval(timer);
  assert.deepEqual(got, expected);
  assert.ok(ticks > 0, 'timers fired while Argon2id ran');
  assert.notDeepEqual(await argon2id(utf8('pw2'), salt, 1, 8192), await argon2id(utf8('pw'), salt, 1, 8192));
});
