import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { buildChatCpim, serializeCpim, type CpimMessage } from '../../protocol/formats/cpim';
import { initCrypto } from '../../security/sodium';
import { LocalIdentity } from '../../security/identity';
import { isParleyError, type ParleyError } from '../../base/errors';
import { ephemeralSecurity } from '../../security/bundle';
import { RoomCrypto } from './group-e2e';
import { PENDING_MAX_MESSAGES, PENDING_TTL_MS } from './types';
import type { SecurityBundle } from '../../security/bundle';

const ROOM = 'sip:conf-1@parley.test';
const aor = (n: string) => `sip:${n}@parley.test`;

/** An in-memory focus for private messages: queued, delivered in order on flush (the focus keeps From asserted). */
class Net {
  readonly queue: Array<{ from: string; to: string; cpim: CpimMessage }> = [];
  readonly parties = new Map<string, RoomCrypto>();
  sent = 0;
  readonly errors: ParleyError[] = [];
  io(from: string) {
    return {
      sendPrivate: async (to: string, contentType: string, body: string) => {
        this.sent++;
        this.queue.push({ from, to, cpim: buildChatCpim({ from, to: [to], messageId: `m${this.sent}`, content: { contentType, body } }) });
      },
    };
  }
  async flush(filter: (m: { from: string; to: string; cpim: CpimMessage }) => boolean = () => true): Promise<void> {
    for (let guard = 0; guard < 100; guard++) {
      await new Promise((r) => setImmediate(r));
      const i = this.queue.findIndex(filter);
      if (i < 0) {
        if (!this.queue.length) return;
        await new Promise((r) => setImmediate(r));
        if (this.queue.findIndex(filter) < 0) return;
        continue;
      }
      const m = this.queue.splice(i, 1)[0];
      const target = this.parties.get(m.to);
      if (target) await target.onPrivate(m.from, m.cpim).catch((e: ParleyError) => this.errors.push(e));
    }
  }
}

async function party(net: Net, name: string, sec?: SecurityBundle): Promise<{ c: RoomCrypto; sec: SecurityBundle }> {
  const s = sec ?? (await ephemeralSecurity(aor(name)));
  const c = new RoomCrypto(ROOM, s, net.io(aor(name)), Date.now, 0);
  net.parties.set(aor(name), c);
  return { c, sec: s };
}

const inner = (from: string, text: string) =>
  serializeCpim(buildChatCpim({ from, to: [ROOM], messageId: `t${Math.random().toString(36).slice(2)}`, text }));
const textOf = (r: { cpim: CpimMessage } | undefined) => (r ? Buffer.from(r.cpim.body).toString() : undefined);
const body = (s: string) => Buffer.from(s);

describe('RoomCrypto: group sender keys per membership epoch', () => {
  before(async () => {
    await initCrypto();
  });

  it("members discover each other's identity keys in the room, exchange sender keys and read each other", async () => {
    const net = new Net();
    const a = await party(net, 'alice');
    const b = await party(net, 'bob');
    const c = await party(net, 'carol');
    a.c.setMembers([aor('bob'), aor('carol')]);
    b.c.setMembers([aor('alice'), aor('carol')]);
    c.c.setMembers([aor('alice'), aor('bob')]);
    await net.flush();
    assert.deepEqual(net.errors, []);
    for (const p of [a, b, c]) assert.equal(p.c.status().allKeyed, true, JSON.stringify(p.c.status()));
    assert.deepEqual(a.c.status().unverified, [aor('bob'), aor('carol')]);
    const frame = a.c.encrypt(inner(aor('alice'), 'hi all'));
    assert.equal(textOf(b.c.openPublic(aor('alice'), body(frame))), 'hi all');
    assert.equal(textOf(c.c.openPublic(aor('alice'), body(frame))), 'hi all');
    // the focus cannot re-attribute a frame to another member
    const other = a.c.encrypt(inner(aor('alice'), 'mine'));
    assert.throws(
      () => c.c.openPublic(aor('bob'), body(other)),
      (e) => isParleyError(e, 'E2E_SENDER_MISMATCH'),
    );
    // a replayed frame is refused
    assert.throws(
      () => b.c.openPublic(aor('alice'), body(frame)),
      (e) => isParleyError(e, 'E2E_REPLAY'),
    );
  });

  it('a leaver cannot read messages after the rotation; a joiner cannot read messages from before it joined', async () => {
    const net = new Net();
    const a = await party(net, 'alice');
    const b = await party(net, 'bob');
    const c = await party(net, 'carol');
    a.c.setMembers([aor('bob'), aor('carol')]);
    b.c.setMembers([aor('alice'), aor('carol')]);
    c.c.setMembers([aor('alice'), aor('bob')]);
    await net.flush();
    const before = a.c.encrypt(inner(aor('alice'), 'before dave'));
    // carol leaves
    a.c.setMembers([aor('bob')]);
    b.c.setMembers([aor('alice')]);
    await net.flush();
    const afterLeave = a.c.encrypt(inner(aor('alice'), 'carol is gone'));
    assert.equal(textOf(b.c.openPublic(aor('alice'), body(afterLeave))), 'carol is gone');
    assert.throws(
      () => c.c.group.decrypt(Buffer.from(afterLeave, 'base64')),
      (e) => isParleyError(e, 'GROUP_UNKNOWN_SENDER_KEY'),
    );
    // dave joins and gets every key distributed from now on
    const d = await party(net, 'dave');
    a.c.setMembers([aor('bob'), aor('dave')]);
    b.c.setMembers([aor('alice'), aor('dave')]);
    d.c.setMembers([aor('alice'), aor('bob')]);
    await net.flush();
    assert.equal(d.c.status().allKeyed, true);
    assert.throws(
      () => d.c.group.decrypt(Buffer.from(before, 'base64')),
      (e) => isParleyError(e, 'GROUP_UNKNOWN_SENDER_KEY'),
    );
    assert.throws(
      () => d.c.group.decrypt(Buffer.from(afterLeave, 'base64')),
      (e) => isParleyError(e, 'GROUP_UNKNOWN_SENDER_KEY'),
    );
    assert.equal(textOf(d.c.openPublic(aor('alice'), body(a.c.encrypt(inner(aor('alice'), 'welcome dave'))))), 'welcome dave');
  });

  it('membership changes close together share one rotation; sending first rotates, never with a pre-join key', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const net = new Net();
    const a = await party(net, 'alice');
    const b = await party(net, 'bob');
    const c = await party(net, 'carol');
    const slow = new RoomCrypto(ROOM, await ephemeralSecurity(aor('dave')), net.io(aor('dave')), Date.now, 100);
    net.parties.set(aor('dave'), slow);
    for (const p of [a, b, c])
      p.c.setMembers(
        [aor('alice'), aor('bob'), aor('carol'), aor('dave')].filter((x) => x !== aor(p === a ? 'alice' : p === b ? 'bob' : 'carol')),
      );
    slow.setMembers([aor('alice')]);
    slow.setMembers([aor('alice'), aor('bob')]);
    assert.equal(slow.epoch, 0, 'no rotation before the window ends');
    t.mock.timers.tick(100);
    assert.equal(slow.epoch, 1, 'two changes, one rotation');
    slow.setMembers([aor('alice'), aor('bob'), aor('carol')]);
    const frame = slow.encrypt(inner(aor('dave'), 'after carol joined'));
    assert.equal(slow.epoch, 2, 'encrypt rotated at once');
    await net.flush();
    assert.equal(textOf(c.c.openPublic(aor('dave'), body(frame))), 'after carol joined');
    t.mock.timers.tick(100);
    assert.equal(slow.epoch, 2, 'the pending timer does not rotate again');
    slow.destroy();
  });

  it("a message that arrives before its sender's key is buffered and delivered when the key comes", async () => {
    const net = new Net();
    const a = await party(net, 'alice');
    const b = await party(net, 'bob');
    a.c.setMembers([aor('bob')]);
    b.c.setMembers([aor('alice')]);
    // only the key discovery round trip, not alice's distribution yet
    await net.flush((m) => !(m.from === aor('alice') && m.cpim.contentType === 'application/vnd.parley.e2e'));
    const frame = a.c.encrypt(inner(aor('alice'), 'early bird'));
    assert.equal(b.c.openPublic(aor('alice'), body(frame)), undefined);
    const got = new Promise<string>((resolve) => b.c.once('decrypted', (d) => resolve(Buffer.from(d.cpim.body).toString())));
    await net.flush();
    assert.equal(await got, 'early bird');
  });

  it('buffered messages expire with CONF_E2E_NO_SENDER_KEY; the buffer is bounded', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    let now = 1_000_000_000_000;
    const net = new Net();
    const sec = await ephemeralSecurity(aor('bob'));
    const b = new RoomCrypto(ROOM, sec, net.io(aor('bob')), () => now);
    const stranger = await ephemeralSecurity(aor('mallory'));
    const m = new RoomCrypto(ROOM, stranger, net.io(aor('mallory')));
    m.setMembers([aor('bob')]);
    b.setMembers([aor('mallory')]);
    const errors: ParleyError[] = [];
    b.on('undecryptable', (u) => errors.push(u.error));
    assert.equal(b.openPublic(aor('mallory'), body(m.encrypt(inner(aor('mallory'), 'x')))), undefined);
    now += PENDING_TTL_MS + 1;
    t.mock.timers.tick(1000);
    assert.deepEqual(
      errors.map((e) => e.code),
      ['CONF_E2E_NO_SENDER_KEY'],
    );
    for (let i = 0; i <= PENDING_MAX_MESSAGES; i++) b.openPublic(aor('mallory'), body(m.encrypt(inner(aor('mallory'), `n${i}`))));
    assert.equal(errors.at(-1)?.code, 'CONF_E2E_PENDING_FULL');
    b.destroy();
    m.destroy();
  });

  it('a member whose identity key changed gets no sender key and shows as changed', async () => {
    const net = new Net();
    const a = await party(net, 'alice');
    const b = await party(net, 'bob');
    a.c.setMembers([aor('bob')]);
    b.c.setMembers([aor('alice')]);
    await net.flush();
    // bob reinstalls (new identity key) and joins a fresh room instance with alice
    net.parties.clear();
    const net2 = new Net();
    const a2 = new RoomCrypto(ROOM, a.sec, net2.io(aor('alice')), Date.now, 0);
    net2.parties.set(aor('alice'), a2);
    const b2 = await party(net2, 'bob', await ephemeralSecurity(aor('bob'), LocalIdentity.generate(aor('bob'))));
    a2.setMembers([aor('bob')]);
    b2.c.setMembers([aor('alice')]);
    await net2.flush();
    // alice's sender key went to bob's old identity key (the new installation cannot open it); alice refuses the sender
    // key bob sealed with his new identity key until she accepts the change
    assert.deepEqual(
      net2.errors.map((e) => e.code),
      ['E2E_NOT_FOR_ME', 'PEER_KEY_CHANGED'],
    );
    const st = a2.status();
    assert.deepEqual(st.changed, [aor('bob')]);
    assert.equal(st.members[0].theyHaveOurKey, false);
    assert.equal(st.allKeyed, false);
  });

  it('a sender key from someone the room does not list, or no longer lists, is refused (issue 12)', async () => {
    const net = new Net();
    const a = await party(net, 'alice');
    const b = await party(net, 'bob');
    const m = await party(net, 'mallory');
    a.c.setMembers([aor('bob')]);
    b.c.setMembers([aor('alice')]);
    m.c.setMembers([aor('alice')]); // the focus lets mallory talk to alice, alice's roster does not list mallory
    await net.flush();
    assert.deepEqual(
      net.errors.map((e) => e.code),
      ['GROUP_NOT_MEMBER'],
    );
    assert.throws(
      () => a.c.group.decrypt(Buffer.from(m.c.encrypt(inner(aor('mallory'), 'planted')), 'base64')),
      (e) => isParleyError(e, 'GROUP_UNKNOWN_SENDER_KEY'),
    );
    assert.equal(a.c.status().members.length, 1);
    // bob leaves; his next key (a new epoch of his own) is refused by alice, who no longer lists him
    a.c.setMembers([]);
    await net.flush();
    b.c.setMembers([aor('alice'), aor('carol')]);
    await net.flush();
    assert.deepEqual(
      net.errors.map((e) => e.code),
      ['GROUP_NOT_MEMBER', 'GROUP_NOT_MEMBER'],
    );
    assert.throws(
      () => a.c.group.decrypt(Buffer.from(b.c.encrypt(inner(aor('bob'), 'from outside')), 'base64')),
      (e) => isParleyError(e, 'GROUP_UNKNOWN_SENDER_KEY'),
    );
    for (const p of [a, b, m]) p.c.destroy();
  });

  it("a joiner's key that arrives before the roster names the joiner is taken once the roster does", async () => {
    const net = new Net();
    const a = await party(net, 'alice');
    const d = await party(net, 'dave');
    d.c.setMembers([aor('alice')]);
    await net.flush();
    assert.deepEqual(
      net.errors.map((e) => e.code),
      ['GROUP_NOT_MEMBER'],
    );
    a.c.setMembers([aor('dave')]); // the NOTIFY naming dave comes after his key
    await net.flush();
    assert.equal(textOf(a.c.openPublic(aor('dave'), body(d.c.encrypt(inner(aor('dave'), 'hello room'))))), 'hello room');
    assert.equal(a.c.status().allKeyed, true);
    a.c.destroy();
    d.c.destroy();
  });
});
