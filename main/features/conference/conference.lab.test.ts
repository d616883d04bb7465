// Chat conferences against the real lab + app server: create/invite/decline/accept/join, roster on join/leave, nickname
// collision, private messages, group E2E (ciphertext at the wire, a leaver cannot read later traffic), leaving.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RawSipClient } from '../../../network/testing/rawsip';
import { joinRoom, type ChatLeg } from '../../../network/appserver/testing';
import { parseCpim } from '../../protocol/formats/cpim';
import { isParleyError } from '../../base/errors';
import type { FocusInvitation } from './client';
import { ROUTE_PRIORITY } from '../../media/invite-router';
import type { IncomingSipRequest } from '../../net/sip/incoming';
import type { ConferenceRoom } from './room';
import type { RoomMessage } from './types';
import { GROUP_E2E_CONTENT_TYPE } from './types';
import { MemberPool, startConfLab, until, waitEvent, type ConfLab, type Member } from './testing';

const people = (r: ConferenceRoom) =>
  r.participants
    .map((p) => p.aor.replace(/^sip:|@.*$/g, ''))
    .sort()
    .join(',');
const nextMessage = (r: ConferenceRoom, pred: (m: RoomMessage) => boolean = () => true) => waitEvent<RoomMessage>(r, 'message', pred);

describe('conference client on the lab with the app server', () => {
  let env: ConfLab;
  const pool = new MemberPool();
  let alice: Member, bob: Member, carol: Member;
  let ra: ConferenceRoom, rb: ConferenceRoom, rc: ConferenceRoom;
  let raw: RawSipClient | undefined;
  let eve: ChatLeg | undefined;
  const asLog: string[] = [];
  /** INVITEs that reached carol's default route (the one chat sessions take), added before her conference route. */
  const carolDefault: IncomingSipRequest[] = [];

  before(async () => {
    env = await startConfLab({ users: ['alice', 'bob', 'carol', 'eve'], log: (l) => asLog.push(l) });
    const withDefaultRoute = async (m: Member) => {
      m.media.router.add({
        name: 'default stand-in',
        priority: ROUTE_PRIORITY.fallback,
        claims: () => true,
        handle: (req) => {
          carolDefault.push(req);
          req.reply(486, 'Busy Here');
        },
      });
    };
    [alice, bob, carol] = await Promise.all([
      pool.create(env.lab, 'alice'),
      pool.create(env.lab, 'bob'),
      pool.create(env.lab, 'carol', { beforeClient: withDefaultRoute }),
    ]);
  });
  after(async () => {
    await eve?.transport.close();
    await raw?.close();
    await pool.stopAll();
    await env?.stop();
  });

  it('alice creates a room inviting carol (RFC 5366 list); carol declines; re-invited she accepts; bob joins by URI', async () => {
    const firstInvite = waitEvent<FocusInvitation>(carol.client, 'invitation');
    ra = await alice.client.create({ invite: [carol.aor], subject: 'Launch' });
    assert.match(ra.uri, /^sip:conf-[0-9a-f]+@parley\.test$/);
    const inv1 = await firstInvite;
    assert.equal(inv1.roomUri, ra.uri);
    assert.equal(inv1.inviter, alice.aor);
    assert.equal(inv1.subject, 'Launch');
    inv1.decline();
    await until(
      () => asLog.some((l) => /invitation of sip:carol@parley\.test by sip:alice@parley\.test: 603/.test(l)),
      'the focus sees 603',
    );
    // The roster arrives by NOTIFY (RFC 4575), asynchronously to the INVITE transaction: wait for it, bounded.
    await until(() => people(ra) === 'alice', 'alice alone in her roster after carol declined');

    const second = waitEvent<FocusInvitation>(carol.client, 'invitation');
    await ra.invite([carol.aor]);
    rc = await (await second).accept();
    await until(() => people(ra) === 'alice,carol', "carol in alice's roster");
    rb = await bob.client.join(ra.uri);
    for (const r of [ra, rb, rc]) await until(() => people(r) === 'alice,bob,carol', `full roster at ${r.me}`);
    assert.equal(ra.subject, 'Launch');
  });

  it('only isfocus INVITEs are routed to the conference client: another INVITE reaches the default route on the same UA', async () => {
    const outsider = await RawSipClient.connect({ lab: env.lab, transport: 'tcp', user: 'eve', password: 'eve-secret' });
    try {
      let invitations = 0;
      const count = () => invitations++;
      carol.client.on('invitation', count);
      const sdp = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=message 9 TCP/MSRP *\r\n';
      const res = await outsider.request('INVITE', carol.aor, { body: sdp, contentType: 'application/sdp' });
      carol.client.off('invitation', count);
      assert.equal(res.status, 486);
      assert.equal(carolDefault.length, 1);
      assert.equal(invitations, 0);
    } finally {
      await outsider.close();
    }
  });

  it("every member ends up with every other member's sender key; messages are group-encrypted and decrypted", async () => {
    for (const r of [ra, rb, rc]) await until(() => r.security().allKeyed, `keys complete at ${r.me}`);
    assert.deepEqual(
      ra.security().members.map((m) => m.keyState),
      ['unverified', 'unverified'],
    );
    const atA = nextMessage(ra);
    const atC = nextMessage(rc);
    const sent = await rb.say('hello room');
    assert.equal(sent.status, 'sent');
    for (const m of [await atA, await atC]) {
      assert.equal(m.from, bob.aor);
      assert.equal(m.text, 'hello room');
      assert.equal(m.protected, true);
      assert.equal(m.private, false);
      assert.equal(m.imdnMessageId, sent.imdnMessageId);
    }
  });

  it('nicknames: alice takes "Ace"; bob asking for "ACE" gets CONF_NICKNAME_TAKEN; the roster shows it', async () => {
    await ra.setNickname('Ace');
    await assert.rejects(rb.setNickname('ACE'), (e) => isParleyError(e, 'CONF_NICKNAME_TAKEN'));
    await until(() => rb.participants.find((p) => p.aor === alice.aor)?.nickname === 'Ace', "nickname in bob's roster");
    const atB = nextMessage(rb);
    const atC = nextMessage(rc);
    await ra.say('as Ace');
    assert.equal((await atB).nickname, 'Ace');
    assert.equal((await atC).text, 'as Ace');
  });

  it('a private message (addressed by nickname) reaches only its target, sealed pairwise', async () => {
    const atB = nextMessage(rb);
    const atC = nextMessage(rc);
    assert.equal((await rc.sendPrivate('Ace', 'for alice only')).status, 'sent');
    const p = await nextMessage(ra);
    assert.equal(p.text, 'for alice only');
    assert.equal(p.private, true);
    assert.equal(p.protected, true);
    assert.equal(p.from, carol.aor);
    // the next public message is the first thing bob sees
    await ra.say('public after private');
    assert.equal((await atB).text, 'public after private');
    assert.equal((await atC).text, 'public after private');
  });

  it('a raw listener in the room sees only ciphertext; after carol leaves, her old keys cannot read new messages', async () => {
    // eve joins with a bare MSRP client (no keys): what the focus routes to a member is what a wire observer sees
    raw = await RawSipClient.connect({ lab: env.lab, transport: 'tcp', user: 'eve', password: 'eve-secret', autoReply: () => 200 });
    assert.equal((await raw.register()).status, 200);
    const leg = await joinRoom(raw, ra.uri, env.lab.domain);
    assert.ok('session' in leg);
    eve = leg;
    await until(() => people(ra) === 'alice,bob,carol,eve' && people(rb) === 'alice,bob,carol,eve', 'eve in the rosters');

    // keep carol's sender-key state past her leave (a leaver who kept everything she ever had)
    const carolKeys = rc.crypto!.group;
    carolKeys.destroy = () => {};
    const epochBefore = rb.crypto!.epoch;
    rc.leave();
    assert.equal(rc.state, 'left');
    await until(() => people(rb) === 'alice,bob,eve' && people(ra) === 'alice,bob,eve', 'carol gone from the rosters');

    const marker = 'after-carol-left-7f3a';
    const atA = nextMessage(ra, (m) => m.text === marker);
    await rb.say(marker);
    assert.ok(rb.crypto!.epoch > epochBefore, 'bob rotated his sender key before sending');
    assert.equal((await atA).protected, true);
    // eve's copy (the bytes on the focus's MSRP connection to a member): ciphertext only, no plaintext marker
    const ev = await eve.inbox.wait((e) => e.type === 'message' && !!e.body && isGroupFrom(e.body, bob.aor), "bob's group message at eve");
    const bytes = ev.type === 'message' ? ev.body! : Buffer.alloc(0);
    assert.equal(bytes.includes(marker), false);
    const frame = Buffer.from(Buffer.from(parseCpim(bytes).body).toString(), 'base64');
    assert.throws(
      () => carolKeys.decrypt(frame),
      (e) => isParleyError(e, 'GROUP_UNKNOWN_SENDER_KEY'),
    );
    assert.equal(frame.readUInt32BE(1), rb.crypto!.epoch);
  });

  it('a lost NOTIFY (version gap) makes the client re-SUBSCRIBE and resync from a full state', async () => {
    // swallow the next NOTIFY at alice (answered 200, never applied): the following partial one skips a version
    const j = alice.ua.jssip as unknown as { receiveRequest(r: unknown): void };
    const inner = j.receiveRequest.bind(j);
    let dropped = 0;
    j.receiveRequest = (r: unknown) => {
      const q = r as { method: string; to_tag?: string; reply(c: number): void };
      if (q.method === 'NOTIFY' && q.to_tag && dropped === 0) {
        dropped++;
        q.reply(200);
        return;
      }
      inner(r);
    };
    const before = ra.events.subscriptions;
    rb.leave();
    await until(() => dropped === 1, 'the NOTIFY about bob to be dropped');
    assert.equal(people(ra).includes('bob'), true, 'alice missed bob leaving');
    await ra.setNickname('Ace2');
    await until(() => ra.events.subscriptions === before + 1 && !people(ra).includes('bob'), 'resync after the gap');
    assert.equal(ra.participants.find((p) => p.isMe)?.nickname, 'Ace2');
    j.receiveRequest = inner;
  });

  it('leaving ends the room for the leaver', async () => {
    ra.leave();
    assert.equal(ra.state, 'left');
    await until(() => !env.as.rooms().some((r) => r.participants.some((p) => p.aor === alice.aor)), 'alice gone at the focus');
  });
});

function isGroupFrom(body: Buffer, aor: string): boolean {
  try {
    const c = parseCpim(body);
    return c.contentType === GROUP_E2E_CONTENT_TYPE && c.from?.uri === aor;
  } catch {
    return false;
  }
}
