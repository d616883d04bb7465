import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sealEnvelope, openEnvelope, parseEnvelope, encodeEnvelopeBody, type OpenInput } from './envelope';
import { LocalIdentity, type Identity } from './identity';
import { ReplayCache, PersistentReplayGuard, REPLAY_WINDOW_MS, type ReplayGuard } from './replay';
import { KeyStore } from './keystore';
import { PassphraseWrapper, insecureTestParams } from './key-wrapper';
import { PeerKeys } from './peers';
import { derivePsk } from './psk';
import { initCrypto, utf8 } from './sodium';
import { isParleyError } from '../base/errors';

let alice: LocalIdentity, bob: LocalIdentity, carol: LocalIdentity, dave: LocalIdentity, mallory: LocalIdentity;
let dir: string;
const NOW = 1_800_000_000_000;
const cpim = utf8(
  'From: <sip:alice@example.com>\r\nTo: <sip:bob@example.com>\r\nDateTime: 2027-01-15T08:00:00Z\r\nimdn.Message-ID: m1\r\n\r\nContent-Type: text/plain\r\n\r\nhello',
);

before(async () => {
  await initCrypto();
  dir = await mkdtemp(join(tmpdir(), 'parley-env-'));
  [alice, bob, carol, dave, mallory] = ['alice', 'bob', 'carol', 'dave', 'mallory'].map((n) =>
    LocalIdentity.generate(`sip:${n}@example.com`),
  );
});
after(() => rm(dir, { recursive: true, force: true }));

function memGuard(): ReplayGuard {
  const c = new ReplayCache();
  return { checkAndRecord: async (...a) => void c.checkAndRecord(...a) };
}

function seal(to: LocalIdentity[], opts: { id?: string; dateTime?: number; sender?: Identity; pt?: Uint8Array } = {}) {
  return sealEnvelope({
    sender: opts.sender ?? alice,
    recipients: to.map((r) => ({ aor: r.aor, identityKey: r.publicKey })),
    messageId: opts.id ?? 'msg-1',
    dateTime: opts.dateTime ?? NOW - 1000,
    plaintext: opts.pt ?? cpim,
  });
}

const open = (env: Uint8Array | string, me: Identity, extra: Partial<OpenInput> = {}) =>
  openEnvelope({ envelope: env, me, replay: memGuard(), now: NOW, ...extra });

test('round trip to one recipient with metadata, also through the base64 SIP body', async () => {
  const env = seal([bob]);
  const r = await open(encodeEnvelopeBody(env), bob, { pinnedSenderKey: alice.publicKey });
  assert.deepEqual(r.plaintext, cpim);
  assert.equal(r.senderAoR, 'sip:alice@example.com');
  assert.deepEqual(r.senderKey, alice.publicKey);
  assert.equal(r.senderKeyStatus, 'pinned');
  assert.equal(r.messageId, 'msg-1');
  assert.equal(r.dateTime, NOW - 1000);
  assert.equal(r.mode, 'identity');
  assert.deepEqual(r.recipients, [{ aor: 'sip:bob@example.com', mode: 'identity' }]);
});

test('multi-recipient: one ciphertext opens for each recipient and not for others', async () => {
  const env = seal([bob, carol, dave], { pt: new Uint8Array(5000).fill(9) });
  const p = parseEnvelope(env);
  assert.equal(p.recipients.length, 3);
  assert.equal(p.ciphertext.length, 5000 + 16);
  for (const who of [bob, carol, dave]) assert.deepEqual((await open(env, who)).plaintext, new Uint8Array(5000).fill(9));
  await assert.rejects(open(env, mallory), (e) => isParleyError(e, 'E2E_NOT_FOR_ME'));
  await assert.rejects(open(env, alice), (e) => isParleyError(e, 'E2E_NOT_FOR_ME'));
  const bobNewKey = new LocalIdentity(bob.aor, new Uint8Array(32).fill(3));
  await assert.rejects(open(env, bobNewKey), (e) => isParleyError(e, 'E2E_NOT_FOR_ME') && e.details?.reason === 'key');
});

test('tampered ciphertext, AD fields and signature -> E2E_TAMPERED', async () => {
  const env = seal([bob]);
  const p = parseEnvelope(env);
  const ctOff = p.signed.length - p.ciphertext.length;
  const idOff = env.indexOf(utf8('msg-1')[0], 50);
  const headerDateOff = p.header.length - (2 + 1 + 2 + 'sip:bob@example.com'.length + 32) - 1; // last byte of DateTime
  for (const [what, off] of [
    ['ciphertext', ctOff + 3],
    ['tag', p.signed.length - 1],
    ['signature', env.length - 5],
    ['Message-ID', idOff],
    ['DateTime', headerDateOff],
    ['wrap', p.header.length + 30],
    ['ephemeral key', 10 + 'sip:alice@example.com'.length + 40],
  ] as const) {
    const bad = env.slice();
    bad[off] ^= 1;
    await assert.rejects(open(bad, bob), (e) => isParleyError(e, 'E2E_TAMPERED'), what);
  }
});

test('every single-byte flip is rejected with a typed error, never accepted', async () => {
  const env = seal([bob, carol], { pt: utf8('short') });
  for (let i = 0; i < env.length; i++) {
    const bad = env.slice();
    bad[i] ^= 0x80;
    await assert.rejects(open(bad, bob), (e) => isParleyError(e) && e.code.startsWith('E2E_'), `offset ${i}`);
  }
});

test('a co-recipient cannot forge a message as the sender', async () => {
  const forger: Identity = { aor: alice.aor, publicKey: alice.publicKey, sign: (m) => bob.sign(m), agree: (x) => alice.agree(x) };
  const env = seal([carol], { sender: forger, pt: utf8('fake') });
  await assert.rejects(open(env, carol), (e) => isParleyError(e, 'E2E_TAMPERED'));
});

test('replay -> E2E_REPLAY, also after reopening the key store', async () => {
  const path = join(dir, 'bob.ks');
  const w = () => new PassphraseWrapper('pw', insecureTestParams());
  const ks = await KeyStore.create(path, w(), { aor: 'sip:bob@example.com' });
  const me = ks.signer();
  const env = sealEnvelope({
    sender: alice,
    recipients: [{ aor: me.aor, identityKey: me.publicKey }],
    messageId: 'r-1',
    dateTime: NOW,
    plaintext: cpim,
  });
  await openEnvelope({ envelope: env, me, replay: new PersistentReplayGuard(ks), now: NOW });
  await assert.rejects(openEnvelope({ envelope: env, me, replay: new PersistentReplayGuard(ks), now: NOW + 5 }), (e) =>
    isParleyError(e, 'E2E_REPLAY'),
  );
  await ks.close();
  const ks2 = await KeyStore.open(path, w());
  await assert.rejects(openEnvelope({ envelope: env, me: ks2.signer(), replay: new PersistentReplayGuard(ks2), now: NOW + 60_000 }), (e) =>
    isParleyError(e, 'E2E_REPLAY'),
  );
  await ks2.close();
});

test('tampered envelopes do not poison the replay cache', async () => {
  const guard = memGuard();
  const env = seal([bob], { id: 'p-1' });
  const bad = env.slice();
  bad[bad.length - 100] ^= 1;
  await assert.rejects(openEnvelope({ envelope: bad, me: bob, replay: guard, now: NOW }), (e) => isParleyError(e, 'E2E_TAMPERED'));
  await openEnvelope({ envelope: env, me: bob, replay: guard, now: NOW });
});

test('DateTime outside the window -> E2E_STALE; 29 days old is fine (deferred delivery)', async () => {
  await assert.rejects(open(seal([bob], { dateTime: NOW - REPLAY_WINDOW_MS - 1 }), bob), (e) => isParleyError(e, 'E2E_STALE'));
  await assert.rejects(open(seal([bob], { dateTime: NOW + 3600_000 }), bob), (e) => isParleyError(e, 'E2E_STALE'));
  await open(seal([bob], { dateTime: NOW - 29 * 24 * 3600_000 }), bob);
});

test('sender key policy: unknown sender refused on request; changed key reported', async () => {
  const env = seal([bob]);
  await assert.rejects(open(env, bob, { allowUnknownSender: false }), (e) => isParleyError(e, 'E2E_UNKNOWN_SENDER_KEY'));
  assert.equal((await open(env, bob)).senderKeyStatus, 'new');
  assert.equal((await open(env, bob, { pinnedSenderKey: carol.publicKey })).senderKeyStatus, 'changed');
});

test('bad format: garbage, truncation, unknown version, bad base64', async () => {
  const env = seal([bob]);
  for (const b of [new Uint8Array(0), utf8('hello world'), env.subarray(0, env.length - 1), env.subarray(0, 30)]) {
    await assert.rejects(open(b, bob), (e) => isParleyError(e, 'E2E_BAD_FORMAT'));
  }
  const v2 = env.slice();
  v2[4] = 2;
  await assert.rejects(open(v2, bob), (e) => isParleyError(e, 'E2E_BAD_FORMAT') && e.details?.version === 2);
  await assert.rejects(open('not*base64', bob), (e) => isParleyError(e, 'E2E_BAD_FORMAT'));
  assert.throws(
    () => seal([bob], { id: 'has space' }),
    (e) => isParleyError(e, 'E2E_BAD_FORMAT'),
  );
  assert.throws(
    () => seal([bob, bob]),
    (e) => isParleyError(e, 'E2E_BAD_FORMAT'),
  );
});

test('PSK: identity+PSK mode, wrong PSK fails, PSK-only first contact with TOFU pinning, key substitution defeated', async () => {
  const psk = await derivePsk('blue shoe pancake', alice.aor, bob.aor);
  assert.deepEqual(await derivePsk('  blue shoe pancake ', 'sip:bob@EXAMPLE.com', alice.aor), psk, 'order independent, trimmed');
  const wrong = await derivePsk('blue shoe pancakes', alice.aor, bob.aor);
  assert.notDeepEqual(wrong, psk);

  const both = sealEnvelope({
    sender: alice,
    recipients: [{ aor: bob.aor, identityKey: bob.publicKey, psk }],
    messageId: 'k1',
    dateTime: NOW,
    plaintext: cpim,
  });
  assert.equal((await open(both, bob, { psk })).mode, 'identity+psk');
  await assert.rejects(open(both, bob, { psk: wrong }), (e) => isParleyError(e, 'E2E_PSK_MISMATCH'));
  await assert.rejects(open(both, bob), (e) => isParleyError(e, 'E2E_PSK_REQUIRED'));

  // First contact: Alice does not know Bob's key yet.
  const first = sealEnvelope({ sender: alice, recipients: [{ aor: bob.aor, psk }], messageId: 'k2', dateTime: NOW, plaintext: cpim });
  assert.equal(parseEnvelope(first).recipients[0].mode, 'psk-only');
  const got = await open(first, bob, { psk });
  assert.equal(got.senderKeyStatus, 'new');
  const peers = new PeerKeys({ load: () => undefined, save: async () => {} });
  assert.equal(await peers.observe(got.senderAoR, got.senderKey), 'unverified');
  await assert.rejects(open(first, bob, { psk: wrong }), (e) => isParleyError(e, 'E2E_PSK_MISMATCH'));
  await assert.rejects(open(first, mallory), (e) => isParleyError(e, 'E2E_NOT_FOR_ME'));

  // A proxy substituted Mallory's key for Bob's: the envelope is addressed to bob's AoR with Mallory's key.
  const misdirected = sealEnvelope({
    sender: alice,
    recipients: [{ aor: bob.aor, identityKey: mallory.publicKey, psk }],
    messageId: 'k3',
    dateTime: NOW,
    plaintext: cpim,
  });
  const malloryAsBob = new LocalIdentity(bob.aor, new Uint8Array(32).fill(1));
  const sub = sealEnvelope({
    sender: alice,
    recipients: [{ aor: bob.aor, identityKey: malloryAsBob.publicKey, psk }],
    messageId: 'k4',
    dateTime: NOW,
    plaintext: cpim,
  });
  await assert.rejects(open(sub, malloryAsBob, { psk: wrong }), (e) => isParleyError(e, 'E2E_PSK_MISMATCH'));
  await assert.rejects(open(misdirected, bob, { psk }), (e) => isParleyError(e, 'E2E_NOT_FOR_ME'));
});

test('byte layout matches docs/security.md s.5.1', async () => {
  const env = seal([bob, carol], { id: 'layout-1', dateTime: 0x0102030405, pt: utf8('abc') });
  const dv = new DataView(env.buffer, env.byteOffset, env.length);
  assert.equal(Buffer.from(env.subarray(0, 4)).toString(), 'PE2E');
  assert.equal(env[4], 1);
  assert.equal(env[5], 0);
  let o = 6;
  const aLen = dv.getUint16(o);
  assert.equal(Buffer.from(env.subarray(o + 2, o + 2 + aLen)).toString(), 'sip:alice@example.com');
  o += 2 + aLen;
  assert.deepEqual(env.subarray(o, o + 32), alice.publicKey);
  o += 32 + 32; // sender key, ephemeral key
  const idLen = dv.getUint16(o);
  assert.equal(Buffer.from(env.subarray(o + 2, o + 2 + idLen)).toString(), 'layout-1');
  o += 2 + idLen;
  assert.equal(dv.getBigUint64(o), 0x0102030405n);
  o += 8;
  assert.equal(dv.getUint16(o), 2);
  o += 2;
  for (const r of [bob, carol]) {
    assert.equal(env[o], 1);
    const l = dv.getUint16(o + 1);
    assert.equal(Buffer.from(env.subarray(o + 3, o + 3 + l)).toString(), r.aor);
    assert.deepEqual(env.subarray(o + 3 + l, o + 35 + l), r.publicKey);
    o += 35 + l;
  }
  o += 2 * (24 + 48) + 24; // wraps, payload nonce
  assert.equal(dv.getUint32(o), 3 + 16);
  o += 4 + 19;
  assert.equal(env.length, o + 64, 'signature is the last 64 bytes');
  assert.equal(env.length, 192 + 21 + 8 + 2 * 107 + 19 + 21 + 3, 'overhead formula of s.6');
});

// Sealed by the v1 code before its parsing moved to envelope-frame.ts (shared with v2): fixed identities, bob by identity
// key, carol by PSK only. Its bytes must keep opening unchanged.
const V1_FIXED =
  'UEUyRQEAABVzaXA6YWxpY2VAcGFybGV5LnRlc3SKiOPddAnxlf1S2y08ul1yymcJvx2UEhvzdIgBtA9vXLDmVROfXWe8ZLJtcGDUB7TbjPmddPwiDJemB9aHzspYAAZ2ZWMtdjEAAAGjGFxQAAACAQATc2lwOmJvYkBwYXJsZXkudGVzdIE5dw6ofRdfVqNUZsNMfszLjYqRtO43ol32D1uPybOUAwAVc2lwOmNhcm9sQHBhcmxleS50ZXN0AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAACZ258Msyy/4zpIIaaSP8RXUjaZDgMZr7Skfw/0UFVixIMzVcf5nQ0bgrF7sa//Qia8ty4Wv+EhMLd/Wo7SwbOBrTBRSU58hTEIx/i1IFkkbGrUZc1P/RbF16Z8dYEHK7ANJr5bCSkFNg5N0K5dIDWNdv6r62sv8F/oTkhaFV8lyQniS3hrmE4SuwMYQu1GkpYXU3HDt+JBiyPDwRTm6BxkAPtp9jr+B8kAAAAd5evOqn3oRAQDtoZohu+Rb6zFP7URbhpPny3I3FC1GZMJgnNuuSKahAJGGKZrIlctpdfriMvdJ3PLCKZHxdGIaKSp4T3jCr0LEtga2zqfskE6I9p1jVXpfgWg2dcG';

test('a v1 envelope with fixed bytes opens for each recipient, and a fresh seal has the same header bytes', async () => {
  const fixedAlice = new LocalIdentity('sip:alice@parley.test', new Uint8Array(32).fill(1));
  const fixedBob = new LocalIdentity('sip:bob@parley.test', new Uint8Array(32).fill(2));
  const fixedCarol = LocalIdentity.generate('sip:carol@parley.test');
  const psk = new Uint8Array(32).fill(3);
  const at = 1_800_000_000_000;
  const env = Buffer.from(V1_FIXED, 'base64');
  const forBob = await open(V1_FIXED, fixedBob, { pinnedSenderKey: fixedAlice.publicKey, now: at });
  assert.equal(new TextDecoder().decode(forBob.plaintext), 'hello bob, v1');
  assert.deepEqual([forBob.messageId, forBob.dateTime, forBob.mode, forBob.senderKeyStatus], ['vec-v1', at, 'identity', 'pinned']);
  const forCarol = await open(V1_FIXED, fixedCarol, { psk, now: at });
  assert.deepEqual([new TextDecoder().decode(forCarol.plaintext), forCarol.mode], ['hello bob, v1', 'psk-only']);
  const again = sealEnvelope({
    sender: fixedAlice,
    recipients: [
      { aor: fixedBob.aor, identityKey: fixedBob.publicKey },
      { aor: fixedCarol.aor, psk },
    ],
    messageId: 'vec-v1',
    dateTime: at,
    plaintext: utf8('hello bob, v1'),
  });
  const [was, now] = [parseEnvelope(env), parseEnvelope(again)];
  const eph = 4 + 1 + 1 + 2 + 'sip:alice@parley.test'.length + 32; // the ephemeral key is fresh per seal
  const masked = (h: Uint8Array) => Buffer.concat([h.subarray(0, eph), h.subarray(eph + 32)]);
  assert.deepEqual(masked(now.header), masked(was.header));
  assert.equal(again.length, env.length);
});
