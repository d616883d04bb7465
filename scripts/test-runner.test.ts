// scripts/test.mjs chooses the files: `--unit` (npm run test:unit) leaves out *.lab.test.ts and the e2e specs, and a lab
// started anyway in a unit run fails with a message naming the rule (network/lab.ts assertLabAllowed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertLabAllowed, UNIT_RUN_ENV } from '../network/lab';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const list = (...args: string[]): string[] =>
  execFileSync(process.execPath, [join(ROOT, 'scripts/test.mjs'), '--list', ...args], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);

test('--unit lists no lab test and no e2e spec; the full run lists both', () => {
  const unit = list('--unit');
  const all = list();
  assert.deepEqual(
    unit.filter((f) => f.endsWith('.lab.test.ts') || f.startsWith('e2e/')),
    [],
  );
  assert.ok(unit.includes('main/net/msrp/relay.test.ts') && unit.includes('scripts/test-runner.test.ts'));
  assert.ok(all.includes('main/net/msrp/relay.lab.test.ts') && all.includes('network/lab.lab.test.ts'));
  assert.ok(all.some((f) => f.startsWith('e2e/')));
  assert.deepEqual(
    all.filter((f) => !f.endsWith('.lab.test.ts') && !f.startsWith('e2e/')),
    unit,
  );
});

test('a path filter applies to the unit run too', () => {
  assert.deepEqual(list('--unit', 'main/net/msrp/relay'), ['main/net/msrp/relay.test.ts']);
  assert.deepEqual(list('main/net/msrp/relay'), ['main/net/msrp/relay.lab.test.ts', 'main/net/msrp/relay.test.ts']);
});

test('a test file that calls startLab directly is named *.lab.test.ts', () => {
  const misnamed = list('--unit').filter((f) => /\bstart(Lab|ConfLab|Baresip|Linphone)\(/.test(readFileSync(join(ROOT, f), 'utf8')));
  assert.deepEqual(misnamed, [], 'these unit tests start a lab: rename them to *.lab.test.ts');
});

test('in a unit run, starting Kamailio or a peer fails with the naming rule', (t) => {
  const before = process.env[UNIT_RUN_ENV];
  t.after(() => (before === undefined ? delete process.env[UNIT_RUN_ENV] : (process.env[UNIT_RUN_ENV] = before)));
  process.env[UNIT_RUN_ENV] = '1';
  assert.throws(() => assertLabAllowed('Kamailio'), /Kamailio started in a unit run .*\*\.lab\.test\.ts/);
  process.env[UNIT_RUN_ENV] = '0';
  assert.doesNotThrow(() => assertLabAllowed('Kamailio'));
});
