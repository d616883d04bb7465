import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PeerKeys, type PeerKeyEvent } from './peers';
import { KeyStore } from './keystore';
import { PassphraseWrapper, insecureTestParams } from './key-wrapper';
import { initCrypto, S } from './sodium';
import { isParleyError } from '../base/errors';
import { normalizeAoR } from './aor';

let dir: string;
before(async () => {
  await initCrypto();
  dir = await mkdtemp(join(tmpdir(), 'parley-peers-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const key = () => S().crypto_sign_keypair().publicKey;

test('normalizeAoR', () => {
  assert.equal(normalizeAoR('"Bob" <SIPS:bob@Example.ORG:5061;transport=tls>'), 'sip:bob@example.org');
  assert.equal(normalizeAoR('sip:Bob@example.org;user=phone?subject=x'), 'sip:Bob@example.org');
  assert.equal(normalizeAoR('sip:bob@127.0.0.1:5070'), 'sip:bob@127.0.0.1:5070');
  assert.equal(normalizeAoR('tel:+1-555-0100;phone-context=x'), 'tel:+15550100');
  for (const bad of ['bob@example.org', 'http://x', 'sip:@x', 'sip:a@b c', '<sip:a@b']) {
    assert.throws(
      () => normalizeAoR(bad),
      (e) => isParleyError(e, 'SEC_BAD_AOR'),
      bad,
    );
  }
});

test('TOFU, change blocks sending until accepted, events, persisted in the key store', async () => {
  const path = join(dir, 'p.ks');
  const ks = await KeyStore.create(path, new PassphraseWrapper('x', insecureTestParams()), { aor: 'sip:alice@example.com' });
  const peers = PeerKeys.fromKeyStore(ks);
  const seen: PeerKeyEvent[] = [];
  peers.onEvent((e) => seen.push(e));
  const k1 = key();
  const k2 = key();
  assert.equal(peers.state('sip:bob@example.com'), 'unknown');
  assert.equal(peers.assertCanSend('sip:bob@example.com'), 'unknown');
  assert.equal(await peers.observe('<sip:bob@EXAMPLE.com;transport=tcp>', k1), 'unverified');
  assert.equal(await peers.observe('sip:bob@example.com', k1), 'unverified');
  assert.equal(peers.assertCanSend('sip:bob@example.com'), 'unverified');
  await peers.markVerified('sip:bob@example.com', k1);
  assert.equal(peers.state('sip:bob@example.com'), 'verified');

  assert.equal(await peers.observe('sip:bob@example.com', k2, 'key-response'), 'changed');
  assert.throws(
    () => peers.assertCanSend('sip:bob@example.com'),
    (e) => isParleyError(e, 'PEER_KEY_CHANGED'),
  );
  assert.deepEqual(peers.pinnedKey('sip:bob@example.com'), k1, 'old pin kept until accepted');
  await assert.rejects(peers.markVerified('sip:bob@example.com', k2), (e) => isParleyError(e, 'PEER_KEY_MISMATCH'));

  // reopen: the changed state survives a restart
  await ks.close();
  const ks2 = await KeyStore.open(path, new PassphraseWrapper('x', insecureTestParams()));
  const peers2 = PeerKeys.fromKeyStore(ks2);
  assert.equal(peers2.state('sip:bob@example.com'), 'changed');
  assert.throws(
    () => peers2.assertCanSend('sip:bob@example.com'),
    (e) => isParleyError(e, 'PEER_KEY_CHANGED'),
  );
  await peers2.acceptChangedKey('sip:bob@example.com');
  assert.equal(peers2.assertCanSend('sip:bob@example.com'), 'unverified');
  assert.deepEqual(peers2.pinnedKey('sip:bob@example.com'), k2);
  await assert.rejects(peers2.acceptChangedKey('sip:bob@example.com'), (e) => isParleyError(e, 'PEER_NO_CHANGE'));
  const kinds = peers2.events('sip:bob@example.com').map((e) => e.kind);
  assert.deepEqual(kinds, ['pinned', 'verified', 'changed', 'accepted']);
  assert.equal(peers2.events('sip:bob@example.com')[2].wasVerified, true);
  assert.deepEqual(
    seen.map((e) => e.kind),
    ['pinned', 'verified', 'changed'],
  );
  await ks2.close();
});

test('concurrent first observations pin exactly one key', async () => {
  let saved: unknown;
  const peers = new PeerKeys({ load: () => undefined, save: async (s) => void (saved = s) });
  const [a, b] = [key(), key()];
  const states = await Promise.all([peers.observe('sip:c@x.org', a), peers.observe('sip:c@x.org', b)]);
  assert.deepEqual(states, ['unverified', 'changed']);
  assert.ok(saved);
});
