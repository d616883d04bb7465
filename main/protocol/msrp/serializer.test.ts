import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serializeRequest, serializeRequestParts, serializeResponse } from './serializer';
import { parseFrames } from './parser';
import { getHeader, newTransactionId, parseByteRange, STATUS_TEXT } from './message';
import { isParleyError, type ErrorCode } from '../../base/errors';

const TO = ['msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp'];
const FROM = ['msrp://atlanta.example.com:7654/jshA7weztas;tcp'];

test('SEND serializes exactly like RFC 4975 s.7.1 (To-Path, From-Path first, Content-Type last)', () => {
  const b = serializeRequest({
    tid: 'a786hjs2',
    method: 'SEND',
    toPath: TO,
    fromPath: FROM,
    headers: [
      ['Message-ID', '87652491'],
      ['Byte-Range', '1-25/25'],
    ],
    contentType: 'text/plain',
    body: Buffer.from('Hey Bob, are you there?'),
  });
  assert.equal(
    b.toString(),
    'MSRP a786hjs2 SEND\r\nTo-Path: msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp\r\nFrom-Path: msrp://atlanta.example.com:7654/jshA7weztas;tcp\r\n' +
      'Message-ID: 87652491\r\nByte-Range: 1-25/25\r\nContent-Type: text/plain\r\n\r\nHey Bob, are you there?\r\n-------a786hjs2$\r\n',
  );
});

test('requests round-trip through the parser: SEND (Uint8Array body), REPORT, AUTH, NICKNAME, extension, flags', () => {
  const body = new Uint8Array([0, 1, 2, 13, 10, 255]);
  const specs = [
    {
      tid: newTransactionId(),
      method: 'SEND',
      toPath: TO,
      fromPath: FROM,
      headers: [['Message-ID', 'm1']] as [string, string][],
      contentType: 'application/octet-stream',
      body,
      flag: '+' as const,
    },
    {
      tid: newTransactionId(),
      method: 'REPORT',
      toPath: TO,
      fromPath: FROM,
      headers: [
        ['Message-ID', 'm1'],
        ['Byte-Range', '1-6/6'],
        ['Status', '000 200 OK'],
      ] as [string, string][],
    },
    {
      tid: newTransactionId(),
      method: 'AUTH',
      toPath: ['msrp://127.0.0.1:2855;tcp'],
      fromPath: FROM,
      headers: [['Expires', '600']] as [string, string][],
    },
    {
      tid: newTransactionId(),
      method: 'NICKNAME',
      toPath: TO,
      fromPath: FROM,
      headers: [['Use-Nickname', '"Alice"']] as [string, string][],
    },
    { tid: newTransactionId(), method: 'FOOBAR', toPath: TO, fromPath: FROM, flag: '#' as const },
  ];
  const { frames, error } = parseFrames(Buffer.concat(specs.map(serializeRequest)));
  assert.equal(error, undefined);
  assert.equal(frames.length, specs.length);
  frames.forEach((f, i) => {
    assert.equal(f.method, specs[i].method);
    assert.equal(f.tid, specs[i].tid);
    assert.equal(f.flag, specs[i].flag ?? '$');
    assert.equal(f.headers[0][0], 'To-Path');
    assert.equal(f.headers[1][0], 'From-Path');
  });
  assert.deepEqual([...frames[0].body!], [...body]);
  assert.equal(frames[0].headers.at(-1)![0], 'Content-Type');
  assert.equal(frames[1].body, undefined);
  assert.equal(getHeader(frames[3].headers, 'use-nickname'), '"Alice"');
});

test('responses: every status code used by MSRP round-trips', () => {
  for (const status of [200, 400, 403, 408, 413, 415, 423, 481, 501, 506]) {
    const tid = newTransactionId();
    const b = serializeResponse({ tid, status, toPath: FROM, fromPath: TO });
    const [f] = parseFrames(b).frames;
    assert.equal(f.kind, 'response');
    assert.equal(f.status, status);
    assert.equal(f.comment, STATUS_TEXT[status]);
    assert.equal(getHeader(f.headers, 'To-Path'), FROM[0]);
  }
  assert.ok(
    serializeResponse({ tid: 'abcd1234', status: 200, comment: '', toPath: FROM, fromPath: TO })
      .toString()
      .startsWith('MSRP abcd1234 200\r\n'),
  );
});

test('serializer refuses malformed input with typed errors', () => {
  const base = { tid: 'abcd1234', method: 'SEND', toPath: TO, fromPath: FROM };
  const cases: [object, ErrorCode][] = [
    [{ ...base, tid: 'a b' }, 'MSRP_BAD_TID'],
    [{ ...base, method: 'send' }, 'MSRP_BAD_METHOD'],
    [{ ...base, headers: [['X', 'a\r\nb']] }, 'MSRP_BAD_HEADER'],
    [{ ...base, headers: [['To-Path', 'x']] }, 'MSRP_BAD_HEADER'],
    [{ ...base, body: Buffer.from('x') }, 'MSRP_BAD_HEADER'],
    [{ ...base, contentType: 'text/plain' }, 'MSRP_BAD_HEADER'],
    [{ ...base, contentType: 'text/plain', body: Buffer.from('a\r\n-------abcd1234$\r\n') }, 'MSRP_TID_IN_BODY'],
  ];
  for (const [spec, code] of cases)
    assert.throws(
      () => serializeRequest(spec as never),
      (e) => isParleyError(e, code),
      code,
    );
  assert.throws(
    () => serializeResponse({ tid: 'abcd1234', status: 42, toPath: TO, fromPath: FROM }),
    (e) => isParleyError(e, 'MSRP_BAD_STATUS'),
  );
});

test('serializeRequestParts keeps the body zero-copy', () => {
  const body = Buffer.alloc(100000, 0x41);
  const parts = serializeRequestParts({ tid: 'abcd1234', method: 'SEND', toPath: TO, fromPath: FROM, contentType: 'text/plain', body });
  assert.equal(parts.length, 3);
  assert.equal(parts[1], body);
});

test('Byte-Range parsing', () => {
  assert.deepEqual(parseByteRange('1-25/25'), { start: 1, end: 25, total: 25 });
  assert.deepEqual(parseByteRange('11-*/*'), { start: 11, end: '*', total: '*' });
  assert.deepEqual(parseByteRange('1-0/0'), { start: 1, end: 0, total: 0 });
  for (const bad of ['0-1/1', '5-3/9', '1-10/5', 'a-b/c', '1-2', ''])
    assert.throws(
      () => parseByteRange(bad),
      (e) => isParleyError(e, 'MSRP_BAD_BYTE_RANGE'),
    );
});
