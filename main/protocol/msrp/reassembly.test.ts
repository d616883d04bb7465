import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reassembler, RangeSet, DEFAULT_REASSEMBLY_OPTIONS, PIECE_OVERHEAD_BYTES, type MessageSink } from './reassembly';
import { ParleyError } from '../../base/errors';
import type { ByteRange, ContinuationFlag } from './message';
import { chunkBody } from './chunker';
import fc from 'fast-check';

function deliver(r: Reassembler, id: string, range: ByteRange, data: Buffer, flag: ContinuationFlag, contentType = 'text/plain') {
  const c = r.begin({ messageId: id, contentType }, range);
  // feed in two parts to exercise streaming writes
  c.data(data.subarray(0, data.length >> 1));
  c.data(data.subarray(data.length >> 1));
  return c.end(flag);
}

const BODY = Buffer.from('The quick brown fox jumps over the lazy dog, 0123456789');

test('in-order chunks complete the message', () => {
  const r = new Reassembler();
  const chunks = chunkBody(BODY, 10);
  const outs = chunks.map((c) => deliver(r, 'm1', c.byteRange, c.body, c.flag));
  assert.ok(outs.slice(0, -1).every((o) => o.kind === 'incomplete'));
  const last = outs.at(-1)!;
  assert.equal(last.kind, 'complete');
  assert.equal(last.kind === 'complete' && last.body!.toString(), BODY.toString());
  assert.equal(r.openCount, 0);
});

test('out-of-order, duplicated and overlapping chunks', () => {
  const r = new Reassembler();
  const chunks = chunkBody(BODY, 7).reverse();
  let done;
  for (const c of chunks) {
    done = deliver(r, 'm2', c.byteRange, c.body, c.flag);
    if (c.byteRange.start === 8) assert.equal(deliver(r, 'm2', c.byteRange, c.body, c.flag).kind, 'incomplete'); // duplicate
  }
  // overlapping extra range before the end is harmless
  assert.equal(done!.kind, 'complete');
  assert.equal(done!.kind === 'complete' && done!.body!.toString(), BODY.toString());
  assert.equal(deliver(r, 'm2', { start: 1, end: 5, total: BODY.length }, BODY.subarray(0, 5), '+').kind, 'duplicate');

  const r2 = new Reassembler();
  deliver(r2, 'o', { start: 1, end: 20, total: 30 }, BODY.subarray(0, 20), '+');
  deliver(r2, 'o', { start: 11, end: 25, total: 30 }, BODY.subarray(10, 25), '+');
  const o = deliver(r2, 'o', { start: 21, end: 30, total: 30 }, BODY.subarray(20, 30), '$');
  assert.equal(o.kind === 'complete' && o.body!.toString(), BODY.subarray(0, 30).toString());
});

test("unknown totals ('*') complete on the $ chunk, even out of order", () => {
  const r = new Reassembler();
  assert.equal(deliver(r, 'u', { start: 11, end: 20, total: '*' }, BODY.subarray(10, 20), '$').kind, 'incomplete');
  const o = deliver(r, 'u', { start: 1, end: '*', total: '*' }, BODY.subarray(0, 10), '+');
  assert.equal(o.kind, 'complete');
  assert.equal(o.kind === 'complete' && o.totalBytes, 20);
});

test('# aborts the message and later chunks are refused', () => {
  const r = new Reassembler();
  deliver(r, 'a', { start: 1, end: 10, total: 100 }, BODY.subarray(0, 10), '+');
  assert.equal(deliver(r, 'a', { start: 11, end: '*', total: 100 }, BODY.subarray(10, 15), '#').kind, 'aborted');
  assert.equal(r.openCount, 0);
  const again = deliver(r, 'a', { start: 16, end: 20, total: 100 }, BODY.subarray(15, 20), '+');
  assert.equal(again.kind, 'rejected');
});

test('max message size: declared total -> 413 at once; unknown total -> 413 when crossing the limit', () => {
  const r = new Reassembler({ maxMessageBytes: 20 });
  const a = deliver(r, 'big', { start: 1, end: 10, total: 21 }, BODY.subarray(0, 10), '+');
  assert.equal(a.kind === 'rejected' && a.status, 413);
  assert.equal(deliver(r, 'big', { start: 11, end: 20, total: 21 }, BODY.subarray(10, 20), '+').kind, 'rejected');
  assert.equal(deliver(r, 'grow', { start: 1, end: 15, total: '*' }, BODY.subarray(0, 15), '+').kind, 'incomplete');
  const g = deliver(r, 'grow', { start: 16, end: 25, total: '*' }, BODY.subarray(15, 25), '+');
  assert.equal(g.kind === 'rejected' && g.status, 413);
  assert.equal(g.kind === 'rejected' && g.error.code, 'MSRP_MESSAGE_TOO_LARGE');
  assert.equal(r.openCount, 0);
});

test('data beyond the declared total is a 400; a changed total is a 400', () => {
  const r = new Reassembler();
  const o = deliver(r, 'x', { start: 1, end: 5, total: 5 }, BODY.subarray(0, 9), '$');
  assert.equal(o.kind === 'rejected' && o.status, 400);
  deliver(r, 'y', { start: 1, end: 5, total: 10 }, BODY.subarray(0, 5), '+');
  const c = deliver(r, 'y', { start: 6, end: 10, total: 12 }, BODY.subarray(5, 10), '+');
  assert.equal(c.kind === 'rejected' && c.status, 400);
});

test('too many open messages', () => {
  const r = new Reassembler({ maxOpenMessages: 2 });
  deliver(r, '1', { start: 1, end: 1, total: 5 }, BODY.subarray(0, 1), '+');
  deliver(r, '2', { start: 1, end: 1, total: 5 }, BODY.subarray(0, 1), '+');
  const o = deliver(r, '3', { start: 1, end: 1, total: 5 }, BODY.subarray(0, 1), '+');
  assert.equal(o.kind === 'rejected' && o.error.code, 'MSRP_TOO_MANY_MESSAGES');
});

test('streaming sink receives positioned writes and end/abort', () => {
  const log: string[] = [];
  const file = Buffer.alloc(BODY.length);
  const sink: MessageSink = {
    write: (off, d) => void d.copy(file, off),
    end: (n) => void log.push(`end ${n}`),
    abort: (e) => void log.push(`abort ${e.code}`),
  };
  const r = new Reassembler({ createSink: () => sink });
  for (const c of chunkBody(BODY, 9).reverse()) deliver(r, 's', c.byteRange, c.body, c.flag);
  assert.deepEqual(log, [`end ${BODY.length}`]);
  assert.equal(file.toString(), BODY.toString());
  deliver(r, 't', { start: 1, end: 3, total: 9 }, BODY.subarray(0, 3), '+');
  r.close(
    new (class extends Error {
      code = 'X';
    })() as never,
  );
  assert.equal(log.at(-1), 'abort X');
});

test('RangeSet merges', () => {
  const s = new RangeSet();
  s.add(10, 20);
  s.add(0, 5);
  s.add(5, 10);
  s.add(30, 40);
  assert.deepEqual(s.ranges, [
    [0, 20],
    [30, 40],
  ]);
  assert.equal(s.prefix, 20);
  s.add(15, 35);
  assert.deepEqual(s.ranges, [[0, 40]]);
});

test('issue 12: the same range sent 4,000 times is kept once (bytes already received are dropped)', () => {
  let written = 0;
  const sink: MessageSink = { write: (_o, d) => void (written += d.length), end() {}, abort() {} };
  const r = new Reassembler({ createSink: () => sink });
  const piece = Buffer.alloc(1000, 0x61);
  for (let i = 0; i < 4000; i++) assert.equal(deliver(r, 'dup', { start: 1, end: 1000, total: 100_000 }, piece, '+').kind, 'incomplete');
  // overlapping ranges keep only the new bytes
  deliver(r, 'dup', { start: 501, end: 1500, total: 100_000 }, piece, '+');
  assert.equal(written, 1500);
  const m = new Reassembler();
  for (let i = 0; i < 4000; i++) deliver(m, 'dup', { start: 1, end: 1000, total: '*' }, piece, '+');
  assert.equal(m.heldBytes, 1000 + 2 * PIECE_OVERHEAD_BYTES, 'one copy (deliver() writes it in two halves)');
});

test('issue 12: bytes kept in memory are bounded per session (typed 413), and released when messages end', () => {
  const r = new Reassembler({ maxSessionBytes: 2500 });
  const k = Buffer.alloc(1000, 0x62);
  assert.equal(deliver(r, 'a', { start: 1, end: 500, total: 1000 }, k.subarray(0, 500), '+').kind, 'incomplete');
  assert.equal(deliver(r, 'b', { start: 1, end: 500, total: 1000 }, k.subarray(0, 500), '+').kind, 'incomplete');
  assert.equal(r.heldBytes, 2000, 'declared totals are reserved when a message opens');
  const o = deliver(r, 'c', { start: 1, end: 500, total: 1000 }, k.subarray(0, 500), '+');
  assert.equal(o.kind === 'rejected' && o.status, 413);
  assert.equal(o.kind === 'rejected' && o.error.code, 'MSRP_SESSION_BUFFER_FULL');
  assert.equal(deliver(r, 'c', { start: 501, end: 1000, total: 1000 }, k.subarray(500), '$').kind, 'rejected', 'c stays refused');
  const a = deliver(r, 'a', { start: 501, end: 1000, total: 1000 }, k.subarray(500), '$');
  assert.equal(a.kind === 'complete' && a.body!.equals(k), true);
  assert.equal(r.heldBytes, 1000, 'a completed message is handed over, no longer held');
  // without a declared total every piece is a copy and costs its bytes plus PIECE_OVERHEAD_BYTES
  const star = (i: number) => deliver(r, 'u', { start: 2 * i + 1, end: 2 * i + 1, total: '*' }, k.subarray(0, 1), '+');
  let i = 0;
  while (star(i).kind === 'incomplete') i++;
  assert.equal(i, Math.floor(1500 / (1 + PIECE_OVERHEAD_BYTES)), 'pieces count with their overhead');
  assert.equal(r.heldBytes, 1000, "u's pieces are released with it");
  r.close(new ParleyError('MSRP_SESSION_CLOSED', 'closed'));
  assert.equal(r.heldBytes, 0);
});

test('in-memory pieces are copies: a small chunk never pins the socket buffer it came from', () => {
  const r = new Reassembler();
  const socketRead = Buffer.alloc(64 * 1024, 0x41);
  const c = r.begin({ messageId: 'v' }, { start: 1, end: 3, total: '*' });
  c.data(socketRead.subarray(10, 13));
  c.end('+');
  socketRead.fill(0x42);
  const o = deliver(r, 'v', { start: 4, end: 4, total: 4 }, Buffer.from('D'), '$');
  assert.equal(o.kind === 'complete' && o.body!.toString(), 'AAAD');
});

test('unset options keep their defaults (undefined never disables a limit)', () => {
  const r = new Reassembler({ maxMessageBytes: undefined, maxOpenMessages: undefined });
  assert.equal(r.opts.maxMessageBytes, DEFAULT_REASSEMBLY_OPTIONS.maxMessageBytes);
  const o = deliver(r, 'huge', { start: 1, end: 10, total: DEFAULT_REASSEMBLY_OPTIONS.maxMessageBytes + 1 }, BODY.subarray(0, 10), '+');
  assert.equal(o.kind === 'rejected' && o.status, 413);
});

test('property: RangeSet.gaps returns exactly the bytes not covered yet', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(200), fc.nat(60))), fc.nat(200), fc.nat(80), (adds, s, len) => {
      const set = new RangeSet();
      const bits = new Uint8Array(300);
      for (const [a, n] of adds) {
        set.add(a, a + n);
        bits.fill(1, a, a + n);
      }
      const want: number[] = [];
      for (let i = s; i < s + len; i++) if (!bits[i]) want.push(i);
      const got = set.gaps(s, s + len).flatMap(([a, b]) => Array.from({ length: b - a }, (_, k) => a + k));
      assert.deepEqual(got, want);
    }),
    { numRuns: 500 },
  );
});
