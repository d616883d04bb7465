// Member-signed groups: per-member signatures on every message, membership changes only when a current member signed them.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initCrypto, utf8 } from './sodium';
import { LocalIdentity } from './identity';
import { isParleyError } from '../base/errors';
import type { ErrorCode } from '../base/error-codes';
import { GroupSession } from './group-keys';
import {
  signRosterChange,
  applyRosterChange,
  rosterFromChain,
  checkFocusRoster,
  isRosterMember,
  parseRosterChange,
  type Roster,
} from './group-roster';

const CONF = 'sip:chat-42@conf.parley.test';
const T = 1_800_000_000_000;
let alice: LocalIdentity, bob: LocalIdentity, carol: LocalIdentity, mallory: LocalIdentity;
before(async () => {
  await initCrypto();
  [alice, bob, carol, mallory] = ['alice', 'bob', 'carol', 'mallory'].map((n) => LocalIdentity.generate(`sip:${n}@parley.test`));
});
const code = (c: ErrorCode) => (e: unknown) => isParleyError(e, c);
const m = (id: LocalIdentity) => ({ aor: id.aor, identityKey: id.publicKey });

function threeMembers(): { chain: Uint8Array[]; roster: Roster } {
  const chain: Uint8Array[] = [];
  let r: Roster | null = null;
  for (const [by, who, action] of [
    [alice, alice, 'create'],
    [alice, bob, 'add'],
    [bob, carol, 'add'],
  ] as const) {
    const c = signRosterChange(by, r, action, m(who), CONF, T);
    chain.push(c);
    r = applyRosterChange(r, c);
  }
  return { chain, roster: r! };
}

test('roster chain: created by its first member, changed only by current members, verified from create', () => {
  const { chain, roster } = threeMembers();
  assert.deepEqual(
    roster.members.map((x) => x.aor),
    ['sip:alice@parley.test', 'sip:bob@parley.test', 'sip:carol@parley.test'],
  );
  assert.equal(roster.version, 3);
  assert.deepEqual(rosterFromChain(chain, CONF).hash, roster.hash);
  // carol (a member) removes bob; bob can no longer change anything
  const r4 = applyRosterChange(roster, signRosterChange(carol, roster, 'remove', m(bob), CONF, T));
  assert.equal(isRosterMember(r4, bob.aor), false);
  assert.throws(() => applyRosterChange(r4, signRosterChange(bob, r4, 'add', m(mallory), CONF, T)), code('GROUP_UNAUTHORISED'));
  // a member may leave on its own
  const r5 = applyRosterChange(r4, signRosterChange(carol, r4, 'remove', m(carol), CONF, T));
  assert.deepEqual(
    r5.members.map((x) => x.aor),
    ['sip:alice@parley.test'],
  );
});

test('a focus (or any non-member) that slips in a member is refused and detected', () => {
  const { roster } = threeMembers();
  // the focus signs with its own key: not a member
  const focus = LocalIdentity.generate('sip:conf-factory@parley.test');
  assert.throws(() => applyRosterChange(roster, signRosterChange(focus, roster, 'add', m(mallory), CONF, T)), code('GROUP_UNAUTHORISED'));
  // the focus claims to be alice but cannot sign as alice
  const forged = signRosterChange(focus, roster, 'add', m(mallory), CONF, T);
  const p = parseRosterChange(forged);
  const relabelled = forged.slice();
  relabelled.set(alice.publicKey, forged.length - 64 - 8 - 32); // swap the "by" key for alice's
  assert.equal(p.by.aor, 'sip:conf-factory@parley.test');
  assert.throws(
    () => applyRosterChange(roster, relabelled),
    (e) => isParleyError(e) && /GROUP_(BAD_SIGNATURE|UNAUTHORISED)/.test(e.code),
  );
  // replays and forks of valid changes
  const add = signRosterChange(alice, null, 'create', m(alice), CONF, T);
  assert.throws(() => applyRosterChange(roster, add), code('GROUP_STALE_CHANGE'));
  // the focus's conference-info shows mallory: flagged, and nobody sends her keys
  const seen = checkFocusRoster(roster, ['sip:alice@parley.test', 'sip:bob@parley.test', '<sip:mallory@parley.test>']);
  assert.deepEqual(seen, { unauthorised: ['sip:mallory@parley.test'], absent: ['sip:carol@parley.test'] });
  const g = new GroupSession({ conferenceId: CONF, me: alice.aor, sign: true, isMember: (a) => isRosterMember(roster, a) });
  const mg = new GroupSession({ conferenceId: CONF, me: mallory.aor, sign: true });
  assert.throws(() => g.acceptDistribution(mallory.aor, mg.newEpoch()), code('GROUP_NOT_MEMBER'));
  // every byte of a change is covered
  const c = signRosterChange(bob, roster, 'remove', m(carol), CONF, T);
  for (let i = 0; i < c.length; i++) {
    const t = c.slice();
    t[i] ^= 0x20;
    assert.throws(
      () => applyRosterChange(roster, t),
      (e) => isParleyError(e) && e.code.startsWith('GROUP_'),
      `offset ${i}`,
    );
  }
});

test('member signatures: a member holding the sender key cannot forge another member; unsigned refused when required', () => {
  const mk = (id: LocalIdentity) => new GroupSession({ conferenceId: CONF, me: id.aor, sign: true, requireSignatures: true });
  const a = mk(alice);
  const b = mk(bob);
  const c = mk(carol);
  const da = a.newEpoch();
  for (const x of [b, c]) x.acceptDistribution(alice.aor, da);
  const frame = a.encrypt(utf8('hi from alice'));
  const got = b.decrypt(frame);
  assert.equal(new TextDecoder().decode(got.plaintext), 'hi from alice');
  assert.equal(got.signed, true);
  // carol knows alice's sender key; she re-encrypts a message as alice and keeps alice's signature, or signs with her own key
  const t = frame.slice();
  t[t.length - 80] ^= 1;
  assert.throws(() => b.decrypt(t), code('GROUP_BAD_SIGNATURE'));
  const cd = c.newEpoch();
  b.acceptDistribution(carol.aor, cd);
  const carolFrame = c.encrypt(utf8('x'));
  const asAlice = new Uint8Array([...carolFrame]);
  // replace the sender field with alice's AoR (same length) and keep carol's signature
  const s = new TextDecoder().decode(asAlice);
  const at = s.indexOf('sip:carol@parley.test');
  asAlice.set(utf8('sip:alice@parley.test'), at);
  assert.throws(
    () => b.decrypt(asAlice),
    (e) => isParleyError(e) && /GROUP_BAD_SIGNATURE|E2E_/.test(e.code),
  );
  // an old-style unsigned sender is refused when signatures are required
  const old = new GroupSession({ conferenceId: CONF, me: carol.aor });
  b.removeMember(carol.aor);
  b.acceptDistribution(carol.aor, old.newEpoch());
  assert.throws(() => b.decrypt(old.encrypt(utf8('v1'))), code('GROUP_UNSIGNED'));
  // every byte of a signed frame is covered
  for (let i = 0; i < frame.length; i++) {
    const f = frame.slice();
    f[i] ^= 0x10;
    assert.throws(
      () => c.decrypt(f),
      (e) => isParleyError(e) && /^(GROUP_|E2E_)/.test(e.code),
      `offset ${i}`,
    );
  }
});
