#!/usr/bin/env node
// What a fresh clone needs, checked cheaply and installed only when missing: the Debian packages (apt) and the npm
// packages (npm ci). Used by `npm start` (app/start.mjs), `npm test` (scripts/test.mjs) and `npm run setup`.
// Node built-ins only: this runs before node_modules exists. Checks when nothing is missing: one dpkg-query for every
// package, and a comparison of package-lock.json with npm's record of what it installed (node_modules/.package-lock.json),
// a few milliseconds in all; apt and npm run only for what is missing.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Debian packages by purpose. `start` runs the app on the local lab; `test` adds what the tests drive. */
export const APT = {
  // The lab's Kamailio with TLS and WebSocket modules, openssl for the lab's test CA.
  lab: ['kamailio', 'kamailio-tls-modules', 'kamailio-websocket-modules', 'openssl', 'ca-certificates'],
  // Third-party SIP peers for interop tests, SIPp for the page-mode baseline, Chromium for the Playwright specs, tshark and
  // sngrep for wire captures, rsvg-convert, ImageMagick and png2icns to regenerate the icons (scripts/build-icons.mjs).
  test: ['baresip-core', 'linphone-cli', 'sip-tester', 'chromium', 'tshark', 'sngrep', 'librsvg2-bin', 'imagemagick', 'icnsutils'],
};

/** What each command needs: apt package list and whether npm packages are needed. */
export const NEEDS = {
  start: { apt: APT.lab, npm: true },
  test: { apt: [...APT.lab, ...APT.test], npm: true },
  unit: { apt: [], npm: true },
  all: { apt: [...APT.lab, ...APT.test], npm: true },
};

/** Runs a command; the default runner. Returns {status, stdout, stderr}. */
function defaultRun(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  return { status: r.error ? null : r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}

/** The packages of `wanted` that dpkg does not report as installed; null when this is not a dpkg system. */
export function missingAptPackages(wanted, run = defaultRun) {
  if (wanted.length === 0) return [];
  const r = run('dpkg-query', ['-W', '-f=${Package} ${db:Status-Abbrev}\\n', ...wanted]);
  if (r.status === null) return null; // no dpkg-query: not Debian
  const installed = new Set();
  for (const line of r.stdout.split('\n')) {
    const [name, status] = line.trim().split(/\s+/);
    if (name && status?.startsWith('ii')) installed.add(name.split(':')[0]);
  }
  return wanted.filter((p) => !installed.has(p));
}

/** Why node_modules does not match package-lock.json (a short reason), or null when it does. Compares every non-optional
 *  package in the lock with npm's hidden lockfile, which npm rewrites after each install. */
export function npmOutOfDate(root = ROOT) {
  const lockFile = join(root, 'package-lock.json');
  const hidden = join(root, 'node_modules', '.package-lock.json');
  if (!existsSync(join(root, 'node_modules'))) return 'node_modules is missing';
  if (!existsSync(hidden)) return 'node_modules has no record of what npm installed';
  let lock, have;
  try {
    lock = JSON.parse(readFileSync(lockFile, 'utf8')).packages ?? {};
    have = JSON.parse(readFileSync(hidden, 'utf8')).packages ?? {};
  } catch (e) {
    return `cannot read the lock files (${e.message})`;
  }
  for (const [path, entry] of Object.entries(lock)) {
    if (!path.startsWith('node_modules/') || entry.optional || entry.link) continue;
    const got = have[path];
    if (!got) return `${path.slice('node_modules/'.length)} is not installed`;
    if (got.version !== entry.version) return `${path.slice('node_modules/'.length)} is ${got.version}, the lock says ${entry.version}`;
  }
  return null;
}

/**
 * Checks what `need` (a key of NEEDS) requires and installs what is missing. Returns {installed: string[]} naming what it
 * did; throws an Error with a plain explanation when it cannot install (no root and no sudo, apt failure, npm failure).
 */
export function ensure(
  need = 'all',
  { root = ROOT, log = (l) => console.error(l), run = defaultRun, verbose = false, isRoot = process.getuid?.() === 0 } = {},
) {
  const spec = NEEDS[need];
  if (!spec) throw new Error(`unknown need ${need}`);
  const did = [];
  let missing = missingAptPackages(spec.apt, run);
  let why = spec.npm ? npmOutOfDate(root) : null;
  if (missing === null) log(`setup: not a Debian system (no dpkg-query): make sure these are installed: ${spec.apt.join(' ')}`);
  if (!missing?.length && !why) {
    if (verbose && spec.apt.length) log(`setup: Debian packages already installed: ${spec.apt.join(' ')}`);
    if (verbose && spec.npm) log('setup: npm packages match package-lock.json');
    return { installed: did };
  }
  // Something to install: one installer at a time (npm start and npm test started together must not race in npm ci).
  const release = takeInstallLock(root, log);
  try {
    // Another installer may have done it while we waited.
    missing = missingAptPackages(spec.apt, run);
    why = spec.npm ? npmOutOfDate(root) : null;
    if (missing?.length) {
      installApt(missing, { log, run, isRoot });
      did.push(`apt: ${missing.join(' ')}`);
    }
    if (why) {
      log(`setup: npm ci (${why})`);
      // The Electron binary is fetched by `npm start` on a machine with a display (app/start.mjs), not here.
      const r = run('npm', ['ci', '--no-audit', '--no-fund'], {
        cwd: root,
        stdio: 'inherit',
        env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' },
      });
      if (r.status !== 0) throw new Error(`npm ci failed (exit ${r.status ?? r.error?.message})`);
      did.push('npm ci');
    }
  } finally {
    release();
  }
  return { installed: did };
}

const LOCK_WAIT_MS = 20 * 60 * 1000;
const LOCK_POLL_MS = 500;

/** Takes <root>/.parley-install.lock (pid inside); waits, bounded, while a live process holds it; returns the release. */
function takeInstallLock(root, log) {
  const file = join(root, '.parley-install.lock');
  const t0 = Date.now();
  let told = false;
  for (;;) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      return () => rmSync(file, { force: true });
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
    }
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) {
      rmSync(file, { force: true }); // left by a process that died: take it over
      continue;
    }
    if (Date.now() - t0 > LOCK_WAIT_MS) {
      throw new Error(`another install (pid ${pid}) has held ${file} for ${LOCK_WAIT_MS / 60000} minutes; remove it if stale`);
    }
    if (!told) log(`setup: waiting for another install to finish (pid ${pid})…`);
    told = true;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, LOCK_POLL_MS);
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

function installApt(missing, { log, run, isRoot }) {
  const sudo = isRoot ? [] : ['sudo'];
  if (!isRoot && run('sudo', ['-n', 'true']).status === null) {
    throw new Error(
      `these Debian packages are missing: ${missing.join(' ')}\n` +
        `Install them as root: apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`,
    );
  }
  log(`setup: installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args) => {
    const [cmd, ...rest] = [...sudo, 'apt-get', ...args];
    const r = run(cmd, rest, { stdio: 'inherit', env });
    if (r.status !== 0) throw new Error(`apt-get ${args[0]} failed (exit ${r.status ?? r.error?.message})`);
  };
  apt(['update', '-q']);
  apt(['install', '-y', '-q', '--no-install-recommends', ...missing]);
  // Debian may start its own Kamailio service on 5060; the lab runs its own instances, so stop the stock one.
  if (missing.includes('kamailio') && run('systemctl', ['is-active', '--quiet', 'kamailio']).status === 0) {
    log('setup: stopping and disabling the stock kamailio service (the lab starts its own)');
    run(sudo[0] ?? 'systemctl', sudo.length ? ['systemctl', 'disable', '--now', 'kamailio'] : ['disable', '--now', 'kamailio']);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = process.argv.find((a) => a.startsWith('--for='));
  const need = arg ? arg.slice('--for='.length) : 'all';
  try {
    const t0 = Date.now();
    const { installed } = ensure(need, { verbose: true });
    console.error(`setup: ${installed.length ? `installed ${installed.join('; ')}` : 'nothing missing'} (${Date.now() - t0} ms)`);
  } catch (e) {
    console.error(`setup: ${e.message}`);
    process.exit(1);
  }
}
