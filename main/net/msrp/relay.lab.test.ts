// RFC 4976 relay client through the lab's Kamailio relay (one side and both sides relayed, both directions, no binding
// resend). The digest unit checks are in relay.test.ts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MsrpRelayClient, RELAY_CHUNK_SIZE } from './relay';
import { MsrpTransport } from './transport';
import { MsrpSession } from '../../protocol/msrp/session';
import { FakeClock } from '../../base/clock';
import { formatMsrpUri } from '../../protocol/msrp/uri';
import { isParleyError } from '../../base/errors';
import { waitFor } from '../../protocol/msrp/helpers.test-data';
import { readFileSync } from 'node:fs';
import { removeLabState, startLab, type Lab } from '../../../network/lab';

function pattern(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 131 + 7) & 0xff;
  return b;
}
async function* pieces(buf: Buffer, size: number): AsyncIterable<Buffer> {
  for (let o = 0; o < buf.length; o += size) yield buf.subarray(o, o + size);
}

describe('through the lab Kamailio relay', () => {
  let lab: Lab;
  const transports: MsrpTransport[] = [];
  const relays: MsrpRelayClient[] = [];
  const mk = (o: ConstructorParameters<typeof MsrpTransport>[0] = {}) => {
    const t = new MsrpTransport(o);
    transports.push(t);
    return t;
  };
  const relayClient = (t: MsrpTransport, user: string, opts: Partial<ConstructorParameters<typeof MsrpRelayClient>[1]> = {}) => {
    const r = new MsrpRelayClient(t, { relayUri: lab.relay.tcp, username: user, password: `${user}-secret`, ...opts });
    relays.push(r);
    return r;
  };

  before(async () => {
    lab = await startLab();
  });
  after(async () => {
    for (const r of relays) r.close();
    await Promise.all(transports.map((t) => t.close()));
    if (lab) {
      await lab.stop();
      await removeLabState(lab);
    }
  });

  it('AUTH: 401 digest -> 200 with Use-Path and Expires; refresh re-authenticates; wrong password fails', async () => {
    const clock = new FakeClock();
    const t = mk();
    const r = relayClient(t, 'alice', { clock, expires: 120 });
    const g = await r.authenticate();
    assert.equal(g.expires, 120);
    assert.match(formatMsrpUri(g.usePath[0]), new RegExp(`^msrp://127\\.0\\.0\\.1:${lab.ports.msrp}/\\S+;tcp$`));
    const first = formatMsrpUri(g.usePath[0]);
    assert.equal(clock.pendingTimers, 1, 'refresh scheduled');
    clock.advance(120 * 1000 * 0.8);
    // the refresh runs asynchronously over the socket: wait (bounded) for the new grant
    const deadline = Date.now() + 10_000;
    while (formatMsrpUri(r.usePath![0]) === first && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    assert.notEqual(formatMsrpUri(r.usePath![0]), first, 'a refreshed AUTH got a new grant');
    const bad = new MsrpRelayClient(mk(), { relayUri: lab.relay.tcp, username: 'alice', password: 'nope' });
    relays.push(bad);
    await assert.rejects(bad.authenticate(), (e) => isParleyError(e, 'MSRP_RELAY_AUTH_FAILED'));
  });

  it('423 Min-Expires: retries with the relay minimum', async () => {
    const r = relayClient(mk(), 'carol', { expires: 30 });
    const g = await r.authenticate();
    assert.equal(g.expires, 60);
  });

  for (const secure of [false, true])
    it(`both sides relayed over ${secure ? 'msrps (relay checked against the lab CA)' : 'msrp'}: both ways, 4096-byte chunks`, async () => {
      const tlsOpt = secure ? { tls: { ca: readFileSync(lab.caFile, 'utf8') } } : {};
      const ta = mk(tlsOpt);
      const tb = mk(tlsOpt);
      const relayUri = secure ? lab.relay.tls : lab.relay.tcp;
      const ra = relayClient(ta, 'alice', { relayUri });
      const rb = relayClient(tb, 'bob', { relayUri });
      const [ga, gb] = await Promise.all([ra.authenticate(), rb.authenticate()]);
      const aUri = ta.localUri();
      const bUri = tb.localUri();
      // a=path of each side is <Use-Path> <own URI>; To-Path is own relays then the peer's a=path
      const a = new MsrpSession({ localUri: aUri, toPath: [...ga.usePath, ...gb.usePath, bUri], chunkSize: RELAY_CHUNK_SIZE });
      const b = new MsrpSession({ localUri: bUri, toPath: [...gb.usePath, ...ga.usePath, aUri], chunkSize: RELAY_CHUNK_SIZE });
      await tb.attach(b, { role: 'passive', viaRelay: true });
      // One binding SEND, no resend: the relay answers it 200 hop by hop, so only bob's 'bound' proves it got through.
      // (This test used to resend it: with async TCP the lab relay lost frames while opening its relay-to-relay leg;
      // since the loopback leg is synchronous plain TCP nothing is lost, and a resend would only hide a loss.)
      const bound = waitFor(b, 'bound', () => true, 3000).catch(() => {
        throw new Error('the binding SEND never reached bob (relay answered 200 but lost it)');
      });
      await ta.attach(a, { role: 'active', viaRelay: true });
      await bound;
      const body = pattern(300_000);
      const got = waitFor(b, 'message');
      const sent = waitFor(a, 'sent');
      await ta.sendStream(a, pieces(body, 50_000), { contentType: 'application/octet-stream' }, body.length);
      assert.ok((await got).body!.equals(body));
      await sent;
      const back = waitFor(a, 'message');
      b.send({ contentType: 'text/plain', body: Buffer.from('hello alice, via two relay hops') });
      assert.equal((await back).body!.toString(), 'hello alice, via two relay hops');
      assert.equal(ta.connectionCount, 1, 'the session shares the AUTH connection');
    });

  for (const secure of [false, true])
    it(`one side relayed over ${secure ? 'msrps' : 'msrp'}: bob (no relay, active) connects to alice's relay; frames go both ways over bob's connection`, async () => {
      const tlsOpt = secure ? { tls: { ca: readFileSync(lab.caFile, 'utf8') } } : {};
      const ta = mk(tlsOpt);
      const tb = mk(tlsOpt);
      await tb.listen(); // bob could be reached on his listener: the relay must still use the connection bob opened
      const ra = relayClient(ta, 'alice', { relayUri: secure ? lab.relay.tls : lab.relay.tcp });
      const ga = await ra.authenticate();
      const aUri = ta.localUri();
      const bUri = tb.localUri();
      const a = new MsrpSession({ localUri: aUri, toPath: [...ga.usePath, bUri], chunkSize: RELAY_CHUNK_SIZE });
      const b = new MsrpSession({ localUri: bUri, toPath: [...ga.usePath, aUri], chunkSize: RELAY_CHUNK_SIZE });
      await ta.attach(a, { role: 'passive', viaRelay: true }); // registers on the AUTH connection, no listener needed
      const bound = waitFor(a, 'bound', () => true, 3000);
      await tb.attach(b, { role: 'active' }); // opens its own connection to the relay, binding SEND answered by the relay
      await bound;
      const got = waitFor(a, 'message');
      const sent = waitFor(b, 'sent');
      await tb.sendStream(b, pieces(pattern(50_000), 7_000), { contentType: 'application/octet-stream' });
      assert.ok((await got).body!.equals(pattern(50_000)));
      await sent;
      // the reverse: the relay sends alice's frames (To-Path: <relay> <bob>) over the connection bob opened (issue 11)
      const back = waitFor(b, 'message', () => true, 3000).catch(() => {
        throw new Error('alice -> bob never arrived');
      });
      const report = waitFor(a, 'delivered', () => true, 3000);
      a.send({ contentType: 'application/octet-stream', body: pattern(20_000), successReport: true });
      assert.ok((await back).body!.equals(pattern(20_000)));
      await report;
      assert.equal(tb.connectionCount, 1, "bob's one connection to the relay carried both directions");
    });
});
