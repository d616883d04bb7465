import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSdp, serializeSdp, attributes, attrValue, attrValues, hasAttr, connectionFor, parseMediaLine } from './sdp';
import { parleyOutcome, fuzzMutations, throwsCode } from '../formats/testing';

// RFC 4975 s7.1 style offer plus an unknown line and an audio stream.
const OFFER = [
  'v=0',
  'o=alice 2890844526 2890844527 IN IP4 alice.example.com',
  's=-',
  'c=IN IP4 alice.example.com',
  't=0 0',
  'x=unknown line kept',
  'm=message 7654 TCP/MSRP *',
  'a=accept-types:text/plain',
  'a=path:msrp://alice.example.com:7654/jshA7weztas;tcp',
  'a=sendrecv',
  'm=audio 49170/2 RTP/AVP 0 8',
  'c=IN IP4 127.0.0.1',
  'a=rtpmap:0 PCMU/8000',
  '',
].join('\r\n');

test('parses sessions and media sections, keeps every line in order, serializes back byte-identical', () => {
  const s = parseSdp(OFFER);
  assert.equal(s.session.length, 6);
  assert.equal(s.media.length, 2);
  assert.deepEqual(s.media[0].m, { media: 'message', port: 7654, proto: 'TCP/MSRP', fmts: ['*'] });
  assert.deepEqual(s.media[1].m, { media: 'audio', port: 49170, numPorts: 2, proto: 'RTP/AVP', fmts: ['0', '8'] });
  assert.equal(attrValue(s.media[0].lines, 'Accept-Types'), 'text/plain');
  assert.deepEqual(attrValues(s.media[0].lines, 'path'), ['msrp://alice.example.com:7654/jshA7weztas;tcp']);
  assert.ok(hasAttr(s.media[0].lines, 'sendrecv'));
  assert.deepEqual(attributes(s.media[0].lines)[2], { name: 'sendrecv' });
  assert.deepEqual(connectionFor(s, s.media[0]), { netType: 'IN', addrType: 'IP4', address: 'alice.example.com' });
  assert.equal(connectionFor(s, s.media[1])?.address, '127.0.0.1');
  assert.equal(serializeSdp(s), OFFER);
  assert.equal(serializeSdp(parseSdp(OFFER.replace(/\r\n/g, '\n').trimEnd())), OFFER); // LF-only, no final newline
  assert.deepEqual(parseSdp(new TextEncoder().encode(OFFER)), s);
});

test('rejects malformed, oversize and injected input', () => {
  throwsCode(() => parseSdp(''), 'SDP_MALFORMED');
  throwsCode(() => parseSdp('o=- 1 1 IN IP4 x\r\nv=0'), 'SDP_MALFORMED');
  throwsCode(() => parseSdp('v=0\r\nnot a line'), 'SDP_MALFORMED');
  throwsCode(() => parseSdp('v=0\r\nm=message x TCP/MSRP *'), 'SDP_BAD_MEDIA_LINE');
  throwsCode(() => parseSdp('v=0\r\nm=message 70000 TCP/MSRP *'), 'SDP_BAD_MEDIA_LINE');
  throwsCode(() => parseSdp('v=0\r\na=x\ry'), 'SDP_MALFORMED');
  throwsCode(() => parseSdp('v=0\r\n' + 'a=x\r\n'.repeat(1001)), 'SDP_TOO_MANY_LINES');
  throwsCode(() => parseSdp('v=0\r\na=' + 'x'.repeat(70_000)), 'SDP_TOO_LARGE');
  throwsCode(() => parseSdp(Uint8Array.from([0x76, 0x3d, 0xff])), 'SDP_BAD_ENCODING');
  throwsCode(
    () =>
      serializeSdp({
        session: [
          { type: 'v', value: '0' },
          { type: 'a', value: 'x\r\nm=audio 1 RTP/AVP 0' },
        ],
        media: [],
      }),
    'SDP_BAD_INPUT',
  );
  throwsCode(() => parseMediaLine('message'), 'SDP_BAD_MEDIA_LINE');
  for (let i = 0; i < OFFER.length; i++) parleyOutcome(() => parseSdp(OFFER.slice(0, i)));
  fuzzMutations(new TextEncoder().encode(OFFER), (b) => parseSdp(b), 400, 21);
});
