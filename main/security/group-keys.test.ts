import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { GroupSession } from './group-keys';
import { sealEnvelope, openEnvelope } from './envelope';
import { LocalIdentity } from './identity';
import { initCrypto, utf8 } from './sodium';
import { isParleyError } from '../base/errors';

const CONF = 'sip:conf-42@focus.example.com';
let ids: Record<string, LocalIdentity>;
before(async () => {
  await initCrypto();
  ids = Object.fromEntries(['alice', 'bob', 'carol'].map((n) => [n, LocalIdentity.generate(`sip:${n}@example.com`)]));
});

/** Seal `from`'s distribution to `to` with the real envelope and deliver it. */
async function distribute(from: string, payload: Uint8Array, to: string[], sessions: Record<string, GroupSession>) {
  const env = sealEnvelope({
    sender: ids[from],
    recipients: to.map((n) => ({ aor: ids[n].aor, identityKey: ids[n].publicKey })),
    messageId: `sk-${Math.random()}`.slice(0, 20),
    dateTime: Date.now(),
    plaintext: payload,
  });
  for (const n of to) {
    const o = await openEnvelope({ envelope: env, me: ids[n], replay: null });
    sessions[n].acceptDistribution(o.senderAoR, o.plaintext);
  }
}

test('all members read each other; after rotation the leaver cannot read later messages', async () => {
  const names = ['alice', 'bob', 'carol'];
  const g: Record<string, GroupSession> = Object.fromEntries(
    names.map((n) => [n, new GroupSession({ conferenceId: CONF, me: ids[n].aor })]),
  );
  for (const n of names)
    await distribute(
      n,
      g[n].newEpoch(),
      names.filter((m) => m !== n),
      g,
    );
  const m1 = g.alice.encrypt(utf8('hello all'));
  for (const n of ['bob', 'carol']) assert.equal(new TextDecoder().decode(g[n].decrypt(m1).plaintext), 'hello all');

  // Carol leaves: everyone drops her and rotates, distributing only to the remaining members.
  const rest = ['alice', 'bob'];
  for (const n of rest) {
    g[n].removeMember(ids.carol.aor);
    await distribute(
      n,
      g[n].newEpoch(),
      rest.filter((m) => m !== n),
      g,
    );
  }
  assert.equal(g.alice.epoch, 2);
  const m2 = g.alice.encrypt(utf8('carol is gone'));
  assert.equal(new TextDecoder().decode(g.bob.decrypt(m2).plaintext), 'carol is gone');
  assert.throws(
    () => g.carol.decrypt(m2),
    (e) => isParleyError(e, 'GROUP_UNKNOWN_SENDER_KEY'),
  );
  assert.throws(
    () => g.alice.decrypt(g.carol.encrypt(utf8('still here?'))),
    (e) => isParleyError(e, 'GROUP_UNKNOWN_SENDER_KEY'),
  );
});

test('replay, tampering, forged distribution and wrong conference are refused', async () => {
  const a = new GroupSession({ conferenceId: CONF, me: ids.alice.aor });
  const b = new GroupSession({ conferenceId: CONF, me: ids.bob.aor });
  const dist = a.newEpoch();
  assert.throws(
    () => b.acceptDistribution(ids.carol.aor, dist),
    (e) => isParleyError(e, 'GROUP_SENDER_MISMATCH'),
  );
  const other = new GroupSession({ conferenceId: 'sip:other@focus', me: ids.bob.aor });
  assert.throws(
    () => other.acceptDistribution(ids.alice.aor, dist),
    (e) => isParleyError(e, 'GROUP_WRONG_CONFERENCE'),
  );
  assert.throws(
    () => b.acceptDistribution(ids.alice.aor, utf8('{')),
    (e) => isParleyError(e, 'GROUP_BAD_FORMAT'),
  );
  b.acceptDistribution(ids.alice.aor, dist);
  const f0 = a.encrypt(utf8('0'));
  const f1 = a.encrypt(utf8('1'));
  b.decrypt(f1);
  b.decrypt(f0); // reordering within the window is fine through a focus
  assert.throws(
    () => b.decrypt(f0),
    (e) => isParleyError(e, 'E2E_REPLAY'),
  );
  const bad = a.encrypt(utf8('2'));
  bad[bad.length - 3] ^= 1;
  assert.throws(
    () => b.decrypt(bad),
    (e) => isParleyError(e, 'E2E_TAMPERED'),
  );
  // Counter and epoch are bound: changing the counter fails authentication, changing the epoch finds no key.
  const m = a.encrypt(utf8('3'));
  const counterOff = 1 + 4 + 2 + ids.alice.aor.length + 7;
  const c = m.slice();
  c[counterOff] ^= 0x10;
  assert.throws(
    () => b.decrypt(c),
    (e) => isParleyError(e, 'E2E_TAMPERED'),
  );
  const ep = m.slice();
  ep[4] ^= 2;
  assert.throws(
    () => b.decrypt(ep),
    (e) => isParleyError(e, 'GROUP_UNKNOWN_SENDER_KEY'),
  );
  assert.equal(new TextDecoder().decode(b.decrypt(m).plaintext), '3');
  a.destroy();
  assert.throws(
    () => a.encrypt(utf8('x')),
    (e) => isParleyError(e, 'GROUP_NO_KEY'),
  );
});
