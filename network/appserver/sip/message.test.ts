// SIP codec, transaction matching and dialog tests; every fixture is fed split at every byte offset.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SipStreamFramer } from '../../../main/protocol/sip/stream-framer';
import { isParleyError } from '../../../main/base/errors';
import {
  aorOf,
  badRequest,
  buildResponse,
  getHeader,
  getHeaders,
  parseNameAddr,
  parseSipMessage,
  parseSipUri,
  parseVia,
  serializeSipMessage,
  splitList,
  type SipRequest,
} from './message';
import { ackForNon2xx, ClientTransactions, ServerTransactions, CLIENT_TIMEOUT_MS } from './transactions';
import { FakeClock } from '../../../main/base/clock';
import { Dialog } from './dialog';

const crlf = (s: string) => s.replace(/\n/g, '\r\n');
const INVITE =
  crlf(`INVITE sip:conf-factory@parley.test SIP/2.0
Record-Route: <sip:127.0.0.1:5060;transport=tcp;lr;ftag=a1>
Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKkam1;i=1
v: SIP/2.0/TCP 127.0.0.1:40000;received=127.0.0.1;rport=40000;branch=z9hG4bKcli1
Max-Forwards: 69
f: "Alice, A." <sip:alice@parley.test>;tag=a1
t: <sip:conf-factory@parley.test>
i: call-1@test
CSeq: 7 INVITE
m: <sip:alice@127.0.0.1:40000;transport=tcp;alias=127.0.0.1~40000~2>
Subject: folded
 header
c: application/sdp
l: 5

`) + 'v=0\r\n';
const NOTIFY_RESPONSE = crlf(`SIP/2.0 200 OK
Via: SIP/2.0/TCP 127.0.0.1:5090;branch=z9hG4bKas1;rport=5090
From: <sip:conf-x@parley.test>;tag=f1
To: <sip:bob@parley.test>;tag=b1
Call-ID: sub-1
CSeq: 2 NOTIFY
Content-Length: 0

`);

function feedSplit(text: string): Uint8Array[] {
  const bytes = Buffer.from(text);
  let ref: Uint8Array[] | undefined;
  for (let i = 0; i <= bytes.length; i++) {
    const f = new SipStreamFramer();
    const out: Uint8Array[] = [];
    for (const part of [bytes.subarray(0, i), bytes.subarray(i)]) {
      const { events, error } = f.push(part);
      assert.equal(error, undefined);
      for (const e of events) if (e.type === 'message') out.push(e.bytes);
    }
    if (ref)
      assert.deepEqual(
        out.map((b) => Buffer.from(b).toString()),
        ref.map((b) => Buffer.from(b).toString()),
        `split at ${i}`,
      );
    ref = out;
  }
  return ref!;
}

describe('SIP message codec', () => {
  it('parses a request with compact forms, folding and a body, at every split offset', () => {
    const frames = feedSplit(INVITE + NOTIFY_RESPONSE);
    assert.equal(frames.length, 2);
    const m = parseSipMessage(frames[0]);
    assert.equal(m.kind, 'request');
    const req = m as SipRequest;
    assert.equal(req.method, 'INVITE');
    assert.equal(req.uri, 'sip:conf-factory@parley.test');
    assert.equal(getHeader(req, 'Call-ID'), 'call-1@test');
    assert.equal(getHeader(req, 'subject'), 'folded header');
    assert.equal(getHeaders(req, 'Via').length, 2);
    assert.equal(parseNameAddr(getHeader(req, 'From')!).display, 'Alice, A.');
    assert.equal(parseNameAddr(getHeader(req, 'From')!).params.tag, 'a1');
    assert.equal(req.body.toString(), 'v=0\r\n');
    const r = parseSipMessage(frames[1]);
    assert.equal(r.kind, 'response');
    assert.equal(r.kind === 'response' && r.status, 200);
  });

  it('round-trips through the serializer with a recomputed Content-Length', () => {
    const m = parseSipMessage(Buffer.from(INVITE));
    const again = parseSipMessage(serializeSipMessage({ ...m, body: Buffer.from('v=0\r\nx\r\n') }));
    assert.equal(getHeader(again, 'Content-Length'), '8');
    assert.equal(again.body.toString(), 'v=0\r\nx\r\n');
  });

  it('rejects malformed input with typed errors', () => {
    const bad = [
      'INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bKx\r\n\r\n', // missing From/To/...
      'HELLO\r\n\r\n',
      crlf('MESSAGE sip:a@b SIP/2.0\nVia: SIP/2.0/TCP h\nFrom: <sip:x@y>;tag=1\nTo: <sip:a@b>\nCall-ID: 1\nCSeq: 1 INVITE\n\n'),
      crlf('MESSAGE sip:a@b SIP/2.0\nbad header line\n\n'),
      crlf(
        'MESSAGE sip:a@b SIP/2.0\nVia: SIP/2.0/TCP h\nFrom: <sip:x@y>;tag=1\nTo: <sip:a@b>\nCall-ID: 1\nCSeq: 1 MESSAGE\nContent-Length: 9\n\nabc',
      ),
    ];
    for (const b of bad)
      assert.throws(
        () => parseSipMessage(Buffer.from(b)),
        (e) => isParleyError(e, 'SIP_PARSE_ERROR'),
        b,
      );
    assert.throws(
      () =>
        serializeSipMessage({ kind: 'response', status: 200, reason: 'OK', headers: [['X', 'a\r\nInjected: 1']], body: Buffer.alloc(0) }),
      (e) => isParleyError(e, 'SIP_BAD_HEADER'),
    );
  });

  it('answers an unparseable request with 400 when it can, never a response or a headless message', () => {
    const req = crlf(
      'MESSAGE sip:a@b SIP/2.0\nVia: SIP/2.0/TCP h;branch=z9hG4bKx\nFrom: <sip:x@y>;tag=1\nTo: <sip:a@b>\nCall-ID: 1\nCSeq: 1 INVITE\n\n',
    );
    const res = badRequest(Buffer.from(req), 'CSeq method INVITE differs from MESSAGE')!;
    const parsed = parseSipMessage(res);
    assert.equal(parsed.kind === 'response' && parsed.status, 400);
    assert.equal(getHeader(parsed, 'Call-ID'), '1');
    assert.equal(badRequest(Buffer.from(NOTIFY_RESPONSE), 'x'), undefined);
    assert.equal(badRequest(Buffer.from(crlf('MESSAGE sip:a@b SIP/2.0\nVia: SIP/2.0/TCP h\n\n')), 'x'), undefined);
  });

  it('parses URIs, Via, lists', () => {
    assert.deepEqual(parseSipUri('sip:conf-ab12@parley.test;transport=tcp').user, 'conf-ab12');
    assert.equal(parseSipUri('sip:127.0.0.1:5090;transport=tcp').port, 5090);
    assert.equal(aorOf('sip:Bob@Parley.test:5060;transport=tcp'), 'sip:Bob@parley.test');
    assert.equal(parseVia('SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK1;rport').params.branch, 'z9hG4bK1');
    assert.deepEqual(splitList('<sip:a;lr>, "x,y" <sip:b>,<sip:c>'), ['<sip:a;lr>', '"x,y" <sip:b>', '<sip:c>']);
  });

  it('builds responses: To tag added once, Record-Route copied for 2xx only', () => {
    const req = parseSipMessage(Buffer.from(INVITE)) as SipRequest;
    const ok = buildResponse(req, 200, { toTag: 'zz' });
    assert.match(getHeader(ok, 'To')!, /;tag=zz$/);
    assert.equal(getHeaders(ok, 'Record-Route').length, 1);
    assert.equal(getHeaders(buildResponse(req, 486, { toTag: 'zz' }), 'Record-Route').length, 0);
  });
});

describe('SIP transactions', () => {
  const req = () => parseSipMessage(Buffer.from(INVITE)) as SipRequest;
  it('server: new, retransmission with the last response, ACK of a non-2xx absorbed, CANCEL matched', () => {
    const st = new ServerTransactions(new FakeClock());
    const inv = req();
    assert.equal(st.match(inv).kind, 'new');
    const cancel: SipRequest = { ...inv, method: 'CANCEL', headers: inv.headers.map(([k, v]) => [k, k === 'CSeq' ? '7 CANCEL' : v]) };
    const c = st.match(cancel);
    assert.equal(c.kind, 'cancel');
    assert.equal(c.kind === 'cancel' && c.invite, inv);
    const busy = buildResponse(inv, 486, { toTag: 't' });
    st.responded(inv, busy);
    assert.deepEqual(st.match(req()), { kind: 'retransmission', last: busy });
    const ack: SipRequest = { ...inv, method: 'ACK', headers: inv.headers.map(([k, v]) => [k, k === 'CSeq' ? '7 ACK' : v]) };
    assert.equal(st.match(ack).kind, 'ack-absorbed');
    assert.equal(st.match(ack).kind, 'ack-2xx'); // the transaction is gone: another ACK belongs to a dialog
  });

  it('client: provisional then final, stray responses ignored, timeout gives a local 408', () => {
    const clock = new FakeClock();
    const ct = new ClientTransactions(clock);
    const inv = req();
    const seen: number[] = [];
    ct.start(inv, { onProvisional: (r) => seen.push(r.status), onFinal: (r) => seen.push(r.status) });
    assert.ok(ct.receive(buildResponse(inv, 180, { toTag: 'x' })));
    assert.ok(ct.receive(buildResponse(inv, 200, { toTag: 'x' })));
    assert.equal(ct.receive(buildResponse(inv, 200, { toTag: 'x' })), undefined);
    assert.deepEqual(seen, [180, 200]);
    const other = {
      ...inv,
      headers: inv.headers.map(([k, v]): [string, string] => [
        k,
        k === 'Via' && v.includes('kam1') ? 'SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKother' : v,
      ]),
    };
    ct.start(other, { onFinal: (r) => seen.push(r.status) });
    clock.advance(CLIENT_TIMEOUT_MS);
    assert.deepEqual(seen, [180, 200, 408]);
    assert.equal(ct.size, 0);
  });

  it('ACK for a non-2xx copies the branch and takes To from the response', () => {
    const inv = req();
    const ack = ackForNon2xx(inv, buildResponse(inv, 486, { toTag: 'busy' }));
    assert.equal(getHeaders(ack, 'Via')[0], getHeaders(inv, 'Via')[0]);
    assert.match(getHeader(ack, 'To')!, /tag=busy/);
    assert.equal(getHeader(ack, 'CSeq'), '7 ACK');
  });
});

describe('SIP dialogs', () => {
  it('UAS dialog: route set in order, remote target from Contact, CSeq must increase', () => {
    const inv = parseSipMessage(Buffer.from(INVITE)) as SipRequest;
    const d = Dialog.asUas(inv, 'mytag', '<sip:conf-1@127.0.0.1:5090;transport=tcp>;isfocus');
    const bye = d.request('BYE');
    assert.equal(bye.uri, 'sip:alice@127.0.0.1:40000;transport=tcp;alias=127.0.0.1~40000~2');
    assert.deepEqual(getHeaders(bye, 'Route'), ['<sip:127.0.0.1:5060;transport=tcp;lr;ftag=a1>']);
    assert.match(getHeader(bye, 'From')!, /^<sip:conf-factory@parley.test>;tag=mytag$/);
    assert.match(getHeader(bye, 'To')!, /alice@parley.test>;tag=a1$/);
    const inDialog = (seq: number): SipRequest => ({
      ...inv,
      method: 'BYE',
      headers: inv.headers.map(([k, v]) => [k, k === 'CSeq' ? `${seq} BYE` : v]),
    });
    assert.equal(d.acceptRemote(inDialog(7)), false);
    assert.equal(d.acceptRemote(inDialog(8)), true);
  });

  it('UAC dialog: route set reversed from the 2xx', () => {
    const inv = parseSipMessage(Buffer.from(INVITE)) as SipRequest;
    const ok = buildResponse(inv, 200, {
      toTag: 'b',
      headers: [
        ['Contact', '<sip:bob@127.0.0.1:41000;transport=tcp>'],
        ['Record-Route', '<sip:second;lr>'],
      ],
    });
    const d = Dialog.asUac(inv, ok, '<sip:conf-1@127.0.0.1:5090;transport=tcp>');
    const ack = d.request('ACK', { cseq: 7 });
    assert.deepEqual(getHeaders(ack, 'Route'), ['<sip:second;lr>', '<sip:127.0.0.1:5060;transport=tcp;lr;ftag=a1>']);
    assert.equal(getHeader(ack, 'CSeq'), '7 ACK');
    assert.equal(ack.uri, 'sip:bob@127.0.0.1:41000;transport=tcp');
  });
});
