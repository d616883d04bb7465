import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { endLinePrefix, findEndLine, MAX_FALSE_ANCHORS } from './end-line';

const TID = 'a3f09c1d2e4b5a6978c0d1e2';
const pat = endLinePrefix(TID);

/** The reference: Buffer.indexOf limited to start positions below `limit`. */
function reference(b: Buffer, from: number, limit: number): number {
  const p = b.indexOf(pat, from);
  return p >= 0 && p < limit ? p : -1;
}

test('finds the end-line at every offset of a body, and every from/limit around it', () => {
  const body = Buffer.alloc(200, 0x41);
  for (let at = 0; at + pat.length <= body.length; at++) {
    const b = Buffer.from(body);
    pat.copy(b, at);
    for (const from of [0, Math.max(0, at - 1), at, at + 1]) {
      for (const limit of [b.length, at, at + 1]) assert.equal(findEndLine(b, pat, from, limit), reference(b, from, limit), `at ${at}`);
    }
    // cut by the end of the buffer: not found (the parser holds such tails back itself)
    for (let cut = at + 1; cut < at + pat.length; cut++) assert.equal(findEndLine(b.subarray(0, cut), pat), -1, `cut ${at}/${cut}`);
  }
});

test('near misses: another tid, no CR, a shorter dash run, an anchor at position 0', () => {
  const cases = [
    `x\r\n-------${TID.replace(/.$/, 'f')}$\r\n`,
    `x\n-------${TID}$\r\n`,
    `x\r\n------${TID}$\r\n`,
    `\n-------${TID}`,
    `\r\r\n-------${TID}+\r\n`,
  ];
  for (const c of cases) {
    const b = Buffer.from(c, 'latin1');
    assert.equal(findEndLine(b, pat), reference(b, 0, b.length), JSON.stringify(c));
  }
});

test('dash- and newline-heavy bodies: same answer as indexOf after many false anchors', () => {
  const noise = `\n------\r\n-------x${'-'.repeat(20)}\n`.repeat(MAX_FALSE_ANCHORS * 3);
  for (const tail of ['', `\r\n-------${TID}$\r\n`]) {
    const b = Buffer.from(noise + tail, 'latin1');
    assert.equal(findEndLine(b, pat), reference(b, 0, b.length));
    assert.equal(findEndLine(b, pat, 0, noise.length - 1), reference(b, 0, noise.length - 1));
  }
});

test('property: equals Buffer.indexOf for random bodies built from end-line pieces', () => {
  const piece = fc.constantFrom('\r', '\n', '-', '-------', TID, TID.slice(0, 5), 'Z', `\r\n-------${TID}`, '\n------');
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 60 }), fc.nat(400), fc.nat(400), (parts, f, l) => {
      const b = Buffer.from(parts.join(''), 'latin1');
      const from = Math.min(f, b.length);
      const limit = Math.min(l, b.length);
      assert.equal(findEndLine(b, pat, from, limit), reference(b, from, limit));
    }),
    { numRuns: 2000 },
  );
});
