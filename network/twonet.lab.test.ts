// Two IMS networks (parley.test on 127.0.0.1, example.test on 127.0.0.2) with raw SIP/MSRP clients: static routes over
// TLS between the proxies, msilo across networks, dialogs through both Record-Routes, hop-by-hop identity, relay to
// relay MSRP, both application servers reachable. One pair of labs for the file.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startLabs, type LabPair } from './labs';
import { freePorts } from './ports';
import { startAppServer, type AppServer, type DeliveryReport } from './appserver/server';
import { RawSipClient, header, headers, type RawTransport } from './testing/rawsip';
import { RawMsrpClient, msrpHeader } from './testing/rawmsrp';
import { buildUriListMessage } from '../main/protocol/formats/resource-lists';

const WAIT_MS = 8000;

describe('two lab networks', () => {
  let pair: LabPair;
  const servers: AppServer[] = [];
  const clients: RawSipClient[] = [];
  const msrp: RawMsrpClient[] = [];
  const reports: DeliveryReport[] = [];

  before(async () => {
    const [homeAs] = await freePorts(1);
    const [peerAs] = await freePorts(1, '127.0.0.2');
    pair = await startLabs({ home: { appServerPort: homeAs }, peer: { appServerPort: peerAs } });
    for (const [lab, other] of [
      [pair.home, pair.peer],
      [pair.peer, pair.home],
    ]) {
      servers.push(
        await startAppServer({
          host: lab.host,
          port: lab.appServerPort!,
          proxy: { host: lab.host, port: lab.ports.sip },
          domain: lab.domain,
          peerDomains: [other.domain],
          onDeliveryReport: (r) => reports.push(r),
        }),
      );
    }
  });
  after(async () => {
    await Promise.all([...clients.map((c) => c.close()), ...msrp.map((c) => c.close())]);
    for (const s of servers) await s.stop();
    await pair?.stop();
  });

  const client = async (user: string, transport: RawTransport = 'tcp', o: { register?: boolean } = {}): Promise<RawSipClient> => {
    const lab = pair.home.accounts.some((a) => a.user === user) ? pair.home : pair.peer;
    const c = await RawSipClient.connect({ lab, transport, user, password: `${user}-secret` });
    clients.push(c);
    if (o.register !== false) assert.equal((await c.register()).status, 200, `${user} registers`);
    return c;
  };
  /** A TLS connection to parley.test's proxy presenting example.test's certificate: what the peer proxy looks like. */
  const asPeerProxy = async (): Promise<RawSipClient> => {
    const c = await RawSipClient.connect({
      lab: pair.home,
      transport: 'tls',
      user: 'dave',
      password: 'unused',
      clientCert: { certFile: pair.peer.certFile, keyFile: pair.peer.keyFile },
    });
    clients.push(c);
    return c;
  };

  it('runs parley.test on 127.0.0.1 and example.test on 127.0.0.2, certificates from one lab CA', () => {
    const { home, peer } = pair;
    assert.deepEqual([home.domain, home.host, peer.domain, peer.host], ['parley.test', '127.0.0.1', 'example.test', '127.0.0.2']);
    assert.deepEqual(
      peer.accounts.map((a) => a.user),
      ['dave', 'erin'],
    );
    assert.deepEqual(home.peer, {
      domain: 'example.test',
      host: '127.0.0.2',
      tls: peer.ports.tls,
      msrp: peer.ports.msrp,
      msrps: peer.ports.msrps,
    });
    assert.equal(peer.peer?.tls, home.ports.tls);
    assert.equal(peer.proxy.tls, `tls://127.0.0.2:${peer.ports.tls}`);
    assert.equal(peer.relay.tcp, `msrp://127.0.0.2:${peer.ports.msrp};tcp`);
    // example.test's certificate names it and 127.0.0.2 and chains to parley.test's CA (one lab CA)
    execFileSync('openssl', ['verify', '-CAfile', home.caFile, peer.certFile]);
    const san = execFileSync('openssl', ['x509', '-in', peer.certFile, '-noout', '-ext', 'subjectAltName']).toString();
    assert.match(san, /IP Address:127\.0\.0\.2/);
    assert.match(san, /DNS:example\.test/);
  });

  it('delivers page-mode MESSAGEs both ways between alice@parley.test and dave@example.test (any client transport)', async () => {
    const alice = await client('alice', 'tls');
    for (const transport of ['tcp', 'udp', 'ws'] as const) {
      const dave = await client('dave', transport);
      const got = dave.waitForRequest((m) => m.method === 'MESSAGE', WAIT_MS);
      assert.equal((await alice.message(pair.peer.aor('dave'), `to dave over ${transport}`)).status, 200);
      const m = await got;
      assert.equal(m.body, `to dave over ${transport}`);
      assert.match(header(m, 'From') ?? '', /<sip:alice@parley\.test>/);
      const back = alice.waitForRequest((x) => x.method === 'MESSAGE', WAIT_MS);
      assert.equal((await dave.message(pair.home.aor('alice'), `from dave over ${transport}`)).status, 200);
      assert.match(header(await back, 'From') ?? '', /<sip:dave@example\.test>/);
      assert.equal((await dave.register(0)).status, 200);
    }
  });

  it("stores a MESSAGE for an offline user of the other network (202) and delivers it on that user's REGISTER", async () => {
    const alice = await client('alice');
    const erin = await client('erin');
    const stored = await alice.request('MESSAGE', pair.peer.aor('dave'), {
      body: 'while you were out, dave',
      contentType: 'message/cpim',
    });
    assert.equal(stored.status, 202, 'example.test msilo stored it');
    assert.equal((await erin.message(pair.home.aor('bob'), 'while you were out, bob')).status, 202, 'parley.test msilo');
    const dave = await client('dave', 'tcp', { register: false });
    const toDave = dave.waitForRequest((m) => m.method === 'MESSAGE', WAIT_MS);
    assert.equal((await dave.register()).status, 200);
    const d = await toDave;
    assert.equal(d.body, 'while you were out, dave');
    assert.equal(header(d, 'Content-Type'), 'message/cpim');
    assert.match(header(d, 'From') ?? '', /<sip:alice@parley\.test>/);
    const bob = await client('bob', 'tcp', { register: false });
    const toBob = bob.waitForRequest((m) => m.method === 'MESSAGE', WAIT_MS);
    assert.equal((await bob.register()).status, 200);
    assert.match(header(await toBob, 'From') ?? '', /<sip:erin@example\.test>/);
    await dave.register(0);
    await bob.register(0);
  });

  it('routes an INVITE dialog through both proxies: both Record-Routes, ACK and BYE either way', async () => {
    const alice = await client('alice', 'tcp');
    const dave = await client('dave', 'ws');
    const sdp = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=message 9 TCP/MSRP *\r\n';
    for (const byeFrom of ['caller', 'callee'] as const) {
      const invite = dave.waitForRequest((m) => m.method === 'INVITE', WAIT_MS);
      const ok = await alice.request('INVITE', pair.peer.aor('dave'), { body: sdp, contentType: 'application/sdp' });
      assert.equal(ok.status, 200);
      const inv = await invite;
      const rr = headers(ok, 'Record-Route').join(', ');
      assert.match(rr, new RegExp(`127\\.0\\.0\\.1:${pair.home.ports.tls};transport=tls`), 'parley.test towards the peer');
      assert.match(rr, new RegExp(`127\\.0\\.0\\.2:${pair.peer.ports.tls};transport=tls`), 'example.test towards the peer');
      const ack = dave.waitForRequest((m) => m.method === 'ACK', WAIT_MS);
      await alice.inDialog('ACK', ok);
      await ack;
      if (byeFrom === 'caller') {
        const bye = dave.waitForRequest((m) => m.method === 'BYE', WAIT_MS);
        assert.equal((await alice.inDialog('BYE', ok))?.status, 200);
        await bye;
      } else {
        const bye = alice.waitForRequest((m) => m.method === 'BYE', WAIT_MS);
        assert.equal((await dave.inDialog('BYE', inv))?.status, 200);
        await bye;
      }
    }
  });

  it('refuses a third domain at both proxies, and requests for the peer that were not authenticated here', async () => {
    const alice = await client('alice');
    const dave = await client('dave');
    for (const c of [alice, dave]) {
      const res = await c.message('sip:someone@elsewhere.test', 'relay me');
      assert.equal(res.status, 403);
      assert.match(res.reason ?? '', /non-local/);
    }
    // From a domain that is neither: nobody vouches for it, so it does not leave for the peer network
    const stranger = await alice.message(pair.peer.aor('dave'), 'who am I', { from: 'sip:mallory@elsewhere.test' });
    assert.equal(stranger.status, 403);
    assert.match(stranger.reason ?? '', /only authenticated local users/);
    // ... and the peer proxy itself cannot use us as a relay to a third domain or back to itself
    const peerProxy = await asPeerProxy();
    for (const target of ['sip:someone@elsewhere.test', pair.peer.aor('erin')]) {
      const res = await peerProxy.message(target, 'onwards', { from: pair.peer.aor('dave') });
      assert.equal(res.status, 403, target);
      assert.match(res.reason ?? '', /must be for this domain/);
    }
  });

  it("refuses the peer network's identities unless they arrive from its proxy, and a spoofed From from that proxy", async () => {
    const bob = await client('bob');
    // a client of parley.test (no example.test certificate) claiming to be dave
    const fake = await client('carol', 'tls', { register: false });
    const claim = await fake.message(pair.home.aor('bob'), 'I am dave', { from: pair.peer.aor('dave') });
    assert.equal(claim.status, 403);
    assert.match(claim.reason ?? '', /must come through its proxy/);
    // a client of example.test claiming a parley.test identity is stopped by its own proxy
    const erin = await client('erin');
    const spoof = await erin.message(pair.home.aor('bob'), 'I am alice', { from: pair.home.aor('alice') });
    assert.equal(spoof.status, 403);
    // the peer proxy's TLS connection (its certificate) with a From outside its domain
    const peerProxy = await asPeerProxy();
    const relayed = await peerProxy.message(pair.home.aor('bob'), 'I am alice', { from: pair.home.aor('alice') });
    assert.equal(relayed.status, 403);
    assert.match(relayed.reason ?? '', /only send requests from its own users/);
    // ... and with its own user's From it is accepted
    const got = bob.waitForRequest((m) => m.method === 'MESSAGE', WAIT_MS);
    assert.equal((await peerProxy.message(pair.home.aor('bob'), 'hello from example.test', { from: pair.peer.aor('dave') })).status, 200);
    assert.equal((await got).body, 'hello from example.test');
  });

  it('relays MSRP relay to relay: each client AUTHs at its own network relay, SEND both ways; no other destination', async () => {
    for (const tls of [false, true]) {
      const a = await RawMsrpClient.connect(tls ? pair.home.ports.msrps : pair.home.ports.msrp, { tls, caFile: pair.home.caFile });
      const d = await RawMsrpClient.connect(tls ? pair.peer.ports.msrps : pair.peer.ports.msrp, {
        tls,
        caFile: pair.peer.caFile,
        host: pair.peer.host,
      });
      msrp.push(a, d);
      assert.equal((await a.auth('alice', 'alice-secret')).status, 200);
      assert.equal((await d.auth('dave', 'dave-secret')).status, 200);
      assert.match(d.usePath ?? '', new RegExp(`^msrps?://127\\.0\\.0\\.2:${tls ? pair.peer.ports.msrps : pair.peer.ports.msrp}/`));
      const received = d.waitFor((f) => f.method === 'SEND');
      assert.equal((await a.send(`${a.usePath} ${d.usePath} ${d.uri}`, `to dave (${tls ? 'msrps' : 'msrp'})`)).status, 200);
      const f = await received;
      assert.equal(f.body, `to dave (${tls ? 'msrps' : 'msrp'})`);
      assert.equal(msrpHeader(f, 'From-Path'), `${d.usePath} ${a.usePath} ${a.uri}`);
      const back = a.waitFor((x) => x.method === 'SEND');
      assert.equal((await d.send(msrpHeader(f, 'From-Path') ?? '', 'to alice')).status, 200);
      assert.equal((await back).body, 'to alice');
    }
    // The peer relay's address on another port, or any other address, is not a relay: refused
    const a = await RawMsrpClient.connect(pair.home.ports.msrp);
    msrp.push(a);
    assert.equal((await a.auth('alice', 'alice-secret')).status, 200);
    for (const bad of [`msrp://127.0.0.2:${pair.peer.ports.sip}/x;tcp`, 'msrp://127.0.0.3:2855/x;tcp']) {
      const res = await a.send(`${a.usePath} ${bad} msrp://127.0.0.1:9/y;tcp`, 'x');
      assert.equal(res.status, 403, bad);
    }
  });

  it("reaches each network's application server, also from the other network (list server with recipients in both)", async () => {
    const alice = await client('alice');
    const erin = await client('erin');
    const dave = await client('dave');
    for (const [c, target] of [
      [alice, 'sip:conf-factory@example.test'],
      [dave, 'sip:conf-factory@parley.test'],
    ] as const) {
      const res = await c.request('OPTIONS', target);
      assert.equal(res.status, 200, `OPTIONS ${target}`);
      assert.match(header(res, 'Allow') ?? '', /MESSAGE/);
    }
    // dave's list server fans out to erin (home) and alice (peer), From dave as asserted by example.test
    const toAlice = alice.waitForRequest((m) => m.method === 'MESSAGE', WAIT_MS);
    const toErin = erin.waitForRequest((m) => m.method === 'MESSAGE', WAIT_MS);
    const list = buildUriListMessage({
      message: { contentType: 'text/plain', headers: [], body: Buffer.from('to both networks') },
      recipients: [{ uri: pair.home.aor('alice') }, { uri: pair.peer.aor('erin') }, { uri: 'sip:x@elsewhere.test' }],
    });
    const res = await dave.request('MESSAGE', 'sip:list@example.test', {
      body: Buffer.from(list.body).toString(),
      contentType: list.contentType,
      extra: [['Require', 'recipient-list-message']],
    });
    assert.equal(res.status, 202);
    for (const m of [await toAlice, await toErin]) assert.match(header(m, 'From') ?? '', /<sip:dave@example\.test>/);
    const deadline = Date.now() + WAIT_MS;
    while (!reports.some((r) => r.sender === 'sip:dave@example.test') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const report = reports.find((r) => r.sender === 'sip:dave@example.test');
    assert.ok(report, 'delivery report within the wait');
    assert.deepEqual(report.results.map((r) => [r.recipient, r.outcome]).sort(), [
      ['sip:alice@parley.test', 'delivered'],
      ['sip:erin@example.test', 'delivered'],
      ['sip:x@elsewhere.test', 'skipped'],
    ]);
    // a peer user may not create rooms on this network's focus, nor send through its list server
    const create = await dave.request('INVITE', 'sip:conf-factory@parley.test', { body: 'v=0\r\n', contentType: 'application/sdp' });
    assert.equal(create.status, 403);
    const viaList = await dave.request('MESSAGE', 'sip:list@parley.test', {
      body: Buffer.from(list.body).toString(),
      contentType: list.contentType,
      extra: [['Require', 'recipient-list-message']],
    });
    assert.equal(viaList.status, 403);
  });
});
