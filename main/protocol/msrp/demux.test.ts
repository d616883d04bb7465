import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MsrpDemux } from './demux';
import { MsrpSession, type SessionEvent } from './session';
import { FakeClock } from '../../base/clock';
import { parseFrames } from './parser';
import { serializeRequest } from './serializer';
import { ParleyError as ParleyErrorCtor, type ParleyError } from '../../base/errors';

const PEER = 'msrp://127.0.0.1:9000/peer1234;tcp';
function mk(sid: string, events: SessionEvent[]) {
  const s = new MsrpSession({ localUri: `msrp://127.0.0.1:8000/${sid};tcp`, toPath: [PEER], clock: new FakeClock() });
  s.onEvent = (e) => events.push(e);
  return s;
}
const send = (sid: string, tid: string, text: string) =>
  serializeRequest({
    tid,
    method: 'SEND',
    toPath: [`msrp://127.0.0.1:8000/${sid};tcp`],
    fromPath: [PEER],
    headers: [['Message-ID', tid]],
    contentType: 'text/plain',
    body: Buffer.from(text),
  });

test('two sessions share one connection; frames go by To-Path session-id; unknown ids get 481', () => {
  const out: Buffer[] = [];
  const d = new MsrpDemux({ write: (p) => out.push(Buffer.concat(p)), onFatal: () => assert.fail('no fatal') });
  const e1: SessionEvent[] = [];
  const e2: SessionEvent[] = [];
  d.add(mk('sessOne1', e1));
  d.add(mk('sessTwo2', e2));
  const bytes = Buffer.concat([
    send('sessOne1', 'tid00001', 'one'),
    send('sessTwo2', 'tid00002', 'two'),
    send('nobody99', 'tid00003', 'three'),
  ]);
  for (let i = 0; i < bytes.length; i += 17) d.push(bytes.subarray(i, i + 17));
  assert.deepEqual(
    e1.filter((e) => e.type === 'message').map((e) => e.type === 'message' && e.body!.toString()),
    ['one'],
  );
  assert.deepEqual(
    e2.filter((e) => e.type === 'message').map((e) => e.type === 'message' && e.body!.toString()),
    ['two'],
  );
  assert.deepEqual(
    parseFrames(Buffer.concat(out)).frames.map((f) => [f.tid, f.status]),
    [
      ['tid00001', 200],
      ['tid00002', 200],
      ['tid00003', 481],
    ],
  );
});

test('streamed frames are routed too; unknown sessions can be adopted (passive binding)', () => {
  const out: Buffer[] = [];
  const ev: SessionEvent[] = [];
  const late = mk('lateSess', ev);
  const d = new MsrpDemux({
    write: (p) => out.push(Buffer.concat(p)),
    onFatal: () => {},
    onUnknownSession: (sid) => (sid === 'lateSess' ? { session: late, primary: true } : undefined),
    parserLimits: { bufferBodyBytes: 8 },
  });
  d.push(send('lateSess', 'tid00009', 'a body longer than eight bytes'));
  assert.ok(d.has('lateSess'));
  const m = ev.find((e) => e.type === 'message');
  assert.equal(m && m.type === 'message' && m.body!.toString(), 'a body longer than eight bytes');
});

test('framing error is fatal and closes every session on the connection', () => {
  let fatal: ParleyError | undefined;
  const ev: SessionEvent[] = [];
  const d = new MsrpDemux({ write: () => {}, onFatal: (e) => (fatal = e) });
  const s = mk('sessOne1', ev);
  d.add(s);
  s.send({ contentType: 'text/plain', body: Buffer.from('pending') });
  d.push(Buffer.from('NOT MSRP\r\n'));
  assert.equal(fatal?.code, 'MSRP_BAD_START_LINE');
  d.close(fatal!);
  assert.ok(ev.some((e) => e.type === 'sendFailed' && e.local));
});

test('a secondary connection delivers to a session but neither takes its writer nor closes it', () => {
  const out1: Buffer[] = [];
  const out2: Buffer[] = [];
  const ev: SessionEvent[] = [];
  const s = mk('sharedSs', ev);
  const d1 = new MsrpDemux({ write: (p) => out1.push(Buffer.concat(p)), onFatal: () => {} });
  const d2 = new MsrpDemux({
    write: (p) => out2.push(Buffer.concat(p)),
    onFatal: () => {},
    onUnknownSession: () => ({ session: s, primary: false }),
  });
  d1.add(s);
  d2.push(send('sharedSs', 'tid00021', 'via the second connection'));
  const m = ev.find((e) => e.type === 'message');
  assert.equal(m && m.type === 'message' && m.body!.toString(), 'via the second connection');
  assert.equal(out2.length, 0);
  assert.deepEqual(
    parseFrames(Buffer.concat(out1)).frames.map((f) => f.status),
    [200],
    'answered over the primary connection',
  );
  d2.close(new ParleyErrorCtor('MSRP_CONNECTION_CLOSED', 'x'));
  d1.push(send('sharedSs', 'tid00022', 'still alive'));
  assert.ok(ev.some((e) => e.type === 'message' && e.body!.toString() === 'still alive'));
});
