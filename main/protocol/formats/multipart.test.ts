import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseMultipart, buildMultipart, parseContentType, formatContentType, newBoundary, partHeader } from './multipart';
import { bytes, text, everyTruncation, fuzzMutations, throwsCode } from './testing';

const CT = 'multipart/mixed; boundary="simple boundary"';
// RFC 2046 s5.1.1 example (with preamble and epilogue).
const RFC2046 = [
  'This is the preamble.  It is to be ignored, though it',
  'is a handy place for composition agents to include an',
  'explanatory note to non-MIME conformant readers.',
  '',
  '--simple boundary',
  '',
  'This is implicitly typed plain US-ASCII text.',
  'It does NOT end with a linebreak.',
  '--simple boundary',
  'Content-type: text/plain; charset=us-ascii',
  '',
  'This is explicitly typed plain US-ASCII text.',
  'It DOES end with a linebreak.',
  '',
  '--simple boundary--',
  '',
  'This is the epilogue.  It is also to be ignored.',
].join('\r\n');

test('parses the RFC 2046 example: preamble/epilogue ignored, implicit and explicit parts', () => {
  const parts = parseMultipart(bytes(RFC2046), CT);
  assert.equal(parts.length, 2);
  assert.deepEqual(parts[0].headers, []);
  assert.equal(text(parts[0].body), 'This is implicitly typed plain US-ASCII text.\r\nIt does NOT end with a linebreak.');
  assert.equal(partHeader(parts[1], 'content-type'), 'text/plain; charset=us-ascii');
  assert.equal(text(parts[1].body), 'This is explicitly typed plain US-ASCII text.\r\nIt DOES end with a linebreak.\r\n');
});

test('Content-Type parsing: quoted parameters, case, escapes; invalid values rejected', () => {
  assert.deepEqual(parseContentType('Multipart/Mixed; Boundary="a \\"b\\""; x=1;'), {
    type: 'multipart',
    subtype: 'mixed',
    params: { boundary: 'a "b"', x: '1' },
  });
  assert.equal(
    formatContentType({ type: 'text', subtype: 'plain', params: { charset: 'utf-8', name: 'a b"c' } }),
    'text/plain;charset=utf-8;name="a b\\"c"',
  );
  throwsCode(() => parseContentType('text'), 'CONTENT_TYPE_INVALID');
  throwsCode(() => parseContentType('text/plain; =x'), 'CONTENT_TYPE_INVALID');
  throwsCode(() => parseMultipart(bytes(RFC2046), 'multipart/mixed'), 'MULTIPART_BAD_BOUNDARY');
  throwsCode(() => parseMultipart(bytes(RFC2046), 'text/plain; boundary=x'), 'MULTIPART_NOT_MULTIPART');
});

test('build/parse round trip with binary bodies, LF-only input accepted', () => {
  const bin = new Uint8Array(300).map((_, i) => i % 256);
  const built = buildMultipart(
    [
      { headers: [{ name: 'Content-Type', value: 'application/octet-stream' }], body: bin },
      { headers: [], body: new Uint8Array(0) },
    ],
    { boundary: 'b1' },
  );
  assert.equal(built.contentType, 'multipart/mixed;boundary=b1');
  const parts = parseMultipart(built.body, built.contentType);
  assert.deepEqual(parts[0].body, bin);
  assert.equal(parts[1].body.length, 0);
  const lf = parseMultipart(bytes('--x\nContent-Type: text/plain\n\nhello\n--x--\n'), 'multipart/mixed;boundary=x');
  assert.equal(text(lf[0].body), 'hello');
});

test('rejects boundary collisions, truncation, too many parts, oversize', () => {
  throwsCode(() => buildMultipart([{ headers: [], body: bytes('x\r\n--b1\r\n') }], { boundary: 'b1' }), 'MULTIPART_BOUNDARY_COLLISION');
  throwsCode(() => buildMultipart([{ headers: [{ name: 'X', value: 'a\r\nB: c' }], body: bytes('') }]), 'MULTIPART_BAD_INPUT');
  throwsCode(() => buildMultipart([], {}), 'MULTIPART_BAD_INPUT');
  throwsCode(() => parseMultipart(bytes('--x\r\n\r\nbody'), 'multipart/mixed;boundary=x'), 'MULTIPART_TRUNCATED');
  throwsCode(() => parseMultipart(bytes('no delimiter'), 'multipart/mixed;boundary=x'), 'MULTIPART_TRUNCATED');
  throwsCode(() => parseMultipart(bytes('--x--'), 'multipart/mixed;boundary=x'), 'MULTIPART_MALFORMED');
  throwsCode(() => parseMultipart(bytes('--x\r\nbad header\r\n\r\n--x--'), 'multipart/mixed;boundary=x'), 'MULTIPART_MALFORMED');
  throwsCode(
    () => parseMultipart(bytes('--x\r\n\r\n\r\n'.repeat(5) + '--x--'), 'multipart/mixed;boundary=x', { maxParts: 3 }),
    'MULTIPART_TOO_MANY_PARTS',
  );
  throwsCode(() => parseMultipart(new Uint8Array(100), 'multipart/mixed;boundary=x', { maxBytes: 10 }), 'MULTIPART_TOO_LARGE');
  throwsCode(
    () => parseMultipart(bytes(`--x\r\nX: ${'a'.repeat(9000)}\r\n\r\n\r\n--x--`), 'multipart/mixed;boundary=x'),
    'MULTIPART_HEADER_TOO_LARGE',
  );
  // a line that merely starts with the boundary text is body content, not a delimiter
  assert.equal(text(parseMultipart(bytes('--x\r\n\r\n--xy\r\n--x--'), 'multipart/mixed;boundary=x')[0].body), '--xy');
});

test('every truncation of the fixture fails cleanly; mutations only raise ParleyError', () => {
  const b = bytes(RFC2046);
  const close = RFC2046.indexOf('--simple boundary--') + '--simple boundary--'.length;
  everyTruncation(b, (x) => parseMultipart(x, CT));
  assert.equal(
    everyTruncation(b.subarray(0, close), (x) => parseMultipart(x, CT)),
    close,
  );
  fuzzMutations(b, (x) => parseMultipart(x, CT), 500, 5);
});

test('property: build -> parse is identity, boundary is random and valid', () => {
  assert.notEqual(newBoundary(), newBoundary());
  assert.match(newBoundary(), /^parley-[A-Za-z0-9_-]{24}$/);
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          headers: fc.array(
            fc.record({
              name: fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/),
              value: fc.stringMatching(/^[ -~]{0,30}$/).map((s) => s.trim()),
            }),
            { maxLength: 3 },
          ),
          body: fc.uint8Array({ maxLength: 100 }),
        }),
        { minLength: 1, maxLength: 5 },
      ),
      (generated) => {
        const parts = generated.map((p) => ({ headers: p.headers.map((h) => ({ ...h })), body: p.body })); // plain prototypes
        const built = buildMultipart(parts);
        assert.deepEqual(parseMultipart(built.body, built.contentType), parts);
      },
    ),
    { numRuns: 300 },
  );
});
