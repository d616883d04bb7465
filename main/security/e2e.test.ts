import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { E2EContext } from './e2e';
import { sealEnvelope, encodeEnvelopeBody } from './envelope';
import { SessionOffer, acceptSessionOffer } from './session-keys';
import { LocalIdentity } from './identity';
import { KeyStore } from './keystore';
import { PassphraseWrapper, insecureTestParams } from './key-wrapper';
import { initCrypto, utf8 } from './sodium';
import { isParleyError } from '../base/errors';

let dir: string;
before(async () => {
  await initCrypto();
  dir = await mkdtemp(join(tmpdir(), 'parley-e2e-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const mk = async (name: string) =>
  new E2EContext(
    await KeyStore.create(join(dir, `${name}.ks`), new PassphraseWrapper('pw', insecureTestParams()), { aor: `sip:${name}@example.com` }),
  );

test('key exchange by pinning, seal/open with TOFU, key change blocks the reply until accepted', async () => {
  const a = await mk('alice');
  const b = await mk('bob');
  assert.deepEqual(a.plan(['sip:bob@example.com']).missing, ['sip:bob@example.com']);
  assert.throws(
    () => a.seal(['sip:bob@example.com'], 'm1', Date.now(), utf8('x')),
    (e) => isParleyError(e, 'E2E_NO_RECIPIENT_KEY'),
  );
  await a.peers.observe('sip:bob@example.com', b.store.identity().publicKey, 'key-response');
  const { body, contentType } = a.seal(['sip:bob@example.com'], 'm1', Date.now(), utf8('hello'));
  assert.equal(contentType, 'application/vnd.parley.e2e');
  await assert.rejects(b.open(body, 'sip:mallory@example.com'), (e) => isParleyError(e, 'E2E_SENDER_MISMATCH'));
  const got = await b.open(body, '<sip:alice@example.com>;tag=9');
  assert.equal(new TextDecoder().decode(got.plaintext), 'hello');
  assert.equal(b.peers.state('sip:alice@example.com'), 'unverified');
  await assert.rejects(b.open(body, 'sip:alice@example.com'), (e) => isParleyError(e, 'E2E_REPLAY'));

  // Alice reinstalls: new identity, same AoR.
  await rm(join(dir, 'alice.ks'));
  const a2 = await mk('alice');
  await a2.peers.observe('sip:bob@example.com', b.store.identity().publicKey);
  const second = a2.seal(['sip:bob@example.com'], 'm2', Date.now(), utf8('new phone'));
  const got2 = await b.open(second.body, 'sip:alice@example.com');
  assert.equal(got2.senderKeyStatus, 'changed');
  assert.throws(
    () => b.seal(['sip:alice@example.com'], 'r1', Date.now(), utf8('hi')),
    (e) => isParleyError(e, 'PEER_KEY_CHANGED'),
  );
  await b.peers.acceptChangedKey('sip:alice@example.com');
  const reply = b.seal(['sip:alice@example.com'], 'r1', Date.now(), utf8('hi'));
  assert.equal(new TextDecoder().decode((await a2.open(reply.body, 'sip:bob@example.com')).plaintext), 'hi');
  for (const c of [a, a2, b]) await c.store.close();
});

test('session peers are pinned on first use and a substituted session key is refused', async () => {
  const a = await mk('sa');
  const b = await mk('sb');
  await a.store.setPsk('sip:sb@example.com', new Uint8Array(32).fill(1));
  await b.store.setPsk('sip:sa@example.com', new Uint8Array(32).fill(1));
  const offer = new SessionOffer(a.store.signer());
  const { attribute, session: bs } = acceptSessionOffer(b.store.signer(), offer.attribute, b.sessionOptions('sip:sa@example.com'));
  const as = offer.complete(attribute, a.sessionOptions('sip:sb@example.com'));
  assert.equal(as.psk, true);
  assert.equal(await a.checkSessionPeer(as), 'unverified');
  assert.equal(await b.checkSessionPeer(bs), 'unverified');
  assert.deepEqual(bs.cipher.open(as.cipher.seal(utf8('x'))), utf8('x'));
  // Someone else answers as sb (different identity key, same AoR) without the PSK: keys differ and the pin catches it.
  const fake = LocalIdentity.generate('sip:sb@example.com');
  const offer2 = new SessionOffer(a.store.signer());
  const { attribute: fakeAnswer } = acceptSessionOffer(fake, offer2.attribute);
  const s2 = offer2.complete(fakeAnswer, a.sessionOptions('sip:sb@example.com'));
  await assert.rejects(a.checkSessionPeer(s2), (e) => isParleyError(e, 'PEER_KEY_CHANGED'));
  for (const c of [a, b]) await c.store.close();
});

test('issue 12: a stranger flooding envelopes dated 10 minutes ahead does not stop a pinned contact, also after a restart', async () => {
  const NOW = 1_800_000_000_000;
  const path = join(dir, 'flooded.ks');
  const w = () => new PassphraseWrapper('pw', insecureTestParams());
  const limits = { capacity: 60, perSender: 20, futurePerSender: 5 };
  const ks = await KeyStore.create(path, w(), { aor: 'sip:bob@example.com' });
  const bob = new E2EContext(ks, { now: () => NOW, replay: limits });
  const me = { aor: 'sip:bob@example.com', identityKey: ks.identity().publicKey };
  const alice = LocalIdentity.generate('sip:alice@example.com');
  const mallory = LocalIdentity.generate('sip:mallory@example.com');
  const seal = (from: LocalIdentity, id: string, dateTime: number) =>
    encodeEnvelopeBody(sealEnvelope({ sender: from, recipients: [me], messageId: id, dateTime, plaintext: utf8(id) }));
  await bob.open(seal(alice, 'hello', NOW - 1000), 'sip:alice@example.com'); // alice pinned (TOFU)
  const refused: Record<string, number> = {};
  for (let i = 0; i < 3 * limits.capacity + 1; i++) {
    await bob.open(seal(mallory, `flood-${i}`, NOW + 10 * 60_000), 'sip:mallory@example.com').catch((e: unknown) => {
      assert.ok(isParleyError(e), String(e));
      refused[e.code] = (refused[e.code] ?? 0) + 1;
    });
  }
  assert.deepEqual(refused, { E2E_RATE_LIMITED: 3 * limits.capacity + 1 - limits.futurePerSender });
  const got = await bob.open(seal(alice, 'after-the-flood', NOW), 'sip:alice@example.com');
  assert.equal(got.senderKeyStatus, 'pinned');
  await bob.open(seal(alice, 'stored-by-msilo-yesterday', NOW - 86_400_000), 'sip:alice@example.com');
  await ks.close();
  const ks2 = await KeyStore.open(path, w());
  const bob2 = new E2EContext(ks2, { now: () => NOW + 5, replay: limits });
  await assert.rejects(bob2.open(seal(alice, 'hello', NOW - 1000), 'sip:alice@example.com'), (e) => isParleyError(e, 'E2E_REPLAY'));
  await bob2.open(seal(alice, 'after-the-restart', NOW + 1), 'sip:alice@example.com');
  await ks2.close();
});
