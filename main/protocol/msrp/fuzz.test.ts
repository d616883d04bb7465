// Property-based tests (fast-check): random splits, corruption, truncation and random bytes never escape as throws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MsrpParser, type ParserEvent } from './parser';
import { ParleyError } from '../../base/errors';
import { ALL_CONCAT } from './fixtures.test-data';
import { serializeRequest } from './serializer';
import { MsrpSession } from './session';
import { MsrpDemux } from './demux';
import { FakeClock } from '../../base/clock';
import { chunkBody } from './chunker';
import { Reassembler } from './reassembly';
import { splitAt } from '../split.test-data';

function run(pieces: Buffer[], limits = {}): ParserEvent[] {
  const p = new MsrpParser(limits);
  const evs: ParserEvent[] = [];
  for (const x of pieces) evs.push(...p.push(x)); // a throw fails the property
  return evs;
}

function summary(evs: ParserEvent[]): string[] {
  const out: string[] = [];
  let body: Buffer[] = [];
  for (const e of evs) {
    if (e.type === 'frame') out.push(`${e.frame.tid}:${e.frame.flag}:${e.frame.body ? Buffer.from(e.frame.body).toString('hex') : '-'}`);
    else if (e.type === 'frameStart') body = [];
    else if (e.type === 'bodyPart') body.push(e.data);
    else if (e.type === 'frameEnd') out.push(`${e.tid}:${e.flag}:${Buffer.concat(body).toString('hex')}`);
    else out.push(`error:${e.error.code}`);
  }
  return out;
}

function assertTyped(evs: ParserEvent[]): void {
  const errs = evs.filter((e) => e.type === 'error');
  assert.ok(errs.length <= 1, 'at most one fatal error');
  if (errs.length) {
    assert.equal(evs.at(-1)!.type, 'error', 'nothing after the fatal error');
    const e = (errs[0] as { error: ParleyError }).error;
    assert.ok(e instanceof ParleyError);
    assert.match(e.code, /^MSRP_[A-Z_]+$/);
    assert.notEqual(e.code, 'MSRP_INTERNAL');
  }
}

const reference = summary(run([ALL_CONCAT]));

test('random splits give the same frames (buffered and streaming modes)', () => {
  fc.assert(
    fc.property(fc.array(fc.nat(), { maxLength: 40 }), fc.boolean(), (cuts, stream) => {
      const limits = stream ? { bufferBodyBytes: 5 } : {};
      assert.deepEqual(summary(run(splitAt(ALL_CONCAT, cuts), limits)), reference);
    }),
    { numRuns: 300 },
  );
});

test('corrupted input: only typed MSRP errors, never a throw', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'insert', 'delete')), {
        minLength: 1,
        maxLength: 8,
      }),
      fc.array(fc.nat(), { maxLength: 10 }),
      (edits, cuts) => {
        let b = Buffer.from(ALL_CONCAT);
        for (const [pos, byte, op] of edits) {
          const i = pos % b.length;
          if (op === 'flip') b[i] = byte;
          else if (op === 'insert') b = Buffer.concat([b.subarray(0, i), Buffer.from([byte]), b.subarray(i)]);
          else b = Buffer.concat([b.subarray(0, i), b.subarray(i + 1)]);
        }
        assertTyped(run(splitAt(b, cuts), { bufferBodyBytes: 64 }));
      },
    ),
    { numRuns: 500 },
  );
});

test('truncated input: a prefix of the reference frames, no error', () => {
  fc.assert(
    fc.property(fc.nat(), (n) => {
      const evs = run([ALL_CONCAT.subarray(0, n % ALL_CONCAT.length)]);
      assertTyped(evs);
      assert.ok(!evs.some((e) => e.type === 'error'));
      const s = summary(evs);
      assert.deepEqual(s, reference.slice(0, s.length));
    }),
    { numRuns: 300 },
  );
});

test('random bytes and MSRP-ish noise never throw', () => {
  const noise = fc.oneof(
    fc.uint8Array({ maxLength: 2000 }),
    fc
      .array(
        fc.constantFrom(
          'MSRP ',
          'abcd1234 ',
          'SEND',
          '200 OK',
          '\r\n',
          'To-Path: msrp://a:1/x;tcp',
          'Content-Type: text/plain',
          '-------abcd1234',
          '$',
          '+',
          '#',
          ':',
          'x',
        ),
        { maxLength: 60 },
      )
      .map((a) => new TextEncoder().encode(a.join(''))),
  );
  fc.assert(
    fc.property(noise, fc.array(fc.nat(), { maxLength: 6 }), (bytes, cuts) => {
      assertTyped(run(splitAt(Buffer.from(bytes), cuts), { bufferBodyBytes: 16, maxHeaderBytes: 512 }));
    }),
    { numRuns: 500 },
  );
});

test('serializer -> parser round-trip for random bodies and headers', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 3000 }),
      fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9.+%=-]{3,31}$/),
      fc.constantFrom('$', '+', '#'),
      fc.array(fc.nat(), { maxLength: 5 }),
      (body, tid, flag, cuts) => {
        let bytes: Buffer;
        try {
          bytes = serializeRequest({
            tid,
            method: 'SEND',
            toPath: ['msrp://a:1/x;tcp'],
            fromPath: ['msrp://b:2/y;tcp'],
            headers: [['Message-ID', 'm']],
            contentType: 'application/octet-stream',
            body,
            flag: flag as '$',
          });
        } catch (e) {
          assert.equal((e as ParleyError).code, 'MSRP_TID_IN_BODY');
          return;
        }
        const s = summary(run(splitAt(bytes, cuts), { bufferBodyBytes: 100 }));
        assert.deepEqual(s, [`${tid}:${flag}:${Buffer.from(body).toString('hex')}`]);
      },
    ),
    { numRuns: 300 },
  );
});

test('reassembly: any chunk order and size gives the original body', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 500 }), fc.integer({ min: 1, max: 64 }), fc.nat(), (body, size, seed) => {
      const chunks = chunkBody(body, size);
      // deterministic shuffle from seed
      const order = chunks
        .map((c, i) => ({ c, k: (i * 7919 + seed) % 1009 }))
        .sort((x, y) => x.k - y.k)
        .map((x) => x.c);
      const r = new Reassembler();
      const outs = order.map((c) => {
        const rc = r.begin({ messageId: 'm' }, c.byteRange);
        rc.data(c.body);
        return rc.end(c.flag);
      });
      const done = outs.filter((o) => o.kind === 'complete');
      assert.equal(done.length, 1);
      assert.equal(outs.at(-1)!.kind, 'complete');
      assert.deepEqual([...(done[0].kind === 'complete' ? done[0].body! : [])], [...body]);
    }),
    { numRuns: 300 },
  );
});

test('session and demux survive arbitrary input without throwing', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 1500 }), fc.array(fc.nat(), { maxLength: 5 }), fc.nat(), (noise, cuts, at) => {
      const s = new MsrpSession({ localUri: 'msrp://b:2/y;tcp', toPath: ['msrp://a:1/x;tcp'], clock: new FakeClock() });
      s.setWriter(() => {});
      const d = new MsrpDemux({ write: () => {}, onFatal: () => {} });
      d.add(s);
      const i = at % (ALL_CONCAT.length + 1);
      const input = Buffer.concat([ALL_CONCAT.subarray(0, i), Buffer.from(noise), ALL_CONCAT.subarray(i)]);
      for (const piece of splitAt(input, cuts)) d.push(piece);
      const s2 = new MsrpSession({
        localUri: 'msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp',
        toPath: ['msrp://atlanta.example.com:7654/jshA7weztas;tcp'],
        clock: new FakeClock(),
      });
      s2.setWriter(() => {});
      for (const piece of splitAt(input, cuts)) s2.feed(piece);
    }),
    { numRuns: 300 },
  );
});
