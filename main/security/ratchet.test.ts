// Prekeys, PQXDH, Double Ratchet and the v2 envelope: forward secrecy, post-compromise security, reordering, replay, tampering.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initCrypto, utf8 } from './sodium';
import { LocalIdentity } from './identity';
import { isParleyError } from '../base/errors';
import type { ErrorCode } from '../base/error-codes';
import { verifyBundle, verifyOneTime, parseBundle, encodeOneTime } from './prekeys';
import { pqxdhInitiate, pqxdhRespond } from './pqxdh';
import { PrekeySecrets } from './prekey-secrets';
import { PeerRatchets, memoryRatchetPersistence, type RatchetSection } from './peer-ratchets';
import { ratchetToJSON, ratchetFromJSON, MAX_SKIP, SKIPPED_KEY_TTL_MS, type RatchetStateJSON } from './ratchet';
import { parseRatchetEnvelope, envelopeVersion } from './ratchet-envelope';
import { ReplayCache, type ReplayGuard } from './replay';

const T0 = 1_800_000_000_000;
let alice: LocalIdentity, bob: LocalIdentity, carol: LocalIdentity;
before(async () => {
  await initCrypto();
  [alice, bob, carol] = ['alice', 'bob', 'carol'].map((n) => LocalIdentity.generate(`sip:${n}@parley.test`));
});

const code = (c: ErrorCode) => (e: unknown) => isParleyError(e, c);

interface Party {
  id: LocalIdentity;
  pr: PeerRatchets;
  store: ReturnType<typeof memoryRatchetPersistence>;
  clock: { t: number };
}

async function party(id: LocalIdentity, section?: RatchetSection, clock = { t: T0 }): Promise<Party> {
  const store = memoryRatchetPersistence(section);
  return { id, store, clock, pr: await PeerRatchets.open({ me: id, persistence: store, now: () => clock.t }) };
}

/** `from` starts a session with `to` through what `to` would publish (bundle + one one-time prekey). */
async function connect(from: Party, to: Party, withOneTime = true): Promise<void> {
  const pub = await to.pr.publication(withOneTime ? 2 : 0);
  await from.pr.startSession({ bundle: pub.bundle, oneTime: withOneTime ? pub.oneTime[0] : null }, { aor: to.id.aor });
}

let seq = 0;
const send = (from: Party, to: Party[], text: string) =>
  from.pr.seal({ recipients: to.map((p) => p.id.aor), messageId: `m${++seq}`, dateTime: from.clock.t, plaintext: utf8(text) });
const read = async (p: Party, env: Uint8Array) => new TextDecoder().decode((await p.pr.open(env)).plaintext);

test('prekey bundle: signed by the identity key, checked against AoR and pin; one-time prekeys signed too', async () => {
  const pk = PrekeySecrets.create(T0);
  const bytes = pk.bundle(bob);
  const b = verifyBundle(bytes, { aor: bob.aor, pinnedKey: bob.publicKey });
  assert.equal(b.aor, 'sip:bob@parley.test');
  assert.equal(b.kemPrekey.publicKey.length, 1184);
  assert.throws(() => verifyBundle(bytes, { aor: alice.aor }), code('PREKEY_AOR_MISMATCH'));
  assert.throws(() => verifyBundle(bytes, { pinnedKey: alice.publicKey }), code('PREKEY_IDENTITY_CHANGED'));
  for (const off of [10, 40, 60, 100, 1000, bytes.length - 1]) {
    const t = bytes.slice();
    t[off] ^= 1;
    assert.throws(
      () => verifyBundle(t),
      (e) => isParleyError(e) && e.code.startsWith('PREKEY_'),
      `offset ${off}`,
    );
  }
  // a bundle re-signed by someone else (directory substituting keys) fails against the pin
  const forged = PrekeySecrets.create(T0).bundle(carol);
  assert.throws(() => verifyBundle(forged, { aor: bob.aor }), code('PREKEY_AOR_MISMATCH'));
  const [otk] = pk.generateOneTime(bob, 1);
  assert.equal(verifyOneTime(otk, bob.aor, bob.publicKey).publicKey.length, 32);
  assert.throws(() => verifyOneTime(otk, carol.aor, bob.publicKey), code('PREKEY_BAD_SIGNATURE'));
  assert.throws(
    () => verifyOneTime(encodeOneTime(carol, 7, new Uint8Array(32).fill(9)), bob.aor, bob.publicKey),
    code('PREKEY_BAD_SIGNATURE'),
  );
  assert.throws(() => parseBundle(bytes.subarray(0, 100)), code('PREKEY_BAD_FORMAT'));
});

test('PQXDH: both sides derive the same key with and without a one-time prekey; a missing prekey is E2E_NO_PREKEY', () => {
  const pk = PrekeySecrets.create(T0);
  const [otkBytes] = pk.generateOneTime(bob, 1);
  const bundle = verifyBundle(pk.bundle(bob));
  for (const otk of [verifyOneTime(otkBytes, bob.aor, bob.publicKey), undefined]) {
    const a = pqxdhInitiate(alice, bundle, otk);
    const b = pqxdhRespond(bob, { aor: alice.aor, identityKey: alice.publicKey }, a.init, {
      signedPrekey: pk.signedPrekey(a.init.signedPrekeyId)?.privateKey,
      kemSecret: pk.kemSecret(a.init.kemPrekeyId),
      oneTime: otk ? pk.oneTime(otk.id) : undefined,
    });
    assert.deepEqual(b.sharedKey, a.sharedKey);
    assert.deepEqual(b.sessionId, a.sessionId);
    // a wrong KEM ciphertext gives another key (implicit rejection), so the first message will not authenticate
    const ct = a.init.kemCiphertext.slice();
    ct[5] ^= 1;
    const c = pqxdhRespond(
      bob,
      { aor: alice.aor, identityKey: alice.publicKey },
      { ...a.init, kemCiphertext: ct },
      {
        signedPrekey: pk.signedPrekey(a.init.signedPrekeyId)?.privateKey,
        kemSecret: pk.kemSecret(a.init.kemPrekeyId),
        oneTime: otk ? pk.oneTime(otk.id) : undefined,
      },
    );
    assert.notDeepEqual(c.sharedKey, a.sharedKey);
  }
  const a = pqxdhInitiate(alice, bundle);
  assert.throws(() => pqxdhRespond(bob, { aor: alice.aor, identityKey: alice.publicKey }, a.init, {}), code('E2E_NO_PREKEY'));
});

test('asynchronous first message, replies, one-time prekey used once, v2 envelope', async () => {
  const A = await party(alice);
  const B = await party(bob);
  await connect(A, B);
  const held = B.pr.prekeyInfo().oneTimeHeld;
  const first = await send(A, [B], 'hello offline bob');
  assert.equal(envelopeVersion(first), 2);
  const o = await B.pr.open(first);
  assert.equal(o.firstMessage, true);
  assert.equal(o.protection, 'forward-secret');
  assert.equal(new TextDecoder().decode(o.plaintext), 'hello offline bob');
  assert.equal(B.pr.prekeyInfo().oneTimeHeld, held - 1, 'one-time prekey deleted after use');
  await assert.rejects(B.pr.open(first), code('E2E_REPLAY'));
  // alice keeps attaching the init until bob answers; bob answers, the init goes away
  const second = await send(A, [B], 'still there?');
  assert.ok(parseRatchetEnvelope(second).recipients[0].init);
  assert.equal(await read(B, second), 'still there?');
  assert.equal(await read(A, await send(B, [A], 'yes')), 'yes');
  const third = await send(A, [B], 'good');
  assert.equal(parseRatchetEnvelope(third).recipients[0].init, null);
  assert.equal(await read(B, third), 'good');
  assert.ok(A.store.saves > 0 && B.store.saves > 0);
});

test('a first message without a one-time prekey (directory ran out) still opens, on the signed prekey alone', async () => {
  const A = await party(alice);
  const B = await party(bob);
  await connect(A, B, false);
  assert.equal(await read(B, await send(A, [B], 'no otk')), 'no otk');
});

test('forward secrecy: a state taken after reading a message cannot open it again', async () => {
  const A = await party(alice);
  const B = await party(bob);
  await connect(A, B);
  await read(B, await send(A, [B], 'warm up'));
  await read(A, await send(B, [A], 'ok'));
  const captured = await send(A, [B], 'secret');
  assert.equal(await read(B, captured), 'secret');
  const stolen = await party(bob, B.store.saved);
  await assert.rejects(stolen.pr.open(captured), code('E2E_REPLAY'));
});

test('post-compromise security: a copied state is useless once bob has answered a new ratchet key', async () => {
  const A = await party(alice);
  const B = await party(bob);
  await connect(A, B);
  await read(B, await send(A, [B], 'one'));
  const copy = B.store.saved; // attacker copies bob's profile here
  const m2 = await send(A, [B], 'before healing');
  assert.equal(await read(await party(bob, copy), m2), 'before healing', 'the copy does read the current chain');
  await read(B, m2);
  // bob's reply still uses the DH key the copy holds, and so does alice's answer to it (DH(A2, B1)) ...
  await read(A, await send(B, [A], 'reply 1'));
  const stillExposed = await send(A, [B], 'exposed');
  assert.equal(await read(await party(bob, copy), stillExposed), 'exposed');
  await read(B, stillExposed); // ... bob draws a fresh DH key here,
  await read(A, await send(B, [A], 'reply 2')); // sends with it, alice steps again:
  const after = await send(A, [B], 'after healing');
  assert.equal(await read(B, after), 'after healing');
  await assert.rejects((await party(bob, copy)).pr.open(after), code('E2E_TAMPERED'));
  await assert.rejects((await party(bob, copy)).pr.open(await send(A, [B], 'later')), code('E2E_TAMPERED'));
});

test('out-of-order delivery within bounds, duplicates refused, beyond MAX_SKIP refused, skipped keys expire', async () => {
  const A = await party(alice);
  const B = await party(bob);
  await connect(A, B);
  await read(B, await send(A, [B], 'start'));
  await read(A, await send(B, [A], 'ack'));
  const msgs = [];
  for (let i = 0; i < 6; i++) msgs.push(await send(A, [B], `n${i}`));
  // deferred delivery reorders: 5, 0, 3 now; then a DH ratchet; then 1 late
  assert.equal(await read(B, msgs[5]), 'n5');
  assert.equal(await read(B, msgs[0]), 'n0');
  assert.equal(await read(B, msgs[3]), 'n3');
  await assert.rejects(B.pr.open(msgs[3]), code('E2E_REPLAY'));
  await read(A, await send(B, [A], 'turn'));
  const next = await send(A, [B], 'new chain');
  assert.equal(await read(B, next), 'new chain');
  assert.equal(await read(B, msgs[1]), 'n1', 'a skipped key of the previous chain still opens');
  await assert.rejects(B.pr.open(msgs[5]), code('E2E_REPLAY'));
  // expiry: message 2 arrives after the TTL
  B.clock.t += SKIPPED_KEY_TTL_MS + 1;
  A.clock.t = B.clock.t;
  await assert.rejects(B.pr.open(msgs[2]), (e) => isParleyError(e) && ['E2E_REPLAY', 'E2E_STALE'].includes(e.code));
  // a sender too far ahead
  const far: Uint8Array[] = [];
  for (let i = 0; i <= MAX_SKIP + 1; i++) far.push(await send(A, [B], 'x'));
  await assert.rejects(B.pr.open(far[MAX_SKIP + 1]), code('E2E_TOO_MANY_SKIPPED'));
  assert.equal(await read(B, far[MAX_SKIP - 1]), 'x', 'within bounds still fine');
});

test('multi-recipient: one ciphertext, each recipient opens with its own ratchet; a co-recipient cannot forge', async () => {
  const A = await party(alice);
  const B = await party(bob);
  const C = await party(carol);
  await connect(A, B);
  await connect(A, C);
  const env = await send(A, [B, C], 'to both');
  const p = parseRatchetEnvelope(env);
  assert.equal(p.recipients.length, 2);
  assert.equal(p.ciphertext.length, 'to both'.length + 16);
  assert.equal(await read(B, env), 'to both');
  assert.equal(await read(C, env), 'to both');
  await assert.rejects(A.pr.open(env), code('E2E_NOT_FOR_ME'));
  // carol re-signs a variant with her own key claiming alice's identity: the signature fails
  const t = env.slice();
  t[t.length - 70] ^= 1; // inside the payload ciphertext
  await assert.rejects(B.pr.open(t), code('E2E_TAMPERED'));
});

test('tampering is refused at every byte (and a failed open changes no state)', async () => {
  const A = await party(alice);
  const B = await party(bob);
  await connect(A, B);
  await read(B, await send(A, [B], 'init'));
  await read(A, await send(B, [A], 'r'));
  const env = await send(A, [B], 'flip me');
  const before = JSON.stringify(B.store.saved);
  for (let i = 0; i < env.length; i++) {
    const bad = env.slice();
    bad[i] ^= 0x40;
    await assert.rejects(B.pr.open(bad), (e) => isParleyError(e) && e.code.startsWith('E2E_'), `offset ${i}`);
  }
  assert.equal(JSON.stringify(B.store.saved), before);
  assert.equal(await read(B, env), 'flip me');
  // and the first message (with the 1,088-byte KEM ciphertext), sampled every 13 bytes
  const A2 = await party(alice);
  const C = await party(carol);
  await connect(A2, C);
  const first = await send(A2, [C], 'first');
  for (let i = 0; i < first.length; i += 13) {
    const bad = first.slice();
    bad[i] ^= 0x01;
    await assert.rejects(C.pr.open(bad), (e) => isParleyError(e) && e.code.startsWith('E2E_'), `offset ${i}`);
  }
  assert.equal(await read(C, first), 'first');
});

test('replayed Message-ID is refused by the replay guard; unknown session is E2E_NO_SESSION', async () => {
  const A = await party(alice);
  const B = await party(bob);
  await connect(A, B);
  const c = new ReplayCache();
  const guard: ReplayGuard = { checkAndRecord: async (...a) => void c.checkAndRecord(...a) };
  const m = await A.pr.seal({ recipients: [bob.aor], messageId: 'same', dateTime: T0, plaintext: utf8('1') });
  await B.pr.open(m, { replay: guard });
  const m2 = await A.pr.seal({ recipients: [bob.aor], messageId: 'same', dateTime: T0, plaintext: utf8('2') });
  await assert.rejects(B.pr.open(m2, { replay: guard }), code('E2E_REPLAY'));
  const lost = await party(bob); // bob lost his state: a non-first message of the old session
  await read(A, await send(B, [A], 'hi'));
  await assert.rejects(lost.pr.open(await send(A, [B], 'x')), code('E2E_NO_SESSION'));
});

test('sender key policy: pinned, changed, unknown refused when asked; downgrade to static flagged', async () => {
  const A = await party(alice);
  const B = await party(bob);
  await connect(A, B);
  const m = await send(A, [B], 'k');
  await assert.rejects(B.pr.open(m, { allowUnknownSender: false }), code('E2E_UNKNOWN_SENDER_KEY'));
  assert.equal((await B.pr.open(m, { pinnedSenderKey: carol.publicKey })).senderKeyStatus, 'changed');
  assert.deepEqual(await B.pr.noteStatic(alice.aor), { downgrade: true });
  assert.deepEqual(await B.pr.noteStatic(carol.aor), { downgrade: false });
  assert.equal(B.store.saved!.peers['sip:alice@parley.test'].down, 1);
});

test('state serialisation: versioned, round-trips, and refuses unknown versions', async () => {
  const A = await party(alice);
  const B = await party(bob);
  await connect(A, B);
  await read(B, await send(A, [B], 'a'));
  const j = B.store.saved!.peers['sip:alice@parley.test'].s[0].st;
  assert.deepEqual(ratchetToJSON(ratchetFromJSON(j)), j);
  assert.throws(() => ratchetFromJSON({ ...j, v: 2 } as unknown as RatchetStateJSON), code('KEYSTORE_CORRUPT'));
  await assert.rejects(
    PeerRatchets.open({ me: bob, persistence: memoryRatchetPersistence({ ...B.store.saved!, v: 9 } as unknown as RatchetSection) }),
    code('KEYSTORE_CORRUPT'),
  );
});

test('prekey rotation: a first message to the previous signed prekey still opens after a rotation', async () => {
  const A = await party(alice);
  const B = await party(bob);
  await connect(A, B);
  const m = await send(A, [B], 'sent before rotation');
  B.clock.t += 8 * 24 * 3600 * 1000;
  A.clock.t = B.clock.t;
  const before = parseBundle(B.pr.prekeyInfo().bundle).signedPrekey.id;
  await B.pr.publication(0);
  assert.notEqual(parseBundle(B.pr.prekeyInfo().bundle).signedPrekey.id, before);
  assert.equal(await read(B, m), 'sent before rotation');
});

test('persisted in the real key store: a reopened store continues the ratchet (the state was durable before open() returned)', async () => {
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { KeyStore } = await import('./keystore');
  const { PassphraseWrapper, insecureTestParams } = await import('./key-wrapper');
  const { keyStoreRatchetPersistence } = await import('./peer-ratchets');
  const dir = await mkdtemp(join(tmpdir(), 'parley-ratchet-'));
  try {
    const w = () => new PassphraseWrapper('pw', insecureTestParams());
    const ks = await KeyStore.create(join(dir, 'bob.ks'), w(), { aor: 'sip:bob@parley.test' });
    const bobId = ks.signer();
    const B = await PeerRatchets.open({ me: bobId, persistence: keyStoreRatchetPersistence(ks) });
    const A = await party(alice);
    const pub = await B.publication(1);
    await A.pr.startSession({ bundle: pub.bundle, oneTime: pub.oneTime[0] }, { aor: bobId.aor });
    const m1 = await A.pr.seal({ recipients: [bobId.aor], messageId: 'k1', dateTime: Date.now(), plaintext: utf8('one') });
    const m2 = await A.pr.seal({ recipients: [bobId.aor], messageId: 'k2', dateTime: Date.now(), plaintext: utf8('two') });
    await B.open(m1);
    await ks.close(); // as after kill -9 right after open() resolved: only what is on disk counts
    const ks2 = await KeyStore.open(join(dir, 'bob.ks'), w());
    const B2 = await PeerRatchets.open({ me: ks2.signer(), persistence: keyStoreRatchetPersistence(ks2) });
    await assert.rejects(B2.open(m1), code('E2E_REPLAY'));
    assert.equal(new TextDecoder().decode((await B2.open(m2)).plaintext), 'two');
    await ks2.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
