// MSRP relay (RFC 4976) behaviour of the lab's Kamailio, driven by raw MSRP connections.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startLab, type Lab } from './lab';
import { RawMsrpClient, buildMsrp, msrpHeader } from './testing/rawmsrp';

describe('lab MSRP relay', () => {
  let lab: Lab;
  const clients: RawMsrpClient[] = [];
  const open = async (tls = false): Promise<RawMsrpClient> => {
    const c = await RawMsrpClient.connect(tls ? lab.ports.msrps : lab.ports.msrp, { tls, caFile: lab.caFile });
    clients.push(c);
    return c;
  };

  before(async () => { lab = await startLab(); });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await lab.stop();
  });

  it('challenges AUTH with 401 and grants Use-Path and Expires after digest', async () => {
    const c = await open();
    const first = await c.transact('AUTH', [['To-Path', c.relayUri], ['From-Path', c.uri]]);
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
    b.write(buildMsrp('rep1', 'REPORT', [['To-Path', msrpHeader(f, 'From-Path') ?? ''], ['From-Path', b.uri],
      ['Message-ID', msrpHeader(f, 'Message-ID') ?? ''], ['Byte-Range', '1-20/20'], ['Status', '000 200 OK']]));
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

  it('answers 481 for an unknown session and 403 to a non-owner using someone else\'s session', async () => {
    const a = await open();
    const b = await open();
    assert.equal((await a.auth('alice', 'alice-secret')).status, 200);
    const unknown = await a.send(`msrp://127.0.0.1:${lab.ports.msrp}/nosuchsession;tcp ${b.uri}`, 'x');
    assert.equal(unknown.status, 481);
    assert.equal((await b.auth('bob', 'bob-secret')).status, 200);
    const hijack = await b.send(`${a.usePath} ${b.usePath} ${b.uri}`, 'pretending to be alice');
    assert.equal(hijack.status, 403);
  });
});
