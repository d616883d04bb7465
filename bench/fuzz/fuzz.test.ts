// The fuzz harness in npm test, short: every target for a few hundred inputs (keeps the targets compiling and their
// fixtures valid). The real runs are `npx tsx bench/fuzz/run.ts` (docs/fuzzing.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fuzzTarget, makeInput, prng } from './engine';
import { allTargets } from './run';

test('every fuzz target runs 300 inputs with no finding, and its fixtures are accepted', async () => {
  const targets = await allTargets();
  assert.equal(targets.length, 14);
  const outDir = mkdtempSync(join(tmpdir(), 'parley-fuzz-test-'));
  for (const t of targets) {
    for (const f of t.fixtures) await t.run(f); // a fixture the target refuses would make the mutations shallow
    // generous time limit: this runs beside other tests on a shared machine; the bench uses 100 ms
    const r = await fuzzTarget(t, { inputs: 300, seed: 1, maxMs: 5000, maxGrowthMiB: 256, outDir });
    assert.deepEqual(r.findings, [], t.name);
    assert.equal(r.accepted + r.refused, 300);
  }
});

test('inputs are deterministic for a seed and stay within the size limit', async () => {
  const [t] = await allTargets();
  const a = prng(5);
  const b = prng(5);
  for (let i = 0; i < 200; i++) {
    const x = makeInput({ ...t, maxBytes: 512 }, a);
    assert.deepEqual(x, makeInput({ ...t, maxBytes: 512 }, b));
    assert.ok(x.length <= 512);
  }
});
