import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startLab, type Lab } from '../../../network/lab';
import { accountFor, nextEvent, UaPool } from '../../net/sip/testing';
import type { SipStateEvent, SipUserAgent } from '../../net/sip/ua';
import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { RawSipClient, header } from '../../../network/testing/rawsip';
import { serializeImdn } from '../../protocol/formats/imdn';
import { MemoryBlockList, PageMessagingService, type IncomingPageMessage } from './page-messaging';

let lab: Lab;
const pool = new UaPool();
let aliceUa: SipUserAgent;
let bobUa: SipUserAgent;
let alice: PageMessagingService;
let bob: PageMessagingService;
const bobBlocks = new MemoryBlockList();

before(async () => {
  lab = await startLab();
  aliceUa = pool.create(accountFor(lab, 'alice', 'wss', { reconnectMinSeconds: 1, reconnectMaxSeconds: 2 }));
  bobUa = pool.create(accountFor(lab, 'bob', 'tcp', { reconnectMinSeconds: 1, reconnectMaxSeconds: 2 }));
  alice = new PageMessagingService(aliceUa);
  bob = new PageMessagingService(bobUa, { blockList: bobBlocks, policy: { maxStreamBytes: 4000 } });
  await Promise.all([aliceUa.start(), bobUa.start()]);
});

after(async () => {
  await pool.stopAll();
  await lab?.stop();
});

const nextMessage = (svc: PageMessagingService, pred: (m: IncomingPageMessage) => boolean = () => true) =>
  nextEvent<IncomingPageMessage>(svc, 'message', pred);

test('text/plain both ways (WSS <-> TCP): delivered, with sender, type, text and transport', async () => {
  const got = nextMessage(bob, (m) => m.text === 'hello bob ✓');
  const out = await alice.send(lab.aor('bob'), { text: 'hello bob ✓' });
  assert.deepEqual([out.status, out.code], ['sent', 200]);
  const m = await got;
  assert.equal(m.from, lab.aor('alice'));
  assert.equal(m.to, lab.aor('bob'));
  assert.match(m.contentType, /^text\/plain/);
  assert.equal(m.mode, 'page');
  assert.equal(m.transport?.transport, 'TCP');
  assert.ok(m.receivedAt instanceof Date);

  const back = nextMessage(alice, (x) => x.text === 'hi alice');
  assert.equal((await bob.send(lab.aor('alice'), { text: 'hi alice' })).status, 'sent');
  assert.equal((await back).from, lab.aor('bob'));
});

test('message/cpim carries the IMDN Message-ID and DateTime end to end', async () => {
  const got = nextMessage(bob, (m) => m.contentType === 'message/cpim');
  const out = await alice.send(lab.aor('bob'), { text: 'cpim hello', cpim: true, notifications: ['positive-delivery'] });
  assert.equal(out.status, 'sent');
  assert.ok(out.imdnMessageId && out.imdnMessageId.length >= 16);
  const m = await got;
  assert.equal(m.imdnMessageId, out.imdnMessageId);
  assert.equal(m.text, 'cpim hello');
  assert.equal(m.cpim?.from?.uri, lab.aor('alice'));
  assert.ok(m.sentAt instanceof Date && Math.abs(m.sentAt.getTime() - Date.now()) < 60_000);
});

test('binary bodies round-trip (base64 + Content-Transfer-Encoding), including inside CPIM', async () => {
  const bytes = new Uint8Array(randomBytes(700));
  bytes[0] = 0xff;
  bytes[1] = 0x00;
  const got = nextMessage(bob, (m) => m.contentType === 'application/octet-stream');
  assert.equal((await alice.send(lab.aor('bob'), { body: bytes, contentType: 'application/octet-stream' })).status, 'sent');
  const m = await got;
  assert.deepEqual(m.body, bytes);
  assert.equal(m.text, undefined);

  const img = new Uint8Array(randomBytes(200));
  const got2 = nextMessage(bob, (x) => x.contentType === 'message/cpim' && x.cpim?.contentType === 'image/png');
  assert.equal((await alice.send(lab.aor('bob'), { body: img, contentType: 'image/png', cpim: true })).status, 'sent');
  assert.deepEqual((await got2).cpim?.body, img);
});

test('415 with Accept for an unsupported type, 413 over the size limit, 603 for a blocked sender', async () => {
  const r415 = await alice.send(lab.aor('bob'), { text: 'x', contentType: 'application/x-parley-unknown' });
  assert.deepEqual([r415.status, r415.code, r415.reason], ['failed', 415, 'Unsupported Media Type']);

  const r413 = await alice.send(lab.aor('bob'), { text: 'y'.repeat(5000) });
  assert.deepEqual([r413.status, r413.code, r413.reason], ['failed', 413, 'Request Entity Too Large']);
  // Just under the limit is fine.
  assert.equal((await alice.send(lab.aor('bob'), { text: 'z'.repeat(3900) })).status, 'sent');

  bobBlocks.block(lab.aor('bob'), '<sip:alice@PARLEY.test;transport=tcp>');
  try {
    const r603 = await alice.send(lab.aor('bob'), { text: 'let me in' });
    assert.deepEqual([r603.status, r603.code, r603.reason], ['failed', 603, 'Decline']);
  } finally {
    bobBlocks.unblock(lab.aor('bob'), lab.aor('alice'));
  }
  assert.equal((await alice.send(lab.aor('bob'), { text: 'unblocked' })).status, 'sent');
});

test('Content-Encoding: deflate/gzip decoded (raw client, like linphonec 5.1); 413 for a bomb; 415 + Accept-Encoding for unknown codings', async () => {
  await lab.addAccount('dora', 'dora-secret');
  const raw = await RawSipClient.connect({ lab, transport: 'tcp', user: 'dora', password: 'dora-secret' });
  try {
    const send = (bytes: Uint8Array, coding: string, contentType = 'text/plain;charset=utf-8', extra: Array<[string, string]> = []) =>
      raw.request('MESSAGE', lab.aor('bob'), { bodyBytes: bytes, contentType, extra: [['Content-Encoding', coding], ...extra] });
    const cases: Array<[string, (b: Buffer) => Buffer]> = [
      ['deflate', deflateSync],
      ['deflate', deflateRawSync],
      ['gzip', gzipSync],
      ['identity', (b) => b],
    ];
    for (const [i, [coding, fn]] of cases.entries()) {
      const text = `compressed ✓ ${i} ${'la '.repeat(50)}`;
      const got = nextMessage(bob, (m) => m.text === text);
      assert.equal((await send(fn(Buffer.from(text)), coding)).status, 200, `${coding} #${i}`);
      assert.equal((await got).from, lab.aor('dora'));
    }
    const chained = 'gzip then deflate';
    const gotChained = nextMessage(bob, (m) => m.text === chained);
    assert.equal((await send(deflateSync(gzipSync(Buffer.from(chained))), 'gzip, deflate')).status, 200);
    await gotChained;

    const bomb = deflateSync(Buffer.alloc(2_000_000, 0x41));
    assert.ok(bomb.length < 4000, "the bomb itself is under bob's 4000-byte limit");
    assert.equal((await send(bomb, 'deflate')).status, 413);
    const br = await send(Buffer.from('x'), 'br');
    assert.equal(br.status, 415);
    assert.match(header(br, 'Accept-Encoding') ?? '', /deflate.*gzip/);
    assert.equal((await send(Buffer.from('not deflate at all'), 'deflate')).status, 400);

    // IMDN delivery notification sent on its own (what linphonec does after receiving a message): 200 and exposed.
    const doc = serializeImdn({ kind: 'delivery', status: 'delivered', messageId: 'abc123', dateTime: '2026-01-01T00:00:00Z' });
    const gotImdn = nextMessage(bob, (m) => m.imdn !== undefined);
    const res = await send(deflateSync(Buffer.from(doc)), 'deflate', 'message/imdn+xml', [['Content-Disposition', 'notification']]);
    assert.equal(res.status, 200);
    const n = await gotImdn;
    assert.deepEqual([n.imdn?.kind, n.imdn?.status, n.imdn?.messageId], ['delivery', 'delivered', 'abc123']);
  } finally {
    await raw.close();
  }
});

test('failure outcomes carry the SIP code: unknown user', async () => {
  const r = await alice.send('sip:nobody@parley.test', { text: 'anyone?' });
  assert.equal(r.status, 'failed');
  assert.ok(r.status === 'failed' && r.errorCode === 'SIP_FAILURE');
  assert.equal(r.code, 404);
});

test('deferred delivery: offline recipient -> 202 stored; delivered with its original date on REGISTER', async () => {
  const plain = await alice.send(lab.aor('carol'), { text: 'while you were away' });
  assert.deepEqual([plain.status, plain.code], ['stored', 202]);
  const cpim = await alice.send(lab.aor('carol'), { text: 'cpim while away', cpim: true, imdnMessageId: 'deferred-id-1' });
  assert.equal(cpim.status, 'stored');
  const bytes = new Uint8Array([0, 1, 2, 0xfe, 0xff, 13, 10, 58]);
  const bin = await alice.send(lab.aor('carol'), { body: bytes, contentType: 'application/octet-stream' });
  assert.equal(bin.status, 'stored');
  // A deflated body (as linphonec sends IMDNs) is stored base64-armoured by the lab and decoded by Parley.
  await lab.addAccount('eve', 'eve-secret');
  const eve = await RawSipClient.connect({ lab, transport: 'tcp', user: 'eve', password: 'eve-secret' });
  const zipped = await eve.request('MESSAGE', lab.aor('carol'), {
    bodyBytes: deflateSync(Buffer.from('deflated while away')),
    contentType: 'text/plain',
    extra: [['Content-Encoding', 'deflate']],
  });
  await eve.close();
  assert.equal(zipped.status, 202);

  const carolUa = pool.create(accountFor(lab, 'carol', 'tls'));
  // No CPIM sniffing: the lab must deliver the stored message/cpim with its own Content-Type.
  const carol = new PageMessagingService(carolUa, { sniffStoredCpim: false });
  const received: IncomingPageMessage[] = [];
  const both = new Promise<void>((resolve) => {
    carol.on('message', (m) => {
      received.push(m);
      if (received.length === 4) resolve();
    });
  });
  await carolUa.start();
  await Promise.race([both, nextEvent(carol, 'never-emitted', () => false)]);
  const p = received.find((m) => m.text === 'while you were away');
  const c = received.find((m) => m.imdnMessageId === 'deferred-id-1');
  assert.ok(p && c, `got ${received.map((m) => m.text).join(', ')}`);
  assert.equal(p.from, lab.aor('alice'));
  assert.equal(c.text, 'cpim while away');
  assert.ok(c.sentAt && c.sentAt.getTime() < c.receivedAt.getTime(), 'the CPIM DateTime of the original send is kept');
  assert.equal(c.contentType, 'message/cpim');
  const b = received.find((m) => m.contentType === 'application/octet-stream');
  assert.ok(b, `types: ${received.map((m) => m.contentType).join(', ')}`);
  assert.deepEqual([...b.body], [...bytes], 'binary body decoded from its stored Content-Transfer-Encoding');
  const z = received.find((m) => m.from === lab.aor('eve'));
  assert.equal(z?.text, 'deflated while away');
  await carolUa.stop();
});

test('recovery: after the proxy restarts, both UAs re-register and messaging works again', async () => {
  const aliceBack = nextEvent<SipStateEvent>(aliceUa, 'state', (e) => e.state === 'registered');
  const bobBack = nextEvent<SipStateEvent>(bobUa, 'state', (e) => e.state === 'registered');
  const aliceLost = nextEvent<SipStateEvent>(aliceUa, 'state', (e) => e.state === 'reconnecting');
  await lab.restart();
  await aliceLost;
  await Promise.all([aliceBack, bobBack]);
  const regs = await lab.registrations();
  assert.ok(regs.includes('alice@parley.test') && regs.includes('bob@parley.test'), regs.join(','));
  const got = nextMessage(bob, (m) => m.text === 'after restart');
  assert.equal((await alice.send(lab.aor('bob'), { text: 'after restart' })).status, 'sent');
  await got;
});
