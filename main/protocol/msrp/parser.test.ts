import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MsrpParser, parseFrames, type ParserEvent, type ParserLimits } from './parser';
import { getHeader, type MsrpFrame } from './message';
import { ALL_CONCAT, FIXTURES } from './fixtures.test-data';

/** Feed pieces and rebuild whole frames from frame / frameStart+bodyPart+frameEnd events. */
function feed(pieces: Buffer[], limits?: Partial<ParserLimits>): { frames: MsrpFrame[]; errors: string[]; events: ParserEvent[] } {
  const p = new MsrpParser(limits);
  const frames: MsrpFrame[] = [];
  const errors: string[] = [];
  const events: ParserEvent[] = [];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- frame heads of several shapes, checked field by field below
  let open: { head: any; parts: Buffer[] } | undefined;
  for (const piece of pieces) {
    for (const ev of p.push(piece)) {
      events.push(ev);
      if (ev.type === 'frame') frames.push(ev.frame);
      else if (ev.type === 'frameStart') open = { head: ev.head, parts: [] };
      else if (ev.type === 'bodyPart') open!.parts.push(Buffer.from(ev.data));
      else if (ev.type === 'frameEnd') {
        frames.push({ ...open!.head, body: Buffer.concat(open!.parts), flag: ev.flag });
        open = undefined;
      } else errors.push(ev.error.code);
    }
  }
  return { frames, errors, events };
}

function norm(frames: MsrpFrame[]) {
  return frames.map((f) => ({ ...f, body: f.body === undefined ? undefined : Buffer.from(f.body).toString('latin1') }));
}

for (const fx of FIXTURES) {
  test(`fixture ${fx.name}: whole`, () => {
    const { frames, errors } = feed([fx.bytes]);
    assert.deepEqual(errors, []);
    assert.equal(frames.length, fx.frames);
    assert.deepEqual(
      norm(frames).map((f) => f.body),
      fx.bodies,
    );
  });
  test(`fixture ${fx.name}: split at every byte offset (buffered and streaming)`, () => {
    const ref = norm(feed([fx.bytes]).frames);
    for (const limits of [{}, { bufferBodyBytes: 3 }]) {
      for (let i = 1; i < fx.bytes.length; i++) {
        const { frames, errors } = feed([fx.bytes.subarray(0, i), fx.bytes.subarray(i)], limits);
        assert.deepEqual(errors, [], `split at ${i}`);
        assert.deepEqual(norm(frames), ref, `split at ${i}`);
      }
      const bytewise = feed(
        [...fx.bytes].map((b) => Buffer.from([b])),
        limits,
      );
      assert.deepEqual(norm(bytewise.frames), ref);
    }
  });
}

test('all fixtures back to back, split in three at many offsets', () => {
  const ref = norm(feed([ALL_CONCAT]).frames);
  assert.equal(
    ref.length,
    FIXTURES.reduce((n, f) => n + f.frames, 0),
  );
  for (let i = 1; i < ALL_CONCAT.length; i += 7) {
    const j = Math.min(ALL_CONCAT.length - 1, i + 13);
    const r = feed([ALL_CONCAT.subarray(0, i), ALL_CONCAT.subarray(i, j), ALL_CONCAT.subarray(j)]);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(norm(r.frames), ref);
  }
});

test('parsed headers and start line', () => {
  const { frames } = parseFrames(FIXTURES[0].bytes);
  const f = frames[0];
  assert.equal(f.kind, 'request');
  assert.equal(f.method, 'SEND');
  assert.equal(f.tid, 'a786hjs2');
  assert.equal(f.flag, '$');
  assert.equal(getHeader(f.headers, 'byte-range'), '1-25/25');
  assert.equal(f.headers[0][0], 'To-Path');
  const r = parseFrames(FIXTURES[1].bytes).frames[0];
  assert.equal(r.kind, 'response');
  assert.equal(r.status, 200);
  assert.equal(r.comment, 'OK');
  const chunk = parseFrames(FIXTURES[3].bytes).frames[0];
  assert.equal(chunk.flag, '+');
  assert.equal(parseFrames(FIXTURES[4].bytes).frames[0].flag, '#');
});

test('streaming mode: large bodies arrive as parts, never as one frame', () => {
  const body = Buffer.alloc(1 << 20, 0x61);
  const bytes = Buffer.concat([
    Buffer.from(
      'MSRP bigb0dy1 SEND\r\nTo-Path: msrp://a:1/x;tcp\r\nFrom-Path: msrp://b:2/y;tcp\r\nMessage-ID: m\r\nContent-Type: text/plain\r\n\r\n',
    ),
    body,
    Buffer.from('\r\n-------bigb0dy1$\r\n'),
  ]);
  const pieces: Buffer[] = [];
  for (let o = 0; o < bytes.length; o += 65536) pieces.push(bytes.subarray(o, o + 65536));
  const { events, frames } = feed(pieces, { bufferBodyBytes: 64 * 1024 });
  assert.equal(events[0].type, 'frameStart');
  assert.ok(events.filter((e) => e.type === 'bodyPart').length >= 16);
  assert.equal(events.at(-1)!.type, 'frameEnd');
  assert.ok(Buffer.from(frames[0].body!).equals(body));
});

const HDR = 'MSRP abcd1234 SEND\r\nTo-Path: msrp://a:1/x;tcp\r\nFrom-Path: msrp://b:2/y;tcp\r\n';
const errorCases: [string, string | Buffer, string, Partial<ParserLimits>?][] = [
  ['garbage start line', 'HTTP/1.1 200 OK\r\n', 'MSRP_BAD_START_LINE'],
  ['short tid', 'MSRP abc SEND\r\n', 'MSRP_BAD_START_LINE'],
  ['lowercase method', 'MSRP abcd1234 send\r\n', 'MSRP_BAD_START_LINE'],
  ['bare LF', 'MSRP abcd1234 SEND\n', 'MSRP_BAD_START_LINE'],
  ['bad header', HDR + 'no colon here\r\n', 'MSRP_BAD_HEADER'],
  ['header without name', HDR + ': x\r\n', 'MSRP_BAD_HEADER'],
  ['wrong end-line tid', HDR + '-------zzzz9999$\r\n', 'MSRP_BAD_END_LINE'],
  ['bad flag', HDR + '-------abcd1234!\r\n', 'MSRP_BAD_END_LINE'],
  ['headers too large', HDR + 'X-Pad: ' + 'p'.repeat(20000) + '\r\n', 'MSRP_HEADERS_TOO_LARGE'],
  ['headers too large without newline', 'MSRP abcd1234 SEND' + 'q'.repeat(17000), 'MSRP_HEADERS_TOO_LARGE'],
  ['too many headers', HDR + 'X-A: 1\r\n'.repeat(10), 'MSRP_TOO_MANY_HEADERS', { maxHeaders: 5 }],
  ['chunk too large', HDR + 'Content-Type: text/plain\r\n\r\n' + 'x'.repeat(2000), 'MSRP_CHUNK_TOO_LARGE', { maxBodyBytes: 1000 }],
  [
    'non-SEND body above 10240',
    'MSRP abcd1234 NICKNAME\r\nTo-Path: msrp://a:1/x;tcp\r\nFrom-Path: msrp://b:2/y;tcp\r\nContent-Type: text/plain\r\n\r\n' +
      'x'.repeat(10241),
    'MSRP_CHUNK_TOO_LARGE',
  ],
];
for (const [name, input, code, limits] of errorCases) {
  test(`fatal error: ${name} -> ${code}, then the parser stays stopped`, () => {
    const p = new MsrpParser(limits);
    const evs = p.push(Buffer.from(input));
    const errs = evs.filter((e) => e.type === 'error');
    assert.equal(errs.length, 1);
    assert.equal((errs[0] as { error: { code: string } }).error.code, code);
    assert.ok(p.failed);
    assert.deepEqual(p.push(FIXTURES[0].bytes), []);
  });
}

test('CRLF keep-alives between frames are skipped, even many of them', () => {
  const p = new MsrpParser();
  const evs = p.push(Buffer.concat([Buffer.from('\r\n'.repeat(20000)), FIXTURES[0].bytes, Buffer.from('\r\n\r\n'), FIXTURES[1].bytes]));
  assert.deepEqual(
    evs.map((e) => e.type),
    ['frame', 'frame'],
  );
});

test('idle reflects frame boundaries', () => {
  const p = new MsrpParser();
  assert.ok(p.idle);
  p.push(FIXTURES[0].bytes.subarray(0, 10));
  assert.ok(!p.idle);
  p.push(FIXTURES[0].bytes.subarray(10));
  assert.ok(p.idle);
});
