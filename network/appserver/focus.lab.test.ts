// Conference focus against the real lab: rooms over INVITE, MSRP fan-out, private messages, nicknames, RFC 4575 NOTIFYs, limits.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startLab, freePorts, type Lab } from '../lab';
import { connect } from 'node:net';
import { once } from 'node:events';
import { RawSipClient, header, serialize, type SipMessage } from '../testing/rawsip';
import { applyConferenceInfo, parseConferenceInfo, type ConferenceView } from '../../main/protocol/formats/conference-info';
import { buildMultipart } from '../../main/protocol/formats/multipart';
import { serializeResourceList } from '../../main/protocol/formats/resource-lists';
import { startAppServer, type AppServer } from './server';
import { usePatchedLabCfg } from './lab-patch';
import { acceptInvitation, joinRoom, sendChat, type ChatLeg } from './testing';

const USERS = ['alice', 'bob', 'carol', 'dave'];
const debug = (l: string): void => {
  if (process.env.AS_DEBUG) console.error(l);
};

describe('conference focus behind the lab proxy', () => {
  let lab: Lab;
  let as: AppServer;
  const clients: RawSipClient[] = [];
  const legs: ChatLeg[] = [];
  const logs: string[] = [];
  const c: Record<string, RawSipClient> = {};

  let unpatch = () => {};
  before(async () => {
    unpatch = usePatchedLabCfg();
    const [asPort] = await freePorts(1);
    lab = await startLab({ appServerPort: asPort, log: debug, accounts: USERS.map((u) => ({ user: u, password: `${u}-secret` })) });
    as = await startAppServer({
      port: asPort,
      proxy: { host: '127.0.0.1', port: lab.ports.sip },
      domain: lab.domain,
      log: (l) => {
        logs.push(l);
        debug(l);
      },
      limits: {
        maxParticipants: 3,
        maxRooms: 2,
        maxMessageBytes: 4096,
        emptyRoomGraceMs: 300,
        inviteRingTimeoutMs: 500,
        subscribeMinExpiresS: 60,
      },
    });
    for (const u of USERS) {
      const cl = await RawSipClient.connect({
        lab,
        transport: 'tcp',
        user: u,
        password: `${u}-secret`,
        autoReply: (m) => (m.method === 'INVITE' ? 180 : 200),
      });
      clients.push(cl);
      c[u] = cl;
      assert.equal((await cl.register()).status, 200);
    }
  });
  after(async () => {
    for (const l of legs) await l.transport.close();
    await as?.stop();
    await Promise.all(clients.map((x) => x.close()));
    await lab?.stop();
    unpatch();
  });

  const join = async (user: string, ruri: string, o?: Parameters<typeof joinRoom>[3]): Promise<ChatLeg> => {
    const leg = await joinRoom(c[user], ruri, lab.domain, o);
    if (!('session' in leg)) assert.fail(`join failed: ${leg.status} ${header(leg, 'Warning')}`);
    legs.push(leg);
    return leg;
  };
  const notify = async (user: string, view?: ConferenceView): Promise<ConferenceView> => {
    const n = await c[user].waitForRequest((m) => m.method === 'NOTIFY');
    assert.equal(header(n, 'Event'), 'conference');
    return applyConferenceInfo(view, parseConferenceInfo(n.body));
  };
  const people = (v: ConferenceView) => v.users.list.map((u) => u.entity.replace(/^sip:|@.*$/g, '')).sort();

  let room = '';
  let alice: ChatLeg, bob: ChatLeg, carol: ChatLeg;
  let view: ConferenceView;
  let aliceSub: SipMessage;

  it('alice creates a room through the factory and invites carol with an RFC 5366 list; bob joins by the room URI', async () => {
    alice = await join('alice', `sip:conf-factory@${lab.domain}`, {
      subject: 'Launch',
      multipart: (sdp) => {
        const mp = buildMultipart([
          { headers: [{ name: 'Content-Type', value: 'application/sdp' }], body: Buffer.from(sdp) },
          {
            headers: [
              { name: 'Content-Type', value: 'application/resource-lists+xml' },
              { name: 'Content-Disposition', value: 'recipient-list' },
            ],
            body: serializeResourceList([{ uri: lab.aor('carol') }]),
          },
        ]);
        return { contentType: mp.contentType, body: Buffer.from(mp.body).toString() };
      },
    });
    room = alice.roomUri;
    assert.match(room, /^sip:conf-[0-9a-f]+@parley\.test$/);
    assert.match(header(alice.dialog, 'Contact') ?? '', /;isfocus/);

    aliceSub = await c.alice.request('SUBSCRIBE', room, {
      extra: [
        ['Event', 'conference'],
        ['Expires', '600'],
        ['Accept', 'application/conference-info+xml'],
      ],
    });
    assert.equal(aliceSub.status, 200);
    view = await notify('alice');
    assert.deepEqual(people(view), ['alice']);
    assert.equal(view.description?.subject, 'Launch');

    const inv = await c.carol.waitForRequest((m) => m.method === 'INVITE');
    assert.match(header(inv, 'From') ?? '', new RegExp(room.replace(/[.]/g, '\\.')));
    assert.match(header(inv, 'Referred-By') ?? '', /alice@parley\.test/);
    carol = await acceptInvitation(c.carol, inv, lab.domain);
    legs.push(carol);
    view = await notify('alice', view);
    assert.deepEqual(people(view), ['alice', 'carol']);

    bob = await join('bob', room);
    view = await notify('alice', view);
    assert.deepEqual(people(view), ['alice', 'bob', 'carol']);
    assert.equal(view.conferenceState?.userCount, 3);
  });

  it('fan-out keeps the authenticated sender in CPIM From (a forged From is overwritten)', async () => {
    sendChat(bob, 'sip:mallory@evil.test', [room], 'hello room');
    for (const leg of [alice, carol]) {
      const m = await leg.inbox.message();
      assert.equal(m.from?.uri, lab.aor('bob'));
      assert.equal(Buffer.from(m.body).toString(), 'hello room');
    }
    assert.equal(bob.inbox.messagesNow(), 0);
  });

  it('nicknames: 200, collision (case-insensitive) 425, invalid 423, and a partial NOTIFY with display-text', async () => {
    const nick = (leg: ChatLeg, n: string) =>
      new Promise<number>((r) => leg.session.request('NICKNAME', [['Use-Nickname', `"${n}"`]], (res) => r(res.status)));
    assert.equal(await nick(alice, 'Ace'), 200);
    view = await notify('alice', view);
    assert.equal(view.users.list.find((u) => u.entity === lab.aor('alice'))?.displayText, 'Ace');
    assert.equal(await nick(bob, 'ACE'), 425);
    assert.equal(await nick(bob, 'x'.repeat(40)), 423);
    sendChat(alice, lab.aor('alice'), [room], 'as Ace');
    const m = await bob.inbox.message();
    assert.deepEqual(m.from, { name: 'Ace', uri: lab.aor('alice') });
    await carol.inbox.message();
  });

  it('a private message reaches only its target; E2E payloads pass through unmodified', async () => {
    const cipher = 'AAECAwQFBgcICQ==.opaque';
    sendChat(alice, lab.aor('alice'), [lab.aor('carol')], cipher, 'application/vnd.parley.group-e2e');
    const m = await carol.inbox.message();
    assert.equal(m.contentType, 'application/vnd.parley.group-e2e');
    assert.equal(Buffer.from(m.body).toString(), cipher);
    // bob gets the next public message, proving the private one never reached him
    sendChat(alice, lab.aor('alice'), [room], 'public again');
    assert.equal(Buffer.from((await bob.inbox.message()).body).toString(), 'public again');
    await carol.inbox.message();
    // an unknown private recipient is reported back with a failure REPORT
    sendChat(alice, lab.aor('alice'), [lab.aor('dave')], 'nobody');
    const rep = await alice.inbox.wait((e) => e.type === 'report', 'REPORT');
    assert.equal(rep.type === 'report' && rep.status, 403);
  });

  it('SUBSCRIBE errors: wrong event 489, Expires too brief 423 with Min-Expires, outsider 403; Expires: 0 gets a terminated NOTIFY', async () => {
    const sub = (user: string, extra: Array<[string, string]>) => c[user].request('SUBSCRIBE', room, { extra });
    assert.equal((await sub('bob', [['Event', 'presence']])).status, 489);
    assert.equal(
      (
        await sub('bob', [
          ['Event', 'conference'],
          ['Accept', 'application/pidf+xml'],
        ])
      ).status,
      406,
    );
    const brief = await sub('bob', [
      ['Event', 'conference'],
      ['Expires', '10'],
    ]);
    assert.equal(brief.status, 423);
    assert.equal(header(brief, 'Min-Expires'), '60');
    const outsider = await sub('dave', [['Event', 'conference']]);
    assert.equal(outsider.status, 403);
    assert.match(header(outsider, 'Warning') ?? '', /only participants and invitees/);
    assert.equal(
      (
        await sub('bob', [
          ['Event', 'conference'],
          ['Expires', '0'],
        ])
      ).status,
      200,
    );
    const n = await c.bob.waitForRequest((m) => m.method === 'NOTIFY');
    assert.match(header(n, 'Subscription-State') ?? '', /^terminated/);
    assert.equal(parseConferenceInfo(n.body).state, 'full');
    // a refresh in the dialog: 200 with the granted Expires and a full document with the next version
    const refresh = await c.alice.inDialog('SUBSCRIBE', aliceSub, {
      extra: [
        ['Event', 'conference'],
        ['Expires', '120'],
      ],
    });
    assert.equal(refresh?.status, 200);
    assert.equal(header(refresh!, 'Expires'), '120');
    const full = await c.alice.waitForRequest((m) => m.method === 'NOTIFY');
    assert.match(header(full, 'Subscription-State') ?? '', /^active;expires=120/);
    const doc = parseConferenceInfo(full.body);
    assert.equal(doc.state, 'full');
    assert.equal(doc.version, view.version + 1);
    view = applyConferenceInfo(view, doc);
  });

  it('an invitation (MESSAGE with a resource list to the room) that rings too long is CANCELled', async () => {
    const list = serializeResourceList([{ uri: lab.aor('dave') }]);
    const r = await c.bob.request('MESSAGE', room, { body: Buffer.from(list).toString(), contentType: 'application/resource-lists+xml' });
    assert.equal(r.status, 202);
    const inv = await c.dave.waitForRequest((m) => m.method === 'INVITE');
    assert.match(header(inv, 'Referred-By') ?? '', /bob@parley\.test/);
    await c.dave.waitForRequest((m) => m.method === 'CANCEL' && header(m, 'Call-ID') === header(inv, 'Call-ID'));
    c.dave.reply(inv, 487, 'Request Terminated');
    await waitUntil(
      () => logs.some((l) => l.includes('invitation of sip:dave@parley.test by sip:bob@parley.test: 487')),
      'invitation to end with 487',
    );
    const outsider = await c.dave.request('MESSAGE', room, {
      body: Buffer.from(list).toString(),
      contentType: 'application/resource-lists+xml',
    });
    assert.equal(outsider.status, 403);
  });

  it('limits: full room 486 with Warning, oversized message MSRP 413, too many rooms 403', async () => {
    const full = await joinRoom(c.dave, room, lab.domain);
    assert.ok(!('session' in full));
    assert.equal(full.status, 486);
    assert.match(header(full, 'Warning') ?? '', /room is full \(max 3/);
    const failed = alice.inbox.wait((e) => e.type === 'sendFailed', 'sendFailed');
    sendChat(alice, lab.aor('alice'), [room], 'x'.repeat(5000));
    const f = await failed;
    assert.equal(f.type === 'sendFailed' && f.status, 413);
    const second = await join('dave', `sip:conf-factory@${lab.domain}`);
    const third = await joinRoom(c.dave, `sip:conf-factory@${lab.domain}`, lab.domain);
    assert.ok(!('session' in third));
    assert.equal(third.status, 403);
    assert.match(header(third, 'Warning') ?? '', /too many rooms/);
    assert.equal((await c.dave.inDialog('BYE', second.dialog))?.status, 200);
  });

  it('a request that did not come through the proxy is refused (403)', async () => {
    const sock = connect({ host: '127.0.0.1', port: as.port });
    await once(sock, 'connect');
    sock.write(
      serialize(
        `MESSAGE sip:group-x@${lab.domain} SIP/2.0`,
        [
          ['Via', 'SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKdirect'],
          ['From', '<sip:alice@parley.test>;tag=1'],
          ['To', `<sip:group-x@${lab.domain}>`],
          ['Call-ID', 'direct-1'],
          ['CSeq', '1 MESSAGE'],
          ['Max-Forwards', '70'],
        ],
        'x',
      ),
    );
    const [data] = (await once(sock, 'data')) as [Buffer];
    sock.destroy();
    assert.match(data.toString(), /^SIP\/2\.0 403 Forbidden - requests must come through the proxy/);
  });

  it('leaving by BYE sends a partial NOTIFY; an empty room ends after the grace period', async () => {
    assert.equal((await c.bob.request('SUBSCRIBE', room, { extra: [['Event', 'conference']] })).status, 200);
    assert.equal(parseConferenceInfo((await c.bob.waitForRequest((m) => m.method === 'NOTIFY')).body).users?.list.length, 3);
    assert.equal((await c.bob.inDialog('BYE', bob.dialog))?.status, 200);
    view = await notify('alice', view);
    assert.deepEqual(people(view), ['alice', 'carol']);
    const last = await c.bob.waitForRequest((m) => m.method === 'NOTIFY');
    assert.match(header(last, 'Subscription-State') ?? '', /^terminated;reason=deactivated/);
    // carol's client dies without a BYE: the focus notices the MSRP connection loss, hangs up and tells alice
    const bye = c.carol.waitForRequest((m) => m.method === 'BYE');
    await carol.transport.close();
    view = await notify('alice', view);
    assert.deepEqual(people(view), ['alice']);
    assert.match(header(await bye, 'Reason') ?? '', /MSRP connection lost/);
    // dave's room (empty since the previous test) ends after the 300 ms grace period; joining it then gives 404
    const daves = 'sip:' + /conf-[0-9a-f]+/.exec(logs.find((l) => l.includes('created by sip:dave'))!)![0] + '@' + lab.domain;
    await waitUntil(() => as.rooms().length === 1, 'empty room to end');
    const again = await joinRoom(c.dave, daves, lab.domain);
    assert.ok(!('session' in again));
    assert.equal(again.status, 404);
  });

  it('a participant behind the lab MSRP relay is served directly (no relay account needed by the focus)', async () => {
    const d = await join('dave', `sip:conf-factory@${lab.domain}`, {
      relay: { uri: lab.relay.tcp, user: 'dave', password: 'dave-secret' },
    });
    const b = await join('bob', d.roomUri);
    sendChat(d, lab.aor('dave'), [d.roomUri], 'from behind the relay');
    assert.equal(Buffer.from((await b.inbox.message()).body).toString(), 'from behind the relay');
    sendChat(b, lab.aor('bob'), [d.roomUri], 'back through the relay');
    assert.equal(Buffer.from((await d.inbox.message()).body).toString(), 'back through the relay');
    for (const [u, l] of [
      ['dave', d],
      ['bob', b],
    ] as const)
      assert.equal((await c[u].inDialog('BYE', l.dialog))?.status, 200);
  });
});

async function waitUntil(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timeout: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
