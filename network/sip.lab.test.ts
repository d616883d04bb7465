// SIP behaviour of the lab proxy/registrar (RFC 3261, RFC 3428, RFC 7118) with raw clients on every transport.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { deflateSync } from 'node:zlib';
import { startLab, type Lab } from './lab';
import { RawSipClient, header, headers, type RawTransport } from './testing/rawsip';

describe('lab SIP proxy and registrar', () => {
  let lab: Lab;
  const clients: RawSipClient[] = [];
  const client = async (user: string, transport: RawTransport, password = `${user}-secret`): Promise<RawSipClient> => {
    const c = await RawSipClient.connect({ lab, transport, user, password });
    clients.push(c);
    return c;
  };

  before(async () => {
    lab = await startLab({
      accounts: ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'gina', 'hank', 'ivan', 'judy', 'kim', 'lee'].map((u) => ({
        user: u,
        password: `${u}-secret`,
      })),
    });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await lab.stop();
  });

  for (const transport of ['udp', 'tcp', 'tls', 'ws', 'wss'] as const) {
    it(`REGISTER over ${transport}: 401 challenge, then 200 with digest`, async () => {
      const c = await client('alice', transport);
      const challenge = await c.request('REGISTER', `sip:${lab.domain}`, { to: c.aor, noAuth: true });
      assert.equal(challenge.status, 401);
      assert.match(header(challenge, 'WWW-Authenticate') ?? '', /realm="parley\.test".*qop="auth"/);
      const ok = await c.register();
      assert.equal(ok.status, 200);
      assert.match(header(ok, 'Contact') ?? '', /expires=/);
      assert.ok((await lab.registrations()).includes('alice@parley.test'));
      assert.equal((await c.register(0)).status, 200);
    });
  }

  it("refuses a wrong password and registering someone else's AoR", async () => {
    const c = await client('bob', 'tcp');
    const wrong = await c.register(600, { user: 'bob', password: 'nope' });
    assert.equal(wrong.status, 401);
    const other = await c.register(600, { user: 'carol', password: 'carol-secret' });
    assert.equal(other.status, 403);
    assert.ok(!(await lab.registrations()).includes('bob@parley.test'));
  });

  it('delivers a MESSAGE between two registered TCP clients and survives CRLF keep-alives', async () => {
    const a = await client('carol', 'tcp');
    const b = await client('dave', 'tcp');
    assert.equal((await a.register()).status, 200);
    assert.equal((await b.register()).status, 200);
    a.sendRaw('\r\n\r\n');
    const res = await a.message(lab.aor('dave'), 'hello dave');
    assert.equal(res.status, 200);
    const got = await b.waitForRequest((m) => m.method === 'MESSAGE');
    assert.equal(got.body, 'hello dave');
    assert.match(header(got, 'From') ?? '', /sip:carol@parley\.test/);
  });

  it('answers a double-CRLF ping with a CRLF pong on TCP', async () => {
    const s = connect({ host: '127.0.0.1', port: lab.ports.sip });
    await new Promise<void>((r) => s.once('connect', () => r()));
    const pong = new Promise<string>((r) => s.once('data', (d) => r(d.toString())));
    s.write('\r\n\r\n');
    assert.equal(await pong, '\r\n');
    s.destroy();
  });

  it("stores a MESSAGE for an offline user (202) and delivers it on that user's next REGISTER", async () => {
    const a = await client('erin', 'tcp');
    assert.equal((await a.register()).status, 200);
    const res = await a.message(lab.aor('frank'), 'while you were out');
    assert.equal(res.status, 202);
    const f = await client('frank', 'ws');
    const delivered = f.waitForRequest((m) => m.method === 'MESSAGE');
    assert.equal((await f.register()).status, 200);
    const m = await delivered;
    assert.equal(m.body, 'while you were out');
    assert.match(header(m, 'From') ?? '', /sip:erin@parley\.test/);
  });

  it('keeps Content-Type and body headers of stored messages (message/cpim, base64 binary, text/plain)', async () => {
    const a = await client('erin', 'tcp');
    assert.equal((await a.register()).status, 200);
    const cpim =
      'From: <sip:erin@parley.test>\r\nTo: <sip:kim@parley.test>\r\nNS: imdn <urn:ietf:params:imdn>\r\n' +
      'imdn.Message-ID: m1\r\nDateTime: 2026-01-01T00:00:00Z\r\n\r\nContent-Type: text/plain;charset=utf-8\r\n\r\nhi';
    const sent = [
      { type: 'message/cpim', body: cpim, extra: [] as Array<[string, string]> },
      {
        type: 'application/vnd.parley.e2e',
        body: Buffer.from([0, 1, 2, 255]).toString('base64'),
        extra: [
          ['Content-Transfer-Encoding', 'base64'],
          ['Content-Disposition', 'render'],
        ] as Array<[string, string]>,
      },
      { type: 'text/plain;charset=utf-8', body: 'plain text', extra: [['Subject', 'hello']] as Array<[string, string]> },
    ];
    for (const m of sent) {
      const res = await a.request('MESSAGE', lab.aor('kim'), { body: m.body, contentType: m.type, extra: m.extra });
      assert.equal(res.status, 202);
    }
    const k = await client('kim', 'tcp');
    const got = Promise.all(sent.map((m) => k.waitForRequest((r) => r.method === 'MESSAGE' && r.body === m.body)));
    assert.equal((await k.register()).status, 200);
    const received = await got;
    sent.forEach((m, i) => {
      const r = received[i];
      assert.deepEqual(headers(r, 'Content-Type'), [m.type], `Content-Type of stored ${m.type}`);
      for (const [name, value] of m.extra) assert.equal(header(r, name), value, `${name} of stored ${m.type}`);
      assert.equal(header(r, 'X-Parley-Silo-Content-Type'), undefined);
    });
  });

  it('stores a compressed (binary) body base64-armoured and delivers it with Content-Encoding kept', async () => {
    const a = await client('erin', 'tcp');
    assert.equal((await a.register()).status, 200);
    const text = `deflated for later ${'abc '.repeat(30)}`;
    const z = deflateSync(Buffer.from(text));
    assert.ok(z.includes(0), 'the compressed body has NUL bytes');
    const res = await a.request('MESSAGE', lab.aor('lee'), {
      bodyBytes: z,
      contentType: 'text/plain',
      extra: [['Content-Encoding', 'deflate']],
    });
    assert.equal(res.status, 202);
    const l = await client('lee', 'tcp');
    const got = l.waitForRequest((m) => m.method === 'MESSAGE');
    assert.equal((await l.register()).status, 200);
    const m = await got;
    assert.equal(header(m, 'Content-Encoding'), 'deflate');
    assert.equal(header(m, 'Content-Transfer-Encoding'), 'base64');
    assert.equal(m.body, text, 'decoded: base64, then deflate');
  });

  it('stores a MESSAGE for a user whose TCP connection vanished (handle_lost_tcp) instead of failing', async () => {
    const gone = await RawSipClient.connect({ lab, transport: 'tcp', user: 'judy', password: 'judy-secret' });
    assert.equal((await gone.register()).status, 200);
    await gone.close();
    const a = await client('erin', 'udp');
    const res = await a.message(lab.aor('judy'), 'are you there?');
    assert.equal(res.status, 202);
    const back = await client('judy', 'tcp');
    const delivered = back.waitForRequest((m) => m.method === 'MESSAGE');
    assert.equal((await back.register()).status, 200);
    assert.equal((await delivered).body, 'are you there?');
  });

  it('refuses a spoofed From (403) and an unauthenticated MESSAGE from a local user (407)', async () => {
    const a = await client('alice', 'tcp');
    const spoof = await a.message(lab.aor('bob'), 'I am bob', { from: lab.aor('bob') });
    assert.equal(spoof.status, 403);
    assert.match(spoof.reason ?? '', /From user does not match/);
    const noAuth = await a.request('MESSAGE', lab.aor('bob'), { body: 'x', noAuth: true });
    assert.equal(noAuth.status, 407);
  });

  it('refuses non-local destinations and answers 404 for unknown users', async () => {
    const a = await client('alice', 'udp');
    const foreign = await a.message('sip:someone@example.com', 'relay me');
    assert.equal(foreign.status, 403);
    assert.match(foreign.reason ?? '', /non-local/);
    const other = await a.message('sip:someone@127.0.0.2', 'relay me');
    assert.equal(other.status, 403);
    const unknown = await a.message(lab.aor('nobody'), 'hello?');
    assert.equal(unknown.status, 404);
  });

  it('routes INVITE/200/ACK/BYE and SUBSCRIBE/NOTIFY dialogs between TCP and WS clients through Record-Route', async () => {
    const a = await client('gina', 'tcp');
    const b = await client('hank', 'ws');
    assert.equal((await a.register()).status, 200);
    assert.equal((await b.register()).status, 200);
    const sdp = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=message 9 TCP/MSRP *\r\n';
    const invite = b.waitForRequest((m) => m.method === 'INVITE');
    const ok = await a.request('INVITE', lab.aor('hank'), { body: sdp, contentType: 'application/sdp' });
    assert.equal(ok.status, 200);
    assert.ok(header(await invite, 'Record-Route'));
    assert.ok(header(ok, 'Record-Route'));
    const ack = b.waitForRequest((m) => m.method === 'ACK');
    await a.inDialog('ACK', ok);
    await ack;
    const bye = b.waitForRequest((m) => m.method === 'BYE');
    assert.equal((await a.inDialog('BYE', ok))?.status, 200);
    await bye;

    const sub = b.waitForRequest((m) => m.method === 'SUBSCRIBE');
    const subOk = await a.request('SUBSCRIBE', lab.aor('hank'), {
      extra: [
        ['Event', 'conference'],
        ['Expires', '60'],
      ],
    });
    assert.equal(subOk.status, 200);
    const notify = a.waitForRequest((m) => m.method === 'NOTIFY');
    const nres = await b.inDialog('NOTIFY', await sub, {
      extra: [
        ['Event', 'conference'],
        ['Subscription-State', 'active;expires=60'],
      ],
    });
    assert.equal(nres?.status, 200);
    assert.equal(header(await notify, 'Event'), 'conference');
  });

  it('relays CANCEL of a ringing INVITE: 200 to CANCEL, 487 to the INVITE', async () => {
    const a = await client('carol', 'tls');
    const b = await RawSipClient.connect({
      lab,
      transport: 'udp',
      user: 'ivan',
      password: 'ivan-secret',
      autoReply: (req) => (req.method === 'INVITE' ? 180 : 200),
    });
    clients.push(b);
    assert.equal((await b.register()).status, 200);
    let inviteRaw = '';
    const ringing = b.waitForRequest((m) => m.method === 'INVITE');
    const final = a.request('INVITE', lab.aor('ivan'), {
      body: 'v=0\r\n',
      contentType: 'application/sdp',
      onSent: (r) => {
        inviteRaw = r;
      },
    });
    const inv = await ringing;
    const cancelled = b.waitForRequest((m) => m.method === 'CANCEL');
    assert.equal((await a.cancel(inviteRaw)).status, 200);
    await cancelled;
    b.reply(inv, 487, 'Request Terminated');
    const res = await final;
    assert.equal(res.status, 487);
    a.ackNon2xx(inviteRaw, res);
  });

  it('answers OPTIONS addressed to the proxy itself and relays OPTIONS between users', async () => {
    const a = await client('erin', 'tcp');
    assert.equal((await a.request('OPTIONS', `sip:${lab.domain}`)).status, 200);
    const b = await RawSipClient.connect({
      lab,
      transport: 'tcp',
      user: 'gina',
      password: 'gina-secret',
      autoReply: (req) => (req.method === 'OPTIONS' ? 202 : 200),
    });
    clients.push(b);
    assert.equal((await b.register()).status, 200);
    // Forked to every binding of gina; this client's distinctive 202 shows the request reached it.
    const seen = b.waitForRequest((m) => m.method === 'OPTIONS');
    const res = await a.request('OPTIONS', lab.aor('gina'));
    assert.ok(res.status === 200 || res.status === 202);
    assert.equal((await seen).method, 'OPTIONS');
  });

  it('accepts a new account added while running (db_text reload, no restart)', async () => {
    await lab.addAccount('zed', 'zed-secret');
    const z = await client('zed', 'tcp');
    assert.equal((await z.register()).status, 200);
    await lab.addAccount('zed', 'zed-changed');
    const z2 = await client('zed', 'udp', 'zed-changed');
    assert.equal((await z2.register()).status, 200);
  });
});
