import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MsrpSession, type MsrpSessionOptions, type SessionEvent } from './session';
import { TRANSACTION_TIMEOUT_MS } from './transactions';
import { FakeClock } from '../../base/clock';
import { parseFrames } from './parser';
import { getHeader, type MsrpFrame } from './message';
import { serializeRequest } from './serializer';
import { chunkBody } from './chunker';
import { formatByteRange } from './message';
import { ParleyError } from '../../base/errors';
import { parseMsrpUri } from './uri';

const A = 'msrp://127.0.0.1:7001/aliceSess1;tcp';
const B = 'msrp://127.0.0.1:7002/bobSess22;tcp';

/** Two sessions wired back to back; every frame written is recorded. */
function pair(aOpts: Partial<MsrpSessionOptions> = {}, bOpts: Partial<MsrpSessionOptions> = {}) {
  const clock = new FakeClock();
  const a = new MsrpSession({ localUri: A, toPath: [B], clock, ...aOpts });
  const b = new MsrpSession({ localUri: B, toPath: [A], clock, ...bOpts });
  const ev = { a: [] as SessionEvent[], b: [] as SessionEvent[] };
  const wire = { ab: [] as Buffer[], ba: [] as Buffer[] };
  let cut = false;
  a.onEvent = (e) => ev.a.push(e);
  b.onEvent = (e) => ev.b.push(e);
  a.setWriter((parts) => {
    const buf = Buffer.concat(parts);
    wire.ab.push(buf);
    if (!cut) b.feed(buf);
  });
  b.setWriter((parts) => {
    const buf = Buffer.concat(parts);
    wire.ba.push(buf);
    if (!cut) a.feed(buf);
  });
  return { a, b, ev, wire, clock, cutWire: () => (cut = true) };
}

const frames = (bufs: Buffer[]): MsrpFrame[] => parseFrames(Buffer.concat(bufs)).frames;
const types = (evs: SessionEvent[]) => evs.map((e) => e.type);

test('simple SEND: message on B, 200 back, sent on A', () => {
  const { a, ev, wire } = pair();
  const id = a.send({ contentType: 'text/plain', body: Buffer.from('hello') });
  const msg = ev.b.find((e) => e.type === 'message');
  assert.ok(msg && msg.type === 'message');
  assert.equal(msg.body!.toString(), 'hello');
  assert.equal(msg.messageId, id);
  assert.equal(msg.contentType, 'text/plain');
  assert.deepEqual(types(ev.a), ['sent']);
  const [resp] = frames(wire.ba);
  assert.equal(resp.status, 200);
  assert.equal(getHeader(resp.headers, 'To-Path'), A);
  assert.equal(getHeader(resp.headers, 'From-Path'), B);
});

test('chunked 100 KB message reassembles byte for byte', () => {
  const { a, ev, wire } = pair({ chunkSize: 4096 });
  const body = Buffer.alloc(100_000);
  for (let i = 0; i < body.length; i++) body[i] = (i * 31) & 0xff;
  a.send({ contentType: 'application/octet-stream', body });
  const sends = frames(wire.ab);
  assert.equal(sends.length, Math.ceil(100_000 / 4096));
  assert.equal(getHeader(sends[0].headers, 'Byte-Range'), '1-4096/100000');
  assert.equal(sends.at(-1)!.flag, '$');
  const msg = ev.b.find((e) => e.type === 'message');
  assert.ok(msg && msg.type === 'message' && msg.body!.equals(body));
  assert.equal(ev.b.filter((e) => e.type === 'chunk').length, sends.length - 1);
  assert.deepEqual(types(ev.a), ['sent']);
});

test('streamed message with unknown total uses * totals', () => {
  const { a, ev, wire } = pair({ chunkSize: 10 });
  const o = a.startMessage({ contentType: 'text/plain' });
  o.write(Buffer.from('0123456789abcdef'));
  o.write(Buffer.from('ghijklmnop'));
  o.end();
  assert.deepEqual(
    frames(wire.ab).map((f) => getHeader(f.headers, 'Byte-Range')),
    ['1-10/*', '11-20/*', '21-26/26'],
  );
  const msg = ev.b.find((e) => e.type === 'message');
  assert.equal(msg && msg.type === 'message' && msg.body!.toString(), '0123456789abcdefghijklmnop');
});

test('Success-Report: yes -> REPORT 000 200 OK covering the message -> progress + delivered', () => {
  const { a, ev, wire } = pair();
  const id = a.send({ contentType: 'text/plain', body: Buffer.from('report me'), successReport: true });
  const report = frames(wire.ba).find((f) => f.method === 'REPORT')!;
  assert.equal(getHeader(report.headers, 'Status'), '000 200 OK');
  assert.equal(getHeader(report.headers, 'Byte-Range'), '1-9/9');
  assert.equal(getHeader(report.headers, 'Message-ID'), id);
  // (loopback is synchronous, so the REPORT lands before end() returns; only the set of events is asserted)
  assert.deepEqual(types(ev.a).sort(), ['delivered', 'progress', 'report', 'sent']);
  const p = ev.a.find((e) => e.type === 'progress');
  assert.ok(p && p.type === 'progress' && p.confirmedBytes === 9 && p.totalBytes === 9);
  assert.equal(frames(wire.ab).filter((f) => f.kind === 'response').length, 0, 'REPORTs are never answered');
});

test('Failure-Report: no -> no responses at all; sender reports sent at once', () => {
  const { a, ev, wire, clock } = pair({ chunkSize: 4 });
  a.send({ contentType: 'text/plain', body: Buffer.from('0123456789'), failureReport: 'no' });
  assert.equal(wire.ba.length, 0);
  assert.deepEqual(types(ev.a), ['sent']);
  clock.advance(TRANSACTION_TIMEOUT_MS * 2);
  assert.deepEqual(types(ev.a), ['sent']);
});

test('Failure-Report: partial -> only negative responses', () => {
  const { a, ev, wire } = pair({}, { acceptTypes: ['text/plain'] });
  a.send({ contentType: 'text/plain', body: Buffer.from('ok'), failureReport: 'partial' });
  assert.equal(wire.ba.length, 0);
  a.send({ contentType: 'image/png', body: Buffer.from('png'), failureReport: 'partial' });
  assert.deepEqual(
    frames(wire.ba).map((f) => f.status),
    [415],
  );
  assert.deepEqual(types(ev.a), ['sent', 'sendFailed'], 'partial: no 200 awaited, but the 415 is reported');
});

test('415 for types outside accept-types (wildcards honoured)', () => {
  const { a, ev } = pair({}, { acceptTypes: ['message/cpim', 'text/*'] });
  a.send({ contentType: 'text/html; charset=utf-8', body: Buffer.from('<b>x</b>') });
  a.send({ contentType: 'application/pdf', body: Buffer.from('%PDF') });
  assert.deepEqual(types(ev.a), ['sent', 'sendFailed']);
  const f = ev.a[1];
  assert.ok(f.type === 'sendFailed' && f.status === 415 && !f.local);
  assert.equal(ev.b.filter((e) => e.type === 'message').length, 1);
});

test('413 when the message exceeds maxMessageBytes; the sender stops', () => {
  const { a, ev, wire } = pair({ chunkSize: 10 }, { maxMessageBytes: 50 });
  a.send({ contentType: 'text/plain', body: Buffer.alloc(100, 0x61) });
  const f = ev.a.find((e) => e.type === 'sendFailed');
  assert.ok(f && f.type === 'sendFailed' && f.status === 413);
  assert.equal(frames(wire.ab).length, 1, 'no chunk after the 413');
});

test('481 when To-Path is not this session; CEMA matches on session-id only', () => {
  const strict = pair({ toPath: ['msrp://10.0.0.9:7002/bobSess22;tcp'] });
  strict.a.send({ contentType: 'text/plain', body: Buffer.from('x') });
  assert.deepEqual(
    frames(strict.wire.ba).map((f) => f.status),
    [481],
  );
  const cema = pair(
    { toPath: ['msrp://10.0.0.9:7002/bobSess22;tcp'], localUri: 'msrp://192.168.1.2:9/aliceSess1;tcp', cema: true },
    { cema: true },
  );
  cema.a.send({ contentType: 'text/plain', body: Buffer.from('x') });
  assert.deepEqual(
    frames(cema.wire.ba).map((f) => f.status),
    [200],
  );
  const wrongPeer = pair({ localUri: 'msrp://127.0.0.1:7001/intruder;tcp' });
  wrongPeer.a.send({ contentType: 'text/plain', body: Buffer.from('x') });
  assert.deepEqual(
    frames(wrongPeer.wire.ba).map((f) => f.status),
    [481],
    'From-Path must be the peer',
  );
});

test("peer a=max-size: known totals refused locally, unknown totals interrupted with '#'", () => {
  const { a, ev, wire } = pair({ chunkSize: 10, remoteMaxSize: 25 });
  assert.throws(
    () => a.send({ contentType: 'text/plain', body: Buffer.alloc(26) }),
    (e) => (e as { code?: string }).code === 'MSRP_MESSAGE_TOO_LARGE',
  );
  a.send({ contentType: 'text/plain', body: Buffer.alloc(25, 0x61) });
  assert.ok(ev.b.some((e) => e.type === 'message' && e.totalBytes === 25));
  const o = a.startMessage({ contentType: 'text/plain' });
  assert.equal(o.write(Buffer.alloc(40)), false);
  const f = ev.a.find((e) => e.type === 'sendFailed');
  assert.ok(f && f.type === 'sendFailed' && f.status === 413 && f.local);
  const last = frames(wire.ab).at(-1)!;
  assert.equal(last.flag, '#');
  assert.equal(getHeader(last.headers, 'Byte-Range'), '21-20/*');
  assert.ok(ev.b.some((e) => e.type === 'aborted' && e.messageId === o.messageId));
});

test('transaction timeout: 408 locally after 30 s with no response', () => {
  const { a, ev, clock, cutWire } = pair();
  cutWire();
  a.send({ contentType: 'text/plain', body: Buffer.from('lost') });
  clock.advance(TRANSACTION_TIMEOUT_MS - 1);
  assert.equal(ev.a.length, 0);
  clock.advance(1);
  const f = ev.a[0];
  assert.ok(f.type === 'sendFailed' && f.status === 408 && f.local);
});

test('interrupted message: abort sends #, receiver reports aborted', () => {
  const { a, ev, wire } = pair({ chunkSize: 5 });
  const o = a.startMessage({ contentType: 'text/plain' }, 100);
  o.write(Buffer.alloc(20, 0x62));
  o.abort();
  assert.equal(frames(wire.ab).at(-1)!.flag, '#');
  assert.ok(ev.b.some((e) => e.type === 'aborted'));
  assert.ok(!ev.b.some((e) => e.type === 'message'));
  assert.equal(o.write(Buffer.alloc(1)), false);
});

test('out-of-order chunks from the wire complete the message', () => {
  const { b, ev } = pair();
  const body = Buffer.from('abcdefghijklmnopqrstuvwxyz');
  const bytes = chunkBody(body, 6)
    .reverse()
    .map((c, i) =>
      serializeRequest({
        tid: `tid0000${i}`,
        method: 'SEND',
        toPath: [B],
        fromPath: [A],
        headers: [
          ['Message-ID', 'ooo'],
          ['Byte-Range', formatByteRange(c.byteRange)],
        ],
        contentType: 'text/plain',
        body: c.body,
        flag: c.flag,
      }),
    );
  for (const x of bytes) b.feed(x);
  const msg = ev.b.find((e) => e.type === 'message');
  assert.equal(msg && msg.type === 'message' && msg.body!.toString(), body.toString());
});

test('failure REPORT from the peer fails the outgoing message', () => {
  const { a, ev, cutWire } = pair();
  cutWire();
  const id = a.send({ contentType: 'text/plain', body: Buffer.from('x'), successReport: true, failureReport: 'no' });
  a.feed(
    serializeRequest({
      tid: 'rep00001',
      method: 'REPORT',
      toPath: [A],
      fromPath: [B],
      headers: [
        ['Message-ID', id],
        ['Byte-Range', '1-1/1'],
        ['Status', '000 413 Message Too Large'],
      ],
    }),
  );
  const f = ev.a.find((e) => e.type === 'sendFailed');
  assert.ok(f && f.type === 'sendFailed' && f.status === 413 && f.messageId === id);
});

test('NICKNAME (RFC 7701): event with respond(); unknown methods get 501; bind SEND is silent', () => {
  const { a, b, ev } = pair();
  const results: number[] = [];
  b.onEvent = (e) => {
    ev.b.push(e);
    if (e.type === 'nickname') e.respond(e.nickname === 'Al' ? 200 : 424);
  };
  a.request('NICKNAME', [['Use-Nickname', '"Al"']], (r) => results.push(r.status));
  a.request('NICKNAME', [['Use-Nickname', '"Bob"']], (r) => results.push(r.status));
  a.request('FROBNICATE', [], (r) => results.push(r.status));
  a.request('NICKNAME', [], (r) => results.push(r.status));
  a.sendBindRequest((r) => results.push(r.status));
  assert.deepEqual(results, [200, 424, 501, 400, 200]);
  assert.ok(!ev.b.some((e) => e.type === 'message'));
  assert.equal(ev.b.filter((e) => e.type === 'bound').length, 1);
});

test('bad requests: missing Message-ID / bad Byte-Range -> 400; stray responses reported', () => {
  const { b, wire, ev } = pair();
  b.feed(
    serializeRequest({ tid: 'bad00001', method: 'SEND', toPath: [B], fromPath: [A], contentType: 'text/plain', body: Buffer.from('x') }),
  );
  b.feed(
    serializeRequest({
      tid: 'bad00002',
      method: 'SEND',
      toPath: [B],
      fromPath: [A],
      headers: [
        ['Message-ID', 'q'],
        ['Byte-Range', 'zz'],
      ],
      contentType: 'text/plain',
      body: Buffer.from('x'),
    }),
  );
  assert.deepEqual(
    frames(wire.ba).map((f) => f.status),
    [400, 400],
  );
  b.feed(Buffer.from(`MSRP stray0001 200 OK\r\nTo-Path: ${B}\r\nFrom-Path: ${A}\r\n-------stray0001$\r\n`));
  assert.ok(ev.b.some((e) => e.type === 'error' && e.error.code === 'MSRP_STRAY_RESPONSE' && !e.fatal));
  b.feed(Buffer.from('GET / HTTP/1.1\r\n'));
  assert.ok(ev.b.some((e) => e.type === 'error' && e.fatal && e.error.code === 'MSRP_BAD_START_LINE'));
});

test('frames written before a writer is attached are queued', () => {
  const clock = new FakeClock();
  const a = new MsrpSession({ localUri: A, toPath: [B], clock });
  a.send({ contentType: 'text/plain', body: Buffer.from('early') });
  const got: Buffer[] = [];
  a.setWriter((p) => got.push(Buffer.concat(p)));
  assert.equal(frames(got)[0].body!.toString(), 'early');
});

test('close fails pending transactions', () => {
  const { a, ev, cutWire } = pair();
  cutWire();
  a.send({ contentType: 'text/plain', body: Buffer.from('x') });
  a.close();
  assert.ok(ev.a.some((e) => e.type === 'sendFailed' && e.local));
});

test("close emits 'closed' once, after the pending transactions failed, with the reason given", () => {
  const { a, ev, cutWire } = pair();
  cutWire();
  a.send({ contentType: 'text/plain', body: Buffer.from('x') });
  const reason = new ParleyError('MSRP_CONNECTION_CLOSED', 'socket gone');
  a.close(reason);
  a.close();
  assert.deepEqual(types(ev.a), ['sendFailed', 'closed']);
  const closed = ev.a.at(-1);
  assert.ok(closed?.type === 'closed' && closed.reason === reason);
  const { b, ev: ev2 } = pair();
  b.close();
  assert.ok(ev2.b.length === 1 && ev2.b[0].type === 'closed' && ev2.b[0].reason.code === 'MSRP_SESSION_CLOSED');
});

test('Success-Report waits for a sink that settles later, and is never sent when it fails', async () => {
  for (const outcome of ['resolve', 'reject'] as const) {
    let settle!: { resolve(): void; reject(e: Error): void };
    const settled = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    settled.catch(() => {});
    const sink = { write() {}, end() {}, abort() {}, settled };
    const { a, ev } = pair({}, { createSink: () => sink });
    a.send({ contentType: 'text/plain', body: Buffer.from('file'), successReport: true });
    assert.deepEqual(types(ev.a), ['sent'], 'chunk answered 200 at once');
    assert.ok(ev.b.some((e) => e.type === 'message'));
    await new Promise<void>((r) => setImmediate(r));
    assert.ok(!ev.a.some((e) => e.type === 'delivered'), 'no report before the sink settled');
    if (outcome === 'resolve') settle.resolve();
    else settle.reject(new Error('hash mismatch'));
    await new Promise<void>((r) => setImmediate(r));
    assert.equal(
      ev.a.some((e) => e.type === 'delivered'),
      outcome === 'resolve',
    );
  }
});

test('holdInput pauses the connection once for nested holds, resumes after the last release, survives a flow swap', () => {
  const { a } = pair();
  const calls: string[] = [];
  const flow = (name: string) => ({ pause: () => calls.push(`${name} pause`), resume: () => calls.push(`${name} resume`) });
  a.setInputFlow(flow('c1'));
  const r1 = a.holdInput();
  const r2 = a.holdInput();
  r1();
  r1(); // idempotent
  assert.deepEqual(calls, ['c1 pause']);
  a.setInputFlow(flow('c2')); // moved to another connection while held
  r2();
  assert.deepEqual(calls, ['c1 pause', 'c1 resume', 'c2 pause', 'c2 resume']);
  const r3 = a.holdInput();
  a.setInputFlow(undefined);
  r3();
  assert.deepEqual(calls.slice(4), ['c2 pause', 'c2 resume']);
});

test('a To-Path changed in place (the focus re-targets sessions) is used by the next chunk', () => {
  const { a, wire } = pair();
  a.send({ contentType: 'text/plain', body: Buffer.from('one') });
  const relay = 'msrp://127.0.0.1:7009/relaySess1;tcp';
  a.toPath.splice(0, a.toPath.length, parseMsrpUri(relay), parseMsrpUri(B));
  a.send({ contentType: 'text/plain', body: Buffer.from('two') });
  const sends = frames(wire.ab).filter((f) => f.method === 'SEND');
  assert.deepEqual(
    sends.map((f) => getHeader(f.headers, 'To-Path')),
    [B, `${relay} ${B}`],
  );
});
