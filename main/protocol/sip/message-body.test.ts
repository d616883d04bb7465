import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { isParleyError } from '../../base/errors';
import {
  decodeBody,
  decodeContentEncoding,
  encodeBody,
  isTextualType,
  judgeIncoming,
  mediaType,
  normalizeSipUri,
  typeAccepted,
  DEFAULT_POLICY,
  UDP_MESSAGE_BODY_LIMIT,
} from './message-body';
import { prng } from '../formats/testing';

test('encodeBody: UTF-8 text stays text; binary and non-textual types are base64 with Content-Transfer-Encoding', () => {
  assert.deepEqual(encodeBody('text/plain', new TextEncoder().encode('héllo')), { text: 'héllo', headers: [], wireBytes: 6 });
  const bin = encodeBody('text/plain', new Uint8Array([0xff, 0xfe, 0x00]));
  assert.deepEqual(bin, { text: '//4A', headers: ['Content-Transfer-Encoding: base64'], wireBytes: 4 });
  assert.deepEqual(encodeBody('image/png', new Uint8Array([65, 66, 67])).headers, ['Content-Transfer-Encoding: base64']);
  assert.equal(encodeBody('text/plain', 'a string').text, 'a string');
  const bom = new Uint8Array([0xef, 0xbb, 0xbf, 0x41]);
  assert.deepEqual(new TextEncoder().encode(encodeBody('text/plain', bom).text), bom, 'a leading BOM is kept');
});

test('encodeBody/decodeBody round-trip any bytes for any type (property)', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 2000 }),
      fc.constantFrom('text/plain', 'application/octet-stream', 'message/cpim', 'image/jpeg'),
      (bytes, type) => {
        const e = encodeBody(type, bytes);
        const cte = e.headers.length ? 'base64' : undefined;
        const wire = new TextEncoder().encode(e.text);
        assert.equal(wire.length, e.wireBytes);
        assert.deepEqual(decodeBody(wire, cte), bytes);
      },
    ),
  );
});

test('decodeBody: bad base64 and unknown encodings are typed errors', () => {
  assert.throws(() => decodeBody(new TextEncoder().encode('@@@='), 'base64'), { code: 'PAGE_BAD_TRANSFER_ENCODING' });
  assert.throws(() => decodeBody(new TextEncoder().encode('abc'), 'base64'), { code: 'PAGE_BAD_TRANSFER_ENCODING' });
  assert.throws(() => decodeBody(new Uint8Array(1), 'quoted-printable'), { code: 'PAGE_BAD_TRANSFER_ENCODING' });
  assert.deepEqual(decodeBody(new TextEncoder().encode('QUJD\r\nREVG'), ' Base64 '), new TextEncoder().encode('ABCDEF'));
});

test('media types: parameters and case ignored; wildcards in accept lists', () => {
  assert.equal(mediaType(' Text/Plain ; charset=UTF-8'), 'text/plain');
  assert.ok(isTextualType('application/im-iscomposing+xml'));
  assert.ok(!isTextualType('image/png'));
  assert.ok(typeAccepted('IMAGE/PNG', ['image/*']));
  assert.ok(!typeAccepted('application/x-foo', DEFAULT_POLICY.accept));
  assert.ok(typeAccepted('anything/else', ['*/*']));
});

test('judgeIncoming: 603 before 413 before 415; UDP limit is RFC 3428 s.7 1300 bytes', () => {
  const base = { contentType: 'text/plain', wireBytes: 10, transport: 'TCP', blocked: false };
  assert.equal(judgeIncoming(base, DEFAULT_POLICY), null);
  assert.equal(judgeIncoming({ ...base, blocked: true, wireBytes: 1e9, contentType: 'x/y' }, DEFAULT_POLICY)?.code, 603);
  assert.equal(judgeIncoming({ ...base, wireBytes: 1e9, contentType: 'x/y' }, DEFAULT_POLICY)?.code, 413);
  const v = judgeIncoming({ ...base, contentType: 'x/y' }, DEFAULT_POLICY);
  assert.equal(v?.code, 415);
  assert.match(v?.headers[0] ?? '', /^Accept: text\/\*, message\/cpim/);
  assert.equal(judgeIncoming({ ...base, transport: 'UDP', wireBytes: UDP_MESSAGE_BODY_LIMIT + 1 }, DEFAULT_POLICY)?.code, 413);
  assert.equal(judgeIncoming({ ...base, transport: 'TCP', wireBytes: UDP_MESSAGE_BODY_LIMIT + 1 }, DEFAULT_POLICY), null);
});

test('normalizeSipUri: host and scheme case-folded, user kept, params dropped', () => {
  assert.equal(normalizeSipUri('<SIP:alice@PARLEY.test;transport=tcp>'), 'sip:alice@parley.test');
  assert.notEqual(normalizeSipUri('sip:Alice@parley.test'), normalizeSipUri('sip:alice@parley.test'));
});

test('decodeContentEncoding: zlib and raw deflate, gzip, chains, identity; typed errors for unknown, bombs and corrupt data', async () => {
  const text = Buffer.from('héllo '.repeat(100));
  for (const [coding, enc] of [
    ['deflate', deflateSync(text)],
    ['Deflate', deflateRawSync(text)],
    ['gzip', gzipSync(text)],
    ['x-gzip', gzipSync(text)],
    ['gzip, deflate', deflateSync(gzipSync(text))],
    ['identity', text],
    ['', text],
  ] as Array<[string, Buffer]>) {
    assert.deepEqual(Buffer.from(await decodeContentEncoding(enc, coding, 10_000)), text, coding);
  }
  assert.deepEqual(
    Buffer.from(await decodeContentEncoding(text, undefined, 10)),
    text,
    'no coding: no limit applied here (the wire limit is judgeIncoming)',
  );
  const code = async (f: () => unknown): Promise<string | undefined> => {
    try {
      await f();
      return undefined;
    } catch (e) {
      return isParleyError(e) ? e.code : 'not a ParleyError';
    }
  };
  assert.equal(await code(() => decodeContentEncoding(text, 'br', 10_000)), 'PAGE_UNSUPPORTED_CONTENT_ENCODING');
  assert.equal(
    await code(() => decodeContentEncoding(deflateSync(Buffer.alloc(1_000_000)), 'deflate', 64 * 1024)),
    'PAGE_DECODED_TOO_LARGE',
  );
  assert.equal(await code(() => decodeContentEncoding(gzipSync(Buffer.alloc(1_000_000)), 'gzip', 64 * 1024)), 'PAGE_DECODED_TOO_LARGE');
  assert.equal(
    await code(() => decodeContentEncoding(deflateSync(text), 'deflate', text.length)),
    undefined,
    'exactly at the limit is fine',
  );
  assert.equal(await code(() => decodeContentEncoding(deflateSync(text), 'deflate', text.length - 1)), 'PAGE_DECODED_TOO_LARGE');
  assert.equal(await code(() => decodeContentEncoding(Buffer.from('garbage!'), 'gzip', 10_000)), 'PAGE_BAD_CONTENT_ENCODING');
  assert.equal(
    await code(() => decodeContentEncoding(text, Array(5).fill('identity').join(','), 10_000)),
    'PAGE_BAD_CONTENT_ENCODING',
    'at most 4 codings',
  );
});

test('issue 12: corrupt gzip/deflate bodies do not grow native memory (RSS flat over 4,000 corrupt bodies)', async () => {
  const rnd = prng(12);
  const plain = Buffer.from('From: <sip:a@x>\r\n'.repeat(40));
  const good = [gzipSync(plain), deflateSync(plain), deflateRawSync(plain)] as const;
  const codings = ['gzip', 'deflate', 'deflate'] as const;
  const corrupt = (i: number): [Buffer, string] => {
    const k = i % 3;
    const b = Buffer.from(good[k]);
    for (let e = 0; e < 1 + (i % 4); e++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
    return [b, codings[k]];
  };
  const run = async (n: number, from: number) => {
    let refused = 0;
    for (let i = from; i < from + n; i++) {
      const [b, c] = corrupt(i);
      try {
        await decodeContentEncoding(b, c, 64 * 1024);
      } catch (e) {
        assert.ok(isParleyError(e), String(e));
        refused++;
      }
    }
    return refused;
  };
  const gc = (globalThis as { gc?: () => void }).gc;
  await run(1000, 0); // warm up allocators
  gc?.();
  const before = process.memoryUsage().rss;
  const refused = await run(4000, 1000);
  gc?.();
  const grew = (process.memoryUsage().rss - before) / 1048576;
  assert.ok(refused > 3000, `most bodies are corrupt (${refused})`);
  assert.ok(grew < 16, `RSS grew ${grew.toFixed(1)} MiB over 4,000 corrupt bodies (sync zlib leaked ~9 KB each: ~35 MiB)`);
});
