// Focus MSRP variants against the real lab (relay-to-relay, msrps with fingerprints, passive invitee) and the room lifetime limit.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startLab, freePorts, type Lab } from '../lab';
import { RawSipClient, header } from '../testing/rawsip';
import { parseConferenceInfo } from '../../main/protocol/formats/conference-info';
import { startAppServer, type AppServer } from './server';
import { usePatchedLabCfg } from './lab-patch';
import { acceptInvitation, joinRoom, sendChat, type ChatLeg } from './testing';
import { buildMultipart } from '../../main/protocol/formats/multipart';
import { serializeResourceList } from '../../main/protocol/formats/resource-lists';

const debug = (l: string): void => {
  if (process.env.AS_DEBUG) console.error(l);
};

async function waitUntil(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timeout: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('focus: MSRP relay and TLS participants, passive invitee, room lifetime', () => {
  let lab: Lab;
  let as: AppServer;
  const c: Record<string, RawSipClient> = {};
  const legs: ChatLeg[] = [];
  let unpatch = () => {};

  before(async () => {
    unpatch = usePatchedLabCfg();
    const [asPort] = await freePorts(1);
    lab = await startLab({ appServerPort: asPort, log: debug, logLevel: Number(process.env.KAM_LOG ?? 2) });
    await lab.addAccount('focus', 'focus-secret');
    as = await startAppServer({
      port: asPort,
      proxy: { host: '127.0.0.1', port: lab.ports.sip },
      domain: lab.domain,
      log: debug,
      msrpRelay: { uri: lab.relay.tcp, user: 'focus', password: 'focus-secret' },
      msrpTls: true,
      limits: { roomLifetimeMs: 2500 },
    });
    for (const u of ['alice', 'bob']) {
      c[u] = await RawSipClient.connect({
        lab,
        transport: 'tcp',
        user: u,
        password: `${u}-secret`,
        autoReply: (m) => (m.method === 'INVITE' ? 180 : 200),
      });
      assert.equal((await c[u].register()).status, 200);
    }
  });
  after(async () => {
    for (const l of legs) await l.transport.close();
    await as?.stop();
    await Promise.all(Object.values(c).map((x) => x.close()));
    await lab?.stop();
    unpatch();
  });

  it('a participant behind the lab MSRP relay (RFC 4976) chats with a direct one', async () => {
    const a = await joinRoom(c.alice, `sip:conf-factory@${lab.domain}`, lab.domain, {
      relay: { uri: lab.relay.tcp, user: 'alice', password: 'alice-secret' },
    });
    if (!('session' in a)) assert.fail(`relay join failed: ${a.status}`);
    legs.push(a);
    const b = await joinRoom(c.bob, a.roomUri, lab.domain);
    if (!('session' in b)) assert.fail(`join failed: ${b.status}`);
    legs.push(b);
    sendChat(a, lab.aor('alice'), [a.roomUri], 'via the relay');
    const m = await b.inbox.message();
    assert.equal(m.from?.uri, lab.aor('alice'));
    assert.equal(Buffer.from(m.body).toString(), 'via the relay');
    sendChat(b, lab.aor('bob'), [a.roomUri], 'and back');
    assert.equal(Buffer.from((await a.inbox.message()).body).toString(), 'and back');
    for (const [u, l] of [
      ['alice', a],
      ['bob', b],
    ] as const)
      assert.equal((await c[u].inDialog('BYE', l.dialog))?.status, 200);
    await waitUntil(() => as.rooms().every((r) => r.participants.length === 0), 'room to empty');
  });

  it('a participant offering TCP/TLS/MSRP gets an msrps path with the focus fingerprint and chats with a TCP one', async () => {
    const a = await joinRoom(c.alice, `sip:conf-factory@${lab.domain}`, lab.domain, { tls: true });
    if (!('session' in a)) assert.fail(`tls join failed: ${a.status}`);
    legs.push(a);
    assert.match(a.dialog.body, /^m=message \d+ TCP\/TLS\/MSRP \*/m);
    assert.match(a.dialog.body, /^a=path:msrps:\/\/127\.0\.0\.1:\d+\/\S+;tcp/m);
    assert.match(a.dialog.body, /^a=fingerprint:sha-256 [0-9A-F:]+/m);
    const b = await joinRoom(c.bob, a.roomUri, lab.domain);
    if (!('session' in b)) assert.fail(`join failed: ${b.status}`);
    legs.push(b);
    sendChat(a, lab.aor('alice'), [a.roomUri], 'over tls');
    assert.equal(Buffer.from((await b.inbox.message()).body).toString(), 'over tls');
    sendChat(b, lab.aor('bob'), [a.roomUri], 'over tcp');
    assert.equal(Buffer.from((await a.inbox.message()).body).toString(), 'over tcp');
    for (const [u, l] of [
      ['alice', a],
      ['bob', b],
    ] as const)
      assert.equal((await c[u].inDialog('BYE', l.dialog))?.status, 200);
  });

  it('an invitee that answers a=setup:passive is connected to by the focus', async () => {
    const a = await joinRoom(c.alice, `sip:conf-factory@${lab.domain}`, lab.domain, {
      multipart: (sdp) => {
        const mp = buildMultipart([
          { headers: [{ name: 'Content-Type', value: 'application/sdp' }], body: Buffer.from(sdp) },
          {
            headers: [
              { name: 'Content-Type', value: 'application/resource-lists+xml' },
              { name: 'Content-Disposition', value: 'recipient-list' },
            ],
            body: serializeResourceList([{ uri: lab.aor('bob') }]),
          },
        ]);
        return { contentType: mp.contentType, body: Buffer.from(mp.body).toString() };
      },
    });
    if (!('session' in a)) assert.fail(`create failed: ${a.status}`);
    legs.push(a);
    const inv = await c.bob.waitForRequest((m) => m.method === 'INVITE');
    const b = await acceptInvitation(c.bob, inv, lab.domain, { passive: true });
    legs.push(b);
    sendChat(b, lab.aor('bob'), [a.roomUri], 'answered passive');
    assert.equal(Buffer.from((await a.inbox.message()).body).toString(), 'answered passive');
    assert.equal((await c.alice.inDialog('BYE', a.dialog))?.status, 200);
    // the focus hangs up on bob when the room ends; bob's client answers the BYE
    await waitUntil(() => as.rooms().every((r) => r.participants.every((p) => p.aor !== lab.aor('alice'))), 'alice to leave');
  });

  it('ends the room at its maximum lifetime: BYE to participants, terminated NOTIFY with a deleted document', async () => {
    const a = await joinRoom(c.alice, `sip:conf-factory@${lab.domain}`, lab.domain);
    assert.ok('session' in a);
    legs.push(a);
    const b = await joinRoom(c.bob, a.roomUri, lab.domain);
    assert.ok('session' in b);
    legs.push(b);
    assert.equal((await c.bob.request('SUBSCRIBE', a.roomUri, { extra: [['Event', 'conference']] })).status, 200);
    const first = await c.bob.waitForRequest((m) => m.method === 'NOTIFY');
    assert.equal(parseConferenceInfo(first.body).users?.list.length, 2);
    const byes = ['alice', 'bob'].map((u) => c[u].waitForRequest((m) => m.method === 'BYE'));
    const last = await c.bob.waitForRequest((m) => m.method === 'NOTIFY', 5000);
    assert.match(header(last, 'Subscription-State') ?? '', /^terminated;reason=noresource/);
    assert.equal(parseConferenceInfo(last.body).state, 'deleted');
    for (const bye of await Promise.all(byes)) assert.match(header(bye, 'Reason') ?? '', /maximum lifetime/);
    await waitUntil(() => as.rooms().length === 0, 'rooms to end');
  });
});
