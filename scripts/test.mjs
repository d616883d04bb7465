#!/usr/bin/env node
// The one test command (README): installs what is missing first (scripts/ensure.mjs: apt and npm, a few milliseconds
// when nothing is), then layer check, lint, format, type check, then every *.test.ts (unit + lab integration) and
// e2e/*.spec.ts on node's test runner. `npm test -- main/protocol/msrp` runs only the files under the given paths (skips the
// static checks). `--unit` (npm run test:unit) runs no lab: it skips *.lab.test.ts (tests that start Kamailio or a
// third-party peer) and the e2e specs, and sets PARLEY_UNIT_RUN=1 so that a lab started anyway fails loudly (network/lab.ts).
import { spawnSync } from 'node:child_process';
import { join, resolve, dirname } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { walk } from './check-layers.mjs';
import { ensure } from './ensure.mjs';
import { tmpdir } from 'node:os';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
process.chdir(root);
const args = process.argv.slice(2);
const filters = args.filter((a) => !a.startsWith('--'));
const onlyUnit = args.includes('--unit');
/** `--list`: print the test files that would run, one a line, and run nothing (used by scripts/test-runner.test.ts). */
const listOnly = args.includes('--list');
/** `--readme-screenshots` (npm run screenshots): the lab specs also write the README's pictures to docs/screenshots/. */
const readmeShots = args.includes('--readme-screenshots');

if (!listOnly && process.env.PARLEY_SKIP_INSTALL !== '1') {
  try {
    ensure(onlyUnit ? 'unit' : 'test');
  } catch (e) {
    console.error(`test: ${e.message}`);
    process.exit(1);
  }
}

function run(cmd, argv, env = {}) {
  console.log(`\n$ ${cmd} ${argv.length > 12 ? argv.slice(0, 12).join(' ') + ' …' : argv.join(' ')}`);
  const r = spawnSync(cmd, argv, { stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) {
    console.error(`\nFAILED: ${cmd} exited with ${r.status ?? r.signal}`);
    process.exit(r.status || 1);
  }
}

const dirs = ['app', 'main', 'renderer', 'network', 'bench', 'scripts'];
/** Tests that start Kamailio or a third-party SIP peer carry this suffix; the unit run skips them. */
const LAB_TEST = /\.lab\.test\.tsx?$/;
let tests = dirs.flatMap((d) => [...walk(d)]).filter((f) => /\.test\.tsx?$/.test(f) && !(onlyUnit && LAB_TEST.test(f)));
let specs = onlyUnit ? [] : [...walk('e2e')].filter((f) => /\.spec\.ts$/.test(f));
if (filters.length) {
  const keep = (f) => filters.some((x) => f.startsWith(x.replace(/^\.\//, '')));
  tests = tests.filter(keep);
  specs = specs.filter(keep);
} else if (!listOnly) {
  run(process.execPath, ['scripts/check-layers.mjs']);
  run(process.execPath, ['node_modules/eslint/bin/eslint.js', '--max-warnings=0', '.']);
  run(process.execPath, ['node_modules/prettier/bin/prettier.cjs', '--check', '--log-level=warn', '.']);
  run(process.execPath, ['node_modules/typescript7/bin/tsc', '-p', '.']);
}
const all = [...tests.sort(), ...specs.sort()];
if (listOnly) {
  console.log(all.join('\n'));
  process.exit(0);
}
if (all.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
run(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=300000', ...all], {
  PARLEY_TEST: '1',
  ...(readmeShots ? { PARLEY_README_SCREENSHOTS: '1' } : {}),
  ...(onlyUnit ? { PARLEY_UNIT_RUN: '1' } : {}),
  // Guard: a test that forgets --profile must not touch the user's ~/.config/parley-cli.
  PARLEY_PROFILE: mkdtempSync(join(tmpdir(), 'parley-test-profile-')),
});
