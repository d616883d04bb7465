import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Chunker, chunkBody } from './chunker';
import { formatByteRange } from './message';
import { isParleyError } from '../../base/errors';

test('known total: ranges, flags, sizes', () => {
  const body = Buffer.from('0123456789abcdefghij'); // 20
  const chunks = chunkBody(body, 8);
  assert.deepEqual(
    chunks.map((c) => formatByteRange(c.byteRange)),
    ['1-8/20', '9-16/20', '17-20/20'],
  );
  assert.deepEqual(
    chunks.map((c) => c.flag),
    ['+', '+', '$'],
  );
  assert.equal(Buffer.concat(chunks.map((c) => c.body)).toString(), body.toString());
  const exact = chunkBody(Buffer.alloc(16), 8);
  assert.deepEqual(
    exact.map((c) => formatByteRange(c.byteRange)),
    ['1-8/16', '9-16/16'],
  );
  assert.equal(exact[1].flag, '$');
  const empty = chunkBody(Buffer.alloc(0), 8);
  assert.deepEqual(
    empty.map((c) => [formatByteRange(c.byteRange), c.flag, c.body.length]),
    [['1-0/0', '$', 0]],
  );
});

test('unknown total streams with * totals; the last chunk is cut at end()', () => {
  const c = new Chunker(4);
  const out = [...c.write(Buffer.from('abc')), ...c.write(Buffer.from('defgh')), ...c.write(Buffer.from('ij'))];
  assert.deepEqual(
    out.map((x) => formatByteRange(x.byteRange)),
    ['1-4/*', '5-8/*'],
  );
  assert.ok(out.every((x) => x.flag === '+'));
  const last = c.end();
  assert.deepEqual(
    last.map((x) => [formatByteRange(x.byteRange), x.flag, x.body.toString()]),
    [['9-10/10', '$', 'ij']],
  );
});

test('large writes are sliced without copying', () => {
  const big = Buffer.alloc(10000, 1);
  const chunks = chunkBody(big, 4096);
  assert.equal(chunks[0].body.buffer, big.buffer);
  assert.equal(chunks.length, 3);
});

test('abort gives an empty # chunk at the current position; size mismatches are typed errors', () => {
  const c = new Chunker(4, 100);
  c.write(Buffer.alloc(10));
  const a = c.abort();
  assert.equal(a.flag, '#');
  assert.equal(formatByteRange(a.byteRange), '9-8/100');
  assert.throws(
    () => c.write(Buffer.alloc(1)),
    (e) => isParleyError(e, 'MSRP_MESSAGE_ENDED'),
  );
  const d = new Chunker(4, 5);
  assert.throws(
    () => d.write(Buffer.alloc(6)),
    (e) => isParleyError(e, 'MSRP_SIZE_MISMATCH'),
  );
  const e2 = new Chunker(4, 5);
  e2.write(Buffer.alloc(3));
  assert.throws(
    () => e2.end(),
    (e) => isParleyError(e, 'MSRP_SIZE_MISMATCH'),
  );
  assert.throws(
    () => new Chunker(0),
    (e) => isParleyError(e, 'MSRP_BAD_CHUNK_SIZE'),
  );
});
