// scripts/ensure.mjs: what `npm start`, `npm test` and `npm run setup` install. Fake runners stand in for dpkg-query, apt
// and npm (nothing is installed here); the real check on this checkout must find nothing missing, quickly, and run no
// installer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APT, ensure, missingAptPackages, NEEDS, npmOutOfDate, type Runner } from './ensure.mjs';

type Call = { cmd: string; args: string[]; env?: Record<string, string> };

/** A runner that answers dpkg-query with `installed` and records every command. */
function fakeRunner(installed: string[], calls: Call[], fail: Record<string, number> = {}): Runner {
  return (cmd, args, opts) => {
    calls.push({ cmd, args, env: opts?.env as Record<string, string> | undefined });
    if (cmd === 'dpkg-query') {
      const wanted = args.slice(2);
      const stdout = wanted.map((p) => `${p} ${installed.includes(p) ? 'ii ' : 'un '}\n`).join('');
      return { status: wanted.every((p) => installed.includes(p)) ? 0 : 1, stdout, stderr: '' };
    }
    return { status: fail[cmd] ?? 0, stdout: '', stderr: '' };
  };
}

async function npmTree(lock: Record<string, unknown>, hidden: Record<string, unknown> | null): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-ensure-'));
  await writeFile(join(dir, 'package-lock.json'), JSON.stringify({ packages: { '': {}, ...lock } }));
  if (hidden) {
    await mkdir(join(dir, 'node_modules'));
    await writeFile(join(dir, 'node_modules', '.package-lock.json'), JSON.stringify({ packages: hidden }));
  }
  return dir;
}

test('dpkg-query output: installed (ii) packages are not missing; others are; no dpkg at all gives null', () => {
  const calls: Call[] = [];
  assert.deepEqual(missingAptPackages(['kamailio', 'openssl', 'chromium'], fakeRunner(['kamailio', 'chromium'], calls)), ['openssl']);
  assert.equal(calls.length, 1, 'one dpkg-query for every package');
  assert.equal(
    missingAptPackages(['x'], () => ({ status: null, stdout: '', stderr: '' })),
    null,
  );
  assert.deepEqual(missingAptPackages([], fakeRunner([], calls)), []);
});

test('npm: up to date when every non-optional locked package is installed at its version', async () => {
  const lock = {
    'node_modules/a': { version: '1.0.0' },
    'node_modules/b': { version: '2.0.0' },
    'node_modules/@esbuild/darwin-arm64': { version: '0.1.0', optional: true },
  };
  const same = { 'node_modules/a': { version: '1.0.0' }, 'node_modules/b': { version: '2.0.0' } };
  const dirs = [
    await npmTree(lock, same),
    await npmTree(lock, null),
    await npmTree(lock, { 'node_modules/a': { version: '1.0.0' } }),
    await npmTree(lock, { ...same, 'node_modules/b': { version: '2.0.1' } }),
  ];
  assert.equal(npmOutOfDate(dirs[0]), null);
  assert.match(npmOutOfDate(dirs[1]) ?? '', /node_modules is missing/);
  assert.match(npmOutOfDate(dirs[2]) ?? '', /b is not installed/);
  assert.match(npmOutOfDate(dirs[3]) ?? '', /b is 2\.0\.1, the lock says 2\.0\.0/);
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

test('nothing missing: no installer runs; missing apt packages: apt-get update + install of exactly those', async () => {
  const upToDate = await npmTree({ 'node_modules/a': { version: '1.0.0' } }, { 'node_modules/a': { version: '1.0.0' } });
  let calls: Call[] = [];
  assert.deepEqual(ensure('start', { root: upToDate, run: fakeRunner(APT.lab, calls), log: () => {}, isRoot: true }).installed, []);
  assert.deepEqual(
    calls.map((c) => c.cmd),
    ['dpkg-query'],
  );
  calls = [];
  const r = ensure('start', { root: upToDate, run: fakeRunner(['openssl'], calls), log: () => {}, isRoot: true });
  const apt = calls.filter((c) => c.cmd === 'apt-get').map((c) => c.args.join(' '));
  const wanted = APT.lab.filter((p) => p !== 'openssl');
  assert.deepEqual(apt, ['update -q', `install -y -q --no-install-recommends ${wanted.join(' ')}`]);
  assert.equal(calls.find((c) => c.cmd === 'apt-get')?.env?.DEBIAN_FRONTEND, 'noninteractive');
  assert.deepEqual(r.installed, [`apt: ${wanted.join(' ')}`]);
  // `unit` needs no Debian package; `test` needs the lab's and the test tools.
  assert.deepEqual(NEEDS.unit.apt, []);
  assert.deepEqual(NEEDS.test.apt, [...APT.lab, ...APT.test]);
  await rm(upToDate, { recursive: true, force: true });
});

test('npm out of date: npm ci without the Electron binary download; a failure says so', async () => {
  const stale = await npmTree({ 'node_modules/a': { version: '1.0.0' } }, null);
  const calls: Call[] = [];
  assert.deepEqual(ensure('unit', { root: stale, run: fakeRunner([], calls), log: () => {}, isRoot: true }).installed, ['npm ci']);
  const ci = calls.find((c) => c.cmd === 'npm')!;
  assert.deepEqual(ci.args, ['ci', '--no-audit', '--no-fund']);
  assert.equal(ci.env?.ELECTRON_SKIP_BINARY_DOWNLOAD, '1');
  assert.throws(() => ensure('unit', { root: stale, run: fakeRunner([], [], { npm: 1 }), log: () => {}, isRoot: true }), /npm ci failed/);
  await rm(stale, { recursive: true, force: true });
});

test('not root and no sudo: a plain explanation with the command to run, nothing attempted', async () => {
  const upToDate = await npmTree({}, {});
  const calls: Call[] = [];
  const run: Runner = (cmd, args, opts) =>
    cmd === 'sudo' ? { status: null, stdout: '', stderr: '' } : fakeRunner([], calls)(cmd, args, opts);
  assert.throws(
    () => ensure('start', { root: upToDate, run, log: () => {}, isRoot: false }),
    /Install them as root: apt-get update && apt-get install/,
  );
  assert.equal(calls.filter((c) => c.cmd === 'apt-get').length, 0);
  await rm(upToDate, { recursive: true, force: true });
});

test('this checkout: nothing is missing for `test`, and the check takes well under a second', () => {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['scripts/ensure.mjs', '--for=test'], { encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /nothing missing/);
  assert.ok(ms < 2000, `took ${ms} ms (node start included)`);
});
