import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, type Lab } from '../../../network/lab';
import { ensureCerts } from '../../../network/certs';
import { RawSipClient } from '../../../network/testing/rawsip';
import { accountFor, nextEvent, UaPool, type ProxyKind } from './testing';
import type { SipStateEvent } from './ua';

let lab: Lab;
let otherCaDir: string;
const pool = new UaPool();

before(async () => {
  lab = await startLab();
  otherCaDir = await mkdtemp(join(tmpdir(), 'parley-other-ca-'));
});

after(async () => {
  await pool.stopAll();
  await lab?.stop();
  await rm(otherCaDir, { recursive: true, force: true });
});

for (const kind of ['wss', 'ws', 'tls', 'tcp'] as ProxyKind[]) {
  test(`registers over ${kind.toUpperCase()} via the outbound proxy, exposes connection facts, unregisters on stop`, async () => {
    const ua = pool.create(accountFor(lab, 'carol', kind));
    const states: string[] = [];
    ua.on('state', (e) => states.push(e.state));
    await ua.start();
    assert.equal(ua.state, 'registered');
    assert.ok((await lab.registrations()).includes('carol@parley.test'));
    const info = ua.connectionInfo;
    assert.equal(info?.transport, kind.toUpperCase());
    assert.equal(info?.remoteAddress, '127.0.0.1');
    if (kind === 'tls' || kind === 'wss') {
      assert.match(info?.tls?.protocol ?? '', /^TLSv1\.[23]$/);
      assert.equal(info?.tls?.authorized, true);
      assert.match(info?.tls?.fingerprint256 ?? '', /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      assert.ok(info?.tls?.peerIssuer);
    } else {
      assert.equal(info?.tls, null);
    }
    await ua.stop();
    assert.deepEqual(states.slice(0, 2), ['connecting', 'registered']);
    assert.ok(!(await lab.registrations()).includes('carol@parley.test'), 'un-REGISTER removed the binding');
  });
}

test('wrong password: SIP_AUTH_FAILED with the status, no retry loop', async () => {
  const ua = pool.create(accountFor(lab, 'alice', 'tls', { password: 'not-the-password' }));
  await assert.rejects(ua.start(), (e: { code?: string; details?: { status?: number } }) => {
    assert.equal(e.code, 'SIP_AUTH_FAILED');
    assert.ok(e.details?.status === 401 || e.details?.status === 403);
    return true;
  });
  assert.equal(ua.state, 'failed');
  assert.equal(ua.lastError?.code, 'SIP_AUTH_FAILED');
});

for (const kind of ['tls', 'wss'] as ProxyKind[]) {
  test(`${kind.toUpperCase()} with a different CA: SIP_TLS_ERROR with the OpenSSL reason, never registered`, async () => {
    const other = await ensureCerts(otherCaDir, lab.domain);
    const ua = pool.create(accountFor(lab, 'bob', kind, { caFile: other.caFile }));
    const failed = nextEvent<SipStateEvent>(ua, 'state', (e) => e.state === 'failed');
    await assert.rejects(ua.start(), (e: { code?: string; details?: { opensslCode?: string } }) => {
      assert.equal(e.code, 'SIP_TLS_ERROR');
      assert.match(String(e.details?.opensslCode), /CERT|SIGNATURE|SELF_SIGNED|VERIFY/);
      return true;
    });
    assert.equal((await failed).error?.code, 'SIP_TLS_ERROR');
    assert.ok(!(await lab.registrations()).includes('bob@parley.test'));
  });
}

test('an incoming INVITE is answered 488 without crashing; a session layer can take INVITEs over', async () => {
  const ua = pool.create(accountFor(lab, 'bob', 'tcp'));
  await ua.start();
  const raw = await RawSipClient.connect({ lab, transport: 'tcp', user: 'alice', password: 'alice-secret' });
  try {
    const sdp =
      'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=message 7777 TCP/MSRP *\r\na=accept-types:text/plain\r\na=path:msrp://127.0.0.1:7777/abc;tcp\r\n';
    const res = await raw.request('INVITE', lab.aor('bob'), { body: sdp, contentType: 'application/sdp' });
    assert.equal(res.status, 488);
    // Unknown method: answered by JsSIP's default path, still no crash.
    const res2 = await raw.request('PUBLISH', lab.aor('bob'), { body: 'x', contentType: 'text/plain', extra: [['Event', 'presence']] });
    assert.ok(res2.status !== undefined && res2.status >= 400, `PUBLISH got ${res2.status}`);
    const seen: string[] = [];
    ua.setInviteHandler((req) => {
      seen.push(req.method);
      req.reply(486, 'Busy Here');
    });
    const res3 = await raw.request('INVITE', lab.aor('bob'), { body: sdp, contentType: 'application/sdp' });
    assert.equal(res3.status, 486);
    assert.deepEqual(seen, ['INVITE']);
    // Delegating to JsSIP's RTCSession is refused while Node has no WebRTC globals: the handler still answers.
    ua.delegateInvitesToJsSip(true);
    const res4 = await raw.request('INVITE', lab.aor('bob'), { body: sdp, contentType: 'application/sdp' });
    assert.equal(res4.status, 486);
    assert.deepEqual(seen, ['INVITE', 'INVITE']);
    // MESSAGE without a page-mode handler: 405 with Allow.
    const res5 = await raw.request('MESSAGE', lab.aor('bob'), { body: 'hi', contentType: 'text/plain' });
    assert.equal(res5.status, 405);
    assert.equal(ua.state, 'registered');
  } finally {
    await raw.close();
  }
});

test('re-registers before expiry (JsSIP Registrator: granted 10 s -> refresh after about 5 s)', async () => {
  const ua = pool.create(accountFor(lab, 'carol', 'tcp', { registerExpires: 10 }));
  await ua.start();
  const registeredAt = performance.now();
  const refresh = nextEvent<{ transaction: { request: { method: string } } }>(
    ua.jssip as never,
    'newTransaction',
    (e) => e.transaction.request.method === 'REGISTER',
    12_000,
  );
  await refresh;
  const elapsed = performance.now() - registeredAt;
  assert.ok(elapsed > 3000 && elapsed < 10_000, `refresh after ${elapsed.toFixed(0)} ms`);
  await nextEvent(
    ua.jssip as never,
    'transactionDestroyed',
    (e: { transaction: { request: { method: string } } }) => e.transaction.request.method === 'REGISTER',
  );
  assert.equal(ua.state, 'registered');
  assert.ok((await lab.registrations()).includes('carol@parley.test'));
  await ua.stop();
});
