// MSRP relay (RFC 4976) behaviour of the lab's Kamailio, driven by raw MSRP connections.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startLab, type Lab } from './lab';
import { MsrpListener, RawMsrpClient, buildMsrp, msrpHeader, type MsrpFrame } from './testing/rawmsrp';

describe('lab MSRP relay', () => {
  let lab: Lab;
  const clients: Array<RawMsrpClient | MsrpListener> = [];
  const open = async (tls = false): Promise<RawMsrpClient> => {
    const c = await RawMsrpClient.connect(tls ? lab.ports.msrps : lab.ports.msrp, { tls, caFile: lab.caFile });
    clients.push(c);
    return c;
  };

  before(async () => {
    lab = await startLab();
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await lab.stop();
  });

  it('challenges AUTH with 401 and grants Use-Path and Expires after digest', async () => {
    const c = await open();
    const first = await c.transact('AUTH', [
      ['To-Path', c.relayUri],
      ['From-Path', c.uri],
    ]);
    assert.equal(first.status, 401);
    assert.match(msrpHeader(first, 'WWW-Authenticate') ?? '', /^Digest .*realm="parley\.test"/);
    const ok = await c.auth('alice', 'alice-secret');
    assert.equal(ok.status, 200);
    assert.match(msrpHeader(ok, 'Use-Path') ?? '', new RegExp(`^msrp://127\\.0\\.0\\.1:${lab.ports.msrp}/\\S+;tcp$`));
    assert.equal(msrpHeader(ok, 'Expires'), '600');
  });

  it('refuses a wrong password and an Expires below 60 (423 Min-Expires)', async () => {
    const c = await open();
    assert.equal((await c.auth('alice', 'wrong')).status, 401);
    const short = await c.auth('alice', 'alice-secret', 30);
    assert.equal(short.status, 423);
    assert.equal(msrpHeader(short, 'Min-Expires'), '60');
    const ok = await c.auth('alice', 'alice-secret', 120);
    assert.equal(ok.status, 200);
    assert.equal(msrpHeader(ok, 'Expires'), '120');
  });

  it('relays SEND and REPORT between two authenticated connections (TCP and TLS legs)', async () => {
    const a = await open();
    const b = await open(true);
    assert.equal((await a.auth('alice', 'alice-secret')).status, 200);
    assert.equal((await b.auth('bob', 'bob-secret')).status, 200);
    assert.match(b.usePath ?? '', new RegExp(`^msrps://127\\.0\\.0\\.1:${lab.ports.msrps}/`));
    const toBob = `${a.usePath} ${b.usePath} ${b.uri}`;
    const received = b.waitFor((f) => f.method === 'SEND');
    const res = await a.send(toBob, 'hello over the relay');
    assert.equal(res.status, 200);
    const f = await received;
    assert.equal(f.body, 'hello over the relay');
    assert.equal(msrpHeader(f, 'To-Path'), b.uri);
    assert.equal(msrpHeader(f, 'From-Path'), `${b.usePath} ${a.usePath} ${a.uri}`);

    // The reverse direction follows the From-Path received.
    const back = a.waitFor((x) => x.method === 'SEND');
    assert.equal((await b.send(msrpHeader(f, 'From-Path') ?? '', 'hi alice')).status, 200);
    assert.equal((await back).body, 'hi alice');

    // REPORT (no response expected) travels the same way.
    const report = a.waitFor((x) => x.method === 'REPORT');
    b.write(
      buildMsrp('rep1', 'REPORT', [
        ['To-Path', msrpHeader(f, 'From-Path') ?? ''],
        ['From-Path', b.uri],
        ['Message-ID', msrpHeader(f, 'Message-ID') ?? ''],
        ['Byte-Range', '1-20/20'],
        ['Status', '000 200 OK'],
      ]),
    );
    assert.equal(msrpHeader(await report, 'Status'), '000 200 OK');
  });

  it('relays a 10 KB chunk (the documented per-frame ceiling of this relay)', async () => {
    const a = await open();
    const b = await open();
    assert.equal((await a.auth('alice', 'alice-secret')).status, 200);
    assert.equal((await b.auth('bob', 'bob-secret')).status, 200);
    const chunk = 'z'.repeat(10 * 1024);
    const received = b.waitFor((f) => f.method === 'SEND');
    assert.equal((await a.send(`${a.usePath} ${b.usePath} ${b.uri}`, chunk)).status, 200);
    assert.equal((await received).body, chunk);
  });

  it("answers 481 for an unknown session and 403 to a non-owner using someone else's session", async () => {
    const a = await open();
    const b = await open();
    assert.equal((await a.auth('alice', 'alice-secret')).status, 200);
    const unknown = await a.send(`msrp://127.0.0.1:${lab.ports.msrp}/nosuchsession;tcp ${b.uri}`, 'x');
    assert.equal(unknown.status, 481);
    assert.equal((await b.auth('bob', 'bob-secret')).status, 200);
    const hijack = await b.send(`${a.usePath} ${b.usePath} ${b.uri}`, 'pretending to be alice');
    assert.equal(hijack.status, 403);
  });

  it('relays between a relayed client and a peer without a relay, in both directions (RFC 4976 s.6)', async () => {
    const a = await open();
    assert.equal((await a.auth('alice', 'alice-secret')).status, 200);
    const peer = await MsrpListener.listen();
    clients.push(peer);
    // Relayed -> direct: the relay connects out to the peer's own URI; the SEND must not come back to the sender.
    const atPeer = peer.waitFor((f) => f.method === 'SEND');
    assert.equal((await a.send(`${a.usePath} ${peer.uri}`, 'to a peer without relay')).status, 200);
    const f = await atPeer;
    assert.equal(f.body, 'to a peer without relay');
    assert.equal(msrpHeader(f, 'To-Path'), peer.uri);
    assert.equal(msrpHeader(f, 'From-Path'), `${a.usePath} ${a.uri}`);
    assert.equal(peer.accepted, 1);

    // Direct -> relayed, on the connection the relay opened (RFC 4975 connection reuse).
    const back = a.waitFor((x) => x.method === 'SEND' && x.body === 'back on your connection');
    assert.equal((await peer.send(msrpHeader(f, 'From-Path') ?? '', 'back on your connection')).status, 200);
    assert.equal(msrpHeader(await back, 'From-Path'), `${a.usePath} ${peer.uri}`);
    // Direct -> relayed, on a connection the peer opens to the relay itself.
    const c = await open();
    const back2 = a.waitFor((x) => x.method === 'SEND' && x.body === 'on my own connection');
    assert.equal((await c.send(`${a.usePath} ${a.uri}`, 'on my own connection', peer.uri)).status, 200);
    await back2;
    assert.equal(
      a.has((x) => x.body === 'to a peer without relay'),
      false,
      'the relay never echoed the SEND to its sender',
    );
  });

  // On a fresh lab (no loopback connection yet), every pair of clients authenticates, then both sides pipeline SENDs
  // at once: each SEND the relay answered 200 must arrive (the relay's first loopback hop to itself used to fail
  // now and then after its frames were queued and answered 200: silent loss).
  const burst = async (tls: boolean): Promise<void> => {
    const fresh = await startLab();
    const mine: RawMsrpClient[] = [];
    try {
      const pairs = await Promise.all(
        Array.from({ length: 6 }, async () => {
          const port = tls ? fresh.ports.msrps : fresh.ports.msrp;
          const a = await RawMsrpClient.connect(port, { tls, caFile: fresh.caFile });
          const b = await RawMsrpClient.connect(port, { tls, caFile: fresh.caFile });
          mine.push(a, b);
          assert.equal((await a.auth('alice', 'alice-secret')).status, 200);
          assert.equal((await b.auth('bob', 'bob-secret')).status, 200);
          return [a, b] as const;
        }),
      );
      const N = 10;
      const outcomes = await Promise.all(
        pairs.flatMap(([a, b]) =>
          [
            [a, b],
            [b, a],
          ].map(async ([x, y]) => {
            const body = (i: number): string => `${x.sessionId}-${i}-${'q'.repeat(4000)}`;
            const arrivals = Array.from({ length: N }, (_, i) =>
              y
                .waitFor((f) => f.method === 'SEND' && f.body === body(i))
                .then(
                  () => true,
                  () => false,
                ),
            );
            const answers = await Promise.all(Array.from({ length: N }, (_, i) => x.send(`${x.usePath} ${y.usePath} ${y.uri}`, body(i))));
            return { answers: answers.map((r: MsrpFrame) => r.status), arrived: await Promise.all(arrivals) };
          }),
        ),
      );
      for (const o of outcomes) {
        assert.deepEqual(o.answers, Array(N).fill(200));
        assert.deepEqual(o.arrived, Array(N).fill(true), 'every SEND answered 200 was delivered');
      }
    } finally {
      await Promise.all(mine.map((c) => c.close()));
      await fresh.stop();
    }
  };

  for (let round = 1; round <= 3; round++) {
    it(`both clients relayed over msrps, fresh relay #${round}: pipelined SENDs in both directions all arrive`, async () => {
      await burst(true);
    });
    it(`both clients relayed over TCP, fresh relay #${round}: pipelined SENDs in both directions all arrive`, async () => {
      await burst(false);
    });
  }

  it('sends no 200 for a SEND with Failure-Report: no or partial (RFC 4975 s.7.1.2), and still relays it', async () => {
    const a = await open();
    const b = await open();
    assert.equal((await a.auth('alice', 'alice-secret')).status, 200);
    assert.equal((await b.auth('bob', 'bob-secret')).status, 200);
    for (const fr of ['no', 'partial']) {
      const tid = `fr${fr}`;
      const got = b.waitFor((f) => f.method === 'SEND' && f.body === fr);
      a.write(
        buildMsrp(
          tid,
          'SEND',
          [
            ['To-Path', `${a.usePath} ${b.usePath} ${b.uri}`],
            ['From-Path', a.uri],
            ['Message-ID', tid],
            ['Byte-Range', `1-${fr.length}/${fr.length}`],
            ['Failure-Report', fr],
            ['Content-Type', 'text/plain'],
          ],
          fr,
        ),
      );
      await got;
    }
    // A normal SEND afterwards gets its 200; the two above got none (their transaction ids never answered).
    assert.equal((await a.send(`${a.usePath} ${b.usePath} ${b.uri}`, 'normal')).status, 200);
    assert.equal(
      a.has((f) => f.tid === 'frno' || f.tid === 'frpartial'),
      false,
    );
  });

  it('answers 413 to a frame too large for the relay instead of dropping it silently', async () => {
    const a = await open();
    const b = await open();
    assert.equal((await a.auth('alice', 'alice-secret')).status, 200);
    assert.equal((await b.auth('bob', 'bob-secret')).status, 200);
    const res = await a.send(`${a.usePath} ${b.usePath} ${b.uri}`, 'y'.repeat(12_000));
    assert.equal(res.status, 413);
    // The connection stays usable.
    assert.equal((await a.send(`${a.usePath} ${b.usePath} ${b.uri}`, 'small again')).status, 200);
    assert.equal((await b.waitFor((f) => f.method === 'SEND')).body, 'small again');
  });
});
