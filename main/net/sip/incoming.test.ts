// Parley's UAS responses (buildResponse over a JsSIP request): the shared s.8.2.6.2 rule, Server, body and its length.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildResponse, defaultReason, type JsSipIncomingRequest } from './incoming';
import { reasonPhrase } from '../../protocol/sip/response';

function request(toTag?: string): JsSipIncomingRequest {
  const h: Record<string, string[]> = {
    via: ['SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKa', 'SIP/2.0/TLS 10.0.0.9:5061;branch=z9hG4bKb'],
    to: [`<sip:bob@parley.test>${toTag ? `;tag=${toTag}` : ''}`],
    from: ['"Alice" <sip:alice@parley.test>;tag=f1'],
  };
  return {
    method: 'MESSAGE',
    call_id: 'call-1',
    cseq: 7,
    to_tag: toTag,
    getHeader: (n: string) => h[n.toLowerCase()]?.[0],
    getHeaders: (n: string) => h[n.toLowerCase()] ?? [],
  } as unknown as JsSipIncomingRequest;
}

test('a response copies every Via in order, From, Call-ID, CSeq with the method, and tags To once', () => {
  const text = buildResponse(request(), 202, 'Accepted', ['Accept: text/plain'], undefined, 'Parley/0.1');
  const lines = text.split('\r\n');
  assert.equal(lines[0], 'SIP/2.0 202 Accepted');
  assert.deepEqual(
    lines.filter((l) => l.startsWith('Via: ')),
    ['Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKa', 'Via: SIP/2.0/TLS 10.0.0.9:5061;branch=z9hG4bKb'],
  );
  assert.match(text, /\r\nTo: <sip:bob@parley\.test>;tag=[a-z0-9]{10}\r\n/);
  assert.match(text, /\r\nFrom: "Alice" <sip:alice@parley\.test>;tag=f1\r\nCall-ID: call-1\r\nCSeq: 7 MESSAGE\r\n/);
  assert.match(text, /\r\nServer: Parley\/0\.1\r\nAccept: text\/plain\r\nContent-Length: 0\r\n\r\n$/);
});

test('an in-dialog request keeps its To tag; the body length counts UTF-8 bytes', () => {
  const text = buildResponse(request('t9'), 200, 'OK', [], { contentType: 'text/plain', text: 'héllo' });
  assert.match(text, /\r\nTo: <sip:bob@parley\.test>;tag=t9\r\n/);
  assert.match(text, /\r\nContent-Type: text\/plain\r\nContent-Length: 6\r\n\r\nhéllo$/);
});

test('CR/LF in the reason or a header and statuses outside 100-699 are refused', () => {
  assert.throws(() => buildResponse(request(), 200, 'OK\r\nX: y', []), RangeError);
  assert.throws(() => buildResponse(request(), 200, 'OK', ['X: a\r\nY: b']), RangeError);
  assert.throws(() => buildResponse(request(), 99, 'Nope', []), RangeError);
});

test('the default reason is the shared table', () => {
  assert.equal(defaultReason, reasonPhrase);
  assert.equal(defaultReason(415), 'Unsupported Media Type');
});
