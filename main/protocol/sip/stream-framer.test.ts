import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SipStreamFramer, parseContentLength, type FramerEvent } from './stream-framer';

const enc = new TextEncoder();
const dec = new TextDecoder();

function msg(startLine: string, headers: string[], body = ''): string {
  const b = enc.encode(body);
  return [startLine, ...headers, `Content-Length: ${b.length}`, '', ''].join('\r\n') + body;
}

const MESSAGE = msg(
  'MESSAGE sip:bob@parley.test SIP/2.0',
  [
    'Via: SIP/2.0/TCP a.invalid;branch=z9hG4bK1',
    'From: <sip:alice@parley.test>;tag=1',
    'To: <sip:bob@parley.test>',
    'Call-ID: c1',
    'CSeq: 1 MESSAGE',
    'Content-Type: text/plain;charset=utf-8',
  ],
  'héllo wörld ✓ 🙂',
);
const RESPONSE = msg('SIP/2.0 200 OK', ['Via: SIP/2.0/TCP a.invalid;branch=z9hG4bK1', 'CSeq: 1 MESSAGE']);
const COMPACT = ['NOTIFY sip:x@y SIP/2.0', 'v: SIP/2.0/TCP h;branch=z9hG4bKx', 'l: 5', '', 'abcde'].join('\r\n');
const BINARY_HEAD = enc.encode('MESSAGE sip:b@p SIP/2.0\r\nContent-Type: application/octet-stream\r\nContent-Length: 6\r\n\r\n');
const BINARY = new Uint8Array([...BINARY_HEAD, 0, 0xff, 0x0d, 0x0a, 0x0d, 0x0a]);

function describe(events: FramerEvent[]): string[] {
  return events.map((e) => (e.type === 'message' ? `message:${Buffer.from(e.bytes).toString('base64')}` : e.type));
}

function feedAll(chunks: Uint8Array[]): string[] {
  const f = new SipStreamFramer();
  const out: string[] = [];
  for (const c of chunks) {
    const r = f.push(c);
    assert.equal(r.error, undefined, r.error?.message);
    out.push(...describe(r.events));
  }
  assert.equal(f.buffered, 0);
  return out;
}

const b64 = (x: Uint8Array | string) => Buffer.from(typeof x === 'string' ? enc.encode(x) : x).toString('base64');

const fixtures: { name: string; bytes: Uint8Array; expect: string[] }[] = [
  { name: 'request with UTF-8 body', bytes: enc.encode(MESSAGE), expect: [`message:${b64(MESSAGE)}`] },
  { name: 'response without body', bytes: enc.encode(RESPONSE), expect: [`message:${b64(RESPONSE)}`] },
  { name: 'compact l: header', bytes: enc.encode(COMPACT), expect: [`message:${b64(COMPACT)}`] },
  { name: 'binary body containing CRLFCRLF', bytes: BINARY, expect: [`message:${b64(BINARY)}`] },
  { name: 'ping', bytes: enc.encode('\r\n\r\n'), expect: ['ping'] },
  {
    name: 'pipelined: pong, message, ping, response',
    bytes: enc.encode('\r\n' + MESSAGE + '\r\n\r\n' + RESPONSE),
    expect: ['pong', `message:${b64(MESSAGE)}`, 'ping', `message:${b64(RESPONSE)}`],
  },
  {
    name: 'two messages back to back',
    bytes: new Uint8Array([...enc.encode(RESPONSE), ...BINARY]),
    expect: [`message:${b64(RESPONSE)}`, `message:${b64(BINARY)}`],
  },
];

for (const fx of fixtures) {
  test(`framer: ${fx.name}, whole and split at every offset (two and three pieces)`, () => {
    assert.deepEqual(feedAll([fx.bytes]), fx.expect);
    for (let i = 0; i <= fx.bytes.length; i++) {
      assert.deepEqual(feedAll([fx.bytes.subarray(0, i), fx.bytes.subarray(i)]), fx.expect, `split at ${i}`);
    }
    const step = Math.max(1, Math.floor(fx.bytes.length / 40));
    for (let i = 0; i <= fx.bytes.length; i += step) {
      for (let j = i; j <= fx.bytes.length; j += step) {
        const parts = [fx.bytes.subarray(0, i), fx.bytes.subarray(i, j), fx.bytes.subarray(j)];
        assert.deepEqual(feedAll(parts), fx.expect, `split at ${i},${j}`);
      }
    }
  });
}

test('framer: byte-at-a-time feeding yields the same events', () => {
  const all = new Uint8Array([...enc.encode('\r\n\r\n' + MESSAGE), ...BINARY, ...enc.encode('\r\n')]);
  const chunks = [...all].map((x) => new Uint8Array([x]));
  // The trailing lone CRLF stays pending until the next byte tells pong from the first half of a ping.
  const f = new SipStreamFramer();
  const out: string[] = [];
  for (const c of chunks) out.push(...describe(f.push(c).events));
  assert.deepEqual(out, ['ping', `message:${b64(MESSAGE)}`, `message:${b64(BINARY)}`]);
  assert.equal(f.buffered, 2);
  assert.deepEqual(describe(f.push(enc.encode(RESPONSE)).events), ['pong', `message:${b64(RESPONSE)}`]);
});

test('framer: message event exposes body offset and length', () => {
  const f = new SipStreamFramer();
  const [ev] = f.push(enc.encode(MESSAGE)).events;
  assert.equal(ev?.type, 'message');
  if (ev?.type !== 'message') return;
  assert.equal(dec.decode(ev.bytes.subarray(ev.bodyOffset)), 'héllo wörld ✓ 🙂');
  assert.equal(ev.contentLength, enc.encode('héllo wörld ✓ 🙂').length);
});

function expectError(input: string | Uint8Array, code: string, limits?: { maxHeaderBytes?: number; maxBodyBytes?: number }) {
  const bytes = typeof input === 'string' ? enc.encode(input) : input;
  // The error must be reported whatever the split, and the framer stays failed afterwards.
  for (const i of [bytes.length, Math.floor(bytes.length / 2), 1]) {
    const f = new SipStreamFramer(limits);
    let r = f.push(bytes.subarray(0, i));
    if (!r.error) r = f.push(bytes.subarray(i));
    assert.equal(r.error?.code, code, `split at ${i}: got ${r.error?.code}`);
    assert.equal(f.push(enc.encode(RESPONSE)).error?.code, code);
  }
}

test('framer: missing Content-Length is a typed error', () => {
  expectError('SIP/2.0 200 OK\r\nVia: x\r\n\r\n', 'SIP_MISSING_CONTENT_LENGTH');
});

test('framer: invalid and conflicting Content-Length', () => {
  expectError('SIP/2.0 200 OK\r\nContent-Length: -1\r\n\r\n', 'SIP_BAD_CONTENT_LENGTH');
  expectError('SIP/2.0 200 OK\r\nContent-Length: 12abc\r\n\r\n', 'SIP_BAD_CONTENT_LENGTH');
  expectError('SIP/2.0 200 OK\r\nContent-Length: 1\r\nl: 2\r\n\r\nab', 'SIP_BAD_CONTENT_LENGTH');
});

test('framer: header and body limits', () => {
  const big = 'SIP/2.0 200 OK\r\nX-Pad: ' + 'a'.repeat(300) + '\r\nContent-Length: 0\r\n\r\n';
  expectError(big, 'SIP_HEADER_TOO_LARGE', { maxHeaderBytes: 256 });
  // Also when the blank line never arrives.
  const f = new SipStreamFramer({ maxHeaderBytes: 64 });
  assert.equal(f.push(enc.encode('SIP/2.0 200 OK\r\nX: ' + 'b'.repeat(100))).error?.code, 'SIP_HEADER_TOO_LARGE');
  expectError('SIP/2.0 200 OK\r\nContent-Length: 2000\r\n\r\n', 'SIP_BODY_TOO_LARGE', { maxBodyBytes: 1000 });
});

test('framer: garbage and bare CR/LF are malformed', () => {
  expectError('HELLO\r\nContent-Length: 0\r\n\r\n', 'SIP_FRAMING_MALFORMED');
  expectError('\r\rSIP/2.0 200 OK\r\n', 'SIP_FRAMING_MALFORMED');
  expectError('\nSIP/2.0 200 OK\r\n', 'SIP_FRAMING_MALFORMED');
  expectError('\r\n\rx', 'SIP_FRAMING_MALFORMED');
});

test('framer: events completed before an error are still returned', () => {
  const f = new SipStreamFramer();
  const r = f.push(enc.encode(RESPONSE + 'garbage line\r\nContent-Length: 0\r\n\r\n'));
  assert.deepEqual(describe(r.events), [`message:${b64(RESPONSE)}`]);
  assert.equal(r.error?.code, 'SIP_FRAMING_MALFORMED');
});

test('parseContentLength: case-insensitive, whitespace tolerant', () => {
  assert.equal(parseContentLength(enc.encode('SIP/2.0 200 OK\r\ncontent-LENGTH :  42 ')), 42);
  assert.equal(parseContentLength(enc.encode('OPTIONS sip:a@b SIP/2.0\r\nL:7')), 7);
});

test('issue 12: framing is linear: 1 MiB in 100-byte pieces copies each byte a few times, not once per push', () => {
  const body = 'x'.repeat(1024 * 1024);
  const wire = enc.encode(msg('MESSAGE sip:b@p SIP/2.0', ['Content-Type: text/plain'], body) + '\r\n\r\n' + RESPONSE);
  let copied = 0;
  const f = new SipStreamFramer({}, { onCopy: (n) => (copied += n) });
  const out: string[] = [];
  for (let i = 0; i < wire.length; i += 100) {
    const r = f.push(wire.subarray(i, i + 100));
    assert.equal(r.error, undefined);
    out.push(...r.events.map((e) => e.type));
  }
  assert.deepEqual(out, ['message', 'ping', 'message']);
  assert.ok(copied >= wire.length, 'every byte goes through the hook');
  assert.ok(copied <= 4 * wire.length, `${copied} bytes copied for ${wire.length} received (quadratic: ~5 GB)`);
  assert.equal(f.buffered, 0);
});

test('framer: a long stream of small messages in odd pieces stays linear and matches whole feeding', () => {
  const one = enc.encode(MESSAGE + '\r\n\r\n' + RESPONSE + '\r\n');
  const all = new Uint8Array(one.length * 500);
  for (let i = 0; i < 500; i++) all.set(one, i * one.length);
  const whole = feedAll([all.subarray(0, all.length - 2)]);
  let copied = 0;
  const f = new SipStreamFramer({}, { onCopy: (n) => (copied += n) });
  const got: string[] = [];
  for (let i = 0, step = 1; i < all.length - 2; i += step, step = (step * 7 + 3) % 97 || 1) {
    got.push(...describe(f.push(all.subarray(i, Math.min(i + step, all.length - 2))).events));
  }
  assert.deepEqual(got, whole);
  assert.ok(copied <= 4 * all.length, `${copied} bytes copied for ${all.length}`);
});
