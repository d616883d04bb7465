// Test-helper codecs: SIP stream framing at every split offset, digest vectors (RFC 2617 §3.5), MSRP framing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { digestAuthorization, frameStream, parseChallenge, parseSipBytes, md5 } from './sipmsg';
import { buildMsrp, frameMsrp } from './rawmsrp';
import { deflateSync } from 'node:zlib';

const MSG1 =
  'MESSAGE sip:bob@parley.test SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5;branch=z9hG4bK1\r\nCall-ID: a\r\n' +
  'CSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhallo';
const MSG2 = 'SIP/2.0 200 OK\r\nCall-ID: a\r\nCSeq: 1 MESSAGE\r\nl: 0\r\n\r\n';

describe('rawsip helper codecs', () => {
  it('frames a stream with keep-alives split at every byte offset', () => {
    const all = Buffer.from(`\r\n\r\n${MSG1}\r\n\r\n${MSG2}`);
    for (let cut = 0; cut <= all.length; cut++) {
      const first = frameStream(all.subarray(0, cut));
      const second = frameStream(Buffer.concat([first.rest, all.subarray(cut)]));
      const msgs = [...first.messages, ...second.messages].map((b) => b.toString());
      assert.deepEqual(msgs, [MSG1, MSG2], `cut at ${cut}`);
      assert.equal(second.rest.length, 0);
    }
  });

  it('decodes a deflate Content-Encoding body (as linphone sends)', () => {
    const body = deflateSync(Buffer.from('compressed hello'));
    const head = `MESSAGE sip:a@b SIP/2.0\r\nContent-Encoding: deflate\r\nContent-Length: ${body.length}\r\n\r\n`;
    assert.equal(parseSipBytes(Buffer.concat([Buffer.from(head), body])).body, 'compressed hello');
  });

  it('computes the RFC 2617 §3.5 digest example', () => {
    const challenge = parseChallenge(
      'Digest realm="testrealm@host.com", qop="auth,auth-int", ' +
        'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    );
    const h = digestAuthorization({
      challenge,
      method: 'GET',
      uri: '/dir/index.html',
      username: 'Mufasa',
      password: 'Circle Of Life',
      nc: 1,
      cnonce: '0a4f113b',
    });
    assert.match(h, /response="6629fae49393a05397450978507c4ef1"/);
    assert.match(h, /qop=auth, nc=00000001, cnonce="0a4f113b"/);
    assert.equal(md5(''), 'd41d8cd98f00b204e9800998ecf8427e');
  });

  it('frames MSRP requests and responses split at every byte offset', () => {
    const a = buildMsrp(
      't1',
      'SEND',
      [
        ['To-Path', 'msrp://x/1;tcp'],
        ['From-Path', 'msrp://y/2;tcp'],
      ],
      'body\r\n-------t2$',
    );
    const b = buildMsrp('t2', '200 OK', [['To-Path', 'msrp://y/2;tcp']]);
    const all = Buffer.from(a + b);
    for (let cut = 0; cut <= all.length; cut++) {
      const first = frameMsrp(all.subarray(0, cut));
      const second = frameMsrp(Buffer.concat([first.rest, all.subarray(cut)]));
      const frames = [...first.frames, ...second.frames];
      assert.equal(frames.length, 2, `cut at ${cut}`);
      assert.equal(frames[0].body, 'body\r\n-------t2$');
      assert.equal(frames[1].status, 200);
    }
  });
});
