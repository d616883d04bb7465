import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createKeyRequest, verifyKeyRequest, createKeyResponse, verifyKeyResponse } from './key-request';
import { LocalIdentity } from './identity';
import { initCrypto } from './sodium';
import { isParleyError } from '../base/errors';

let alice: LocalIdentity, bob: LocalIdentity, mallory: LocalIdentity;
const NOW = 1_800_000_000_000;
before(async () => {
  await initCrypto();
  alice = LocalIdentity.generate('sip:alice@example.com');
  bob = LocalIdentity.generate('sip:bob@example.com');
  mallory = LocalIdentity.generate('sip:mallory@example.com');
});

test('request -> response -> verified key', () => {
  const req = createKeyRequest(alice, 'sip:bob@example.com', NOW);
  assert.equal(req.contentType, 'application/vnd.parley.key-request+json');
  const got = verifyKeyRequest(req.body, { sipFrom: '<sip:alice@example.com>;tag=1', me: bob.aor, now: NOW + 1000 });
  assert.deepEqual(got.key, alice.publicKey);
  const resp = createKeyResponse(bob, got, { now: NOW + 2000 });
  const info = verifyKeyResponse(resp.body, { sipFrom: 'sip:bob@example.com', me: alice, pending: req.pending, now: NOW + 3000 });
  assert.deepEqual(info.key, bob.publicKey);
  assert.equal(info.pskAuthenticated, false);
});

test('tampering, wrong party, wrong request, stale and malformed are typed errors', () => {
  const req = createKeyRequest(alice, bob.aor, NOW);
  const o = JSON.parse(req.body);
  const swapped = JSON.stringify({ ...o, key: JSON.parse(createKeyRequest(mallory, bob.aor, NOW).body).key });
  assert.throws(
    () => verifyKeyRequest(swapped, { sipFrom: alice.aor, me: bob.aor, now: NOW }),
    (e) => isParleyError(e, 'KEY_MSG_BAD_SIGNATURE'),
  );
  assert.throws(
    () => verifyKeyRequest(req.body, { sipFrom: mallory.aor, me: bob.aor, now: NOW }),
    (e) => isParleyError(e, 'KEY_MSG_MISMATCH'),
  );
  assert.throws(
    () => verifyKeyRequest(req.body, { sipFrom: alice.aor, me: mallory.aor, now: NOW }),
    (e) => isParleyError(e, 'KEY_MSG_MISMATCH'),
  );
  assert.throws(
    () => verifyKeyRequest(req.body, { sipFrom: alice.aor, me: bob.aor, now: NOW + 11 * 60_000 }),
    (e) => isParleyError(e, 'KEY_MSG_STALE'),
  );
  // {"v":{"toString":[]}} cannot be turned into a string: found by parsers.property.test.ts (it threw a TypeError).
  const bad = ['', '[]', '{"v":2,"type":"key-request"}', '{"v":{"toString":[]}}', JSON.stringify({ ...o, nonce: 'x' }), 'x'.repeat(5000)];
  for (const b of bad) {
    assert.throws(
      () => verifyKeyRequest(b, { sipFrom: alice.aor, me: bob.aor, now: NOW }),
      (e) => isParleyError(e, 'KEY_MSG_BAD_FORMAT'),
      b.slice(0, 30),
    );
  }
  const got = verifyKeyRequest(req.body, { sipFrom: alice.aor, me: bob.aor, now: NOW });
  const other = createKeyRequest(alice, bob.aor, NOW);
  const resp = createKeyResponse(bob, got, { now: NOW });
  assert.throws(
    () => verifyKeyResponse(resp.body, { sipFrom: bob.aor, me: alice, pending: other.pending, now: NOW }),
    (e) => isParleyError(e, 'KEY_MSG_MISMATCH'),
  );
  // Mallory answers with her own identity: signed correctly, but "from" is not the AoR the request went to.
  const forged = createKeyResponse(mallory, got, { now: NOW });
  assert.throws(
    () => verifyKeyResponse(forged.body, { sipFrom: bob.aor, me: alice, pending: req.pending, now: NOW }),
    (e) => isParleyError(e, 'KEY_MSG_MISMATCH'),
  );
});

test('PSK MAC defeats key substitution by a proxy that controls the SIP From', () => {
  const psk = new Uint8Array(32).fill(4);
  const req = createKeyRequest(alice, bob.aor, NOW);
  const got = verifyKeyRequest(req.body, { sipFrom: alice.aor, me: bob.aor, now: NOW });
  const good = createKeyResponse(bob, got, { psk, now: NOW });
  assert.equal(verifyKeyResponse(good.body, { sipFrom: bob.aor, me: alice, pending: req.pending, psk, now: NOW }).pskAuthenticated, true);
  const malloryAsBob = LocalIdentity.generate(bob.aor);
  const sub = createKeyResponse(malloryAsBob, got, { now: NOW });
  // Without a PSK the substitution is indistinguishable (TOFU); with one it is refused.
  assert.deepEqual(
    verifyKeyResponse(sub.body, { sipFrom: bob.aor, me: alice, pending: req.pending, now: NOW }).key,
    malloryAsBob.publicKey,
  );
  assert.throws(
    () => verifyKeyResponse(sub.body, { sipFrom: bob.aor, me: alice, pending: req.pending, psk, now: NOW }),
    (e) => isParleyError(e, 'KEY_MAC_MISMATCH'),
  );
  const subWithGuess = createKeyResponse(malloryAsBob, got, { psk: new Uint8Array(32).fill(5), now: NOW });
  assert.throws(
    () => verifyKeyResponse(subWithGuess.body, { sipFrom: bob.aor, me: alice, pending: req.pending, psk, now: NOW }),
    (e) => isParleyError(e, 'KEY_MAC_MISMATCH'),
  );
});
