// `npm start` (app/start.mjs) as a newcomer runs it, against a lab this test starts on free ports (found through
// PARLEY_LAB_STATE, as the web host finds a running `npm run network`): with a display it opens the link with the
// platform opener (a fake xdg-open records it); headless it prints the link, opens nothing and does not try to fetch
// Electron; SIGTERM stops it cleanly. The option parsing and the display/opener choice are checked on their own.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLab, type Lab } from '../../network/lab';
import { labInfo } from '../../network/cli';
import { browserOpener, hasDisplay, parseStartArgs } from '../start.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const WAIT_MS = 60_000;
let lab: Lab;
let dir: string;
let fakeBin: string;
const children: ChildProcess[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parley-start-'));
  lab = await startLab({ stateDir: join(dir, 'lab') });
  await writeFile(join(lab.stateDir, 'lab.json'), JSON.stringify(labInfo(lab)));
  fakeBin = join(dir, 'bin');
  await import('node:fs/promises').then((f) => f.mkdir(fakeBin));
  await writeFile(join(fakeBin, 'xdg-open'), `#!/bin/sh\necho "$@" > "${join(dir, 'opened.txt')}"\n`);
  await chmod(join(fakeBin, 'xdg-open'), 0o755);
});
after(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await lab?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Runs `node app/start.mjs ARGS` until it prints the link; returns the link, the output so far and the process. */
async function start(args: string[], env: Record<string, string | undefined>) {
  const baseEnv = { ...process.env };
  delete baseEnv.DISPLAY;
  delete baseEnv.WAYLAND_DISPLAY;
  delete baseEnv.BROWSER;
  const child = spawn(process.execPath, [join(ROOT, 'app/start.mjs'), ...args], {
    cwd: ROOT,
    env: { ...baseEnv, PARLEY_LAB_STATE: lab.stateDir, PARLEY_PASSPHRASE: 'start test passphrase', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const io = { out: '', err: '' };
  child.stdout!.on('data', (d) => (io.out += d));
  child.stderr!.on('data', (d) => (io.err += d));
  const url = await new Promise<string>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`no link within ${WAIT_MS} ms; stderr:\n${io.err}`)), WAIT_MS);
    const look = () => {
      const m = /(http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]+)/.exec(io.out);
      if (m && /start: (opened|open the link)/.test(io.err)) {
        clearTimeout(t);
        res(m[1]!);
      }
    };
    child.stdout!.on('data', look);
    child.stderr!.on('data', look);
    child.once('exit', (c) => rej(new Error(`exited ${c} before printing the link; stderr:\n${io.err}`)));
  });
  return { url, io, child };
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), WAIT_MS);
  const code = await exited;
  clearTimeout(t);
  return code;
}

test('options: --web/--electron/--no-open are ours, the rest goes to the web host with --lab alice by default', () => {
  assert.deepEqual(parseStartArgs([]), { mode: 'auto', open: true, host: ['--lab', 'alice'] });
  assert.deepEqual(parseStartArgs(['--web', '--no-open', '--profile', '/p']), {
    mode: 'web',
    open: false,
    host: ['--lab', 'alice', '--profile', '/p'],
  });
  assert.deepEqual(parseStartArgs(['--lab', 'bob', '--profile', '/tmp/b']).host, ['--lab', 'bob', '--profile', '/tmp/b']);
  assert.equal(parseStartArgs(['--electron']).mode, 'electron');
});

test('display and opener: none headless; xdg-open where it is on PATH; BROWSER wins; macOS open', () => {
  assert.equal(hasDisplay({}, 'linux'), false);
  assert.equal(hasDisplay({ WAYLAND_DISPLAY: 'wayland-0' }, 'linux'), true);
  assert.equal(browserOpener({ PATH: fakeBin }, 'linux'), null, 'no display: never open');
  assert.deepEqual(browserOpener({ DISPLAY: ':0', PATH: fakeBin }, 'linux'), ['xdg-open']);
  assert.equal(browserOpener({ DISPLAY: ':0', PATH: dir }, 'linux'), null, 'no opener installed');
  assert.deepEqual(browserOpener({ DISPLAY: ':0', BROWSER: 'firefox' }, 'linux'), ['firefox']);
  assert.deepEqual(browserOpener({}, 'darwin'), ['open']);
});

test('with a display: the web build on the running lab, signed in as alice, the link opened with xdg-open', async () => {
  const profile = join(dir, 'profile-alice');
  const { url, io, child } = await start(['--web', '--profile', profile], {
    DISPLAY: ':99',
    PATH: `${fakeBin}${delimiter}${process.env.PATH}`,
  });
  assert.match(io.err, /signed in as sip:alice@parley\.test on the local lab/);
  assert.match(io.err, /opened the link in your browser \(xdg-open\)/);
  const t0 = Date.now();
  while (!existsSync(join(dir, 'opened.txt')) && Date.now() - t0 < WAIT_MS) await new Promise((r) => setTimeout(r, 20));
  assert.equal((await readFile(join(dir, 'opened.txt'), 'utf8')).trim(), url);
  const page = await fetch(url.replace(/#.*/, ''));
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<title>Parley<\/title>/);
  assert.equal(await stop(child), 0, io.err);
  assert.match(io.err, /SIGTERM: signing out/);
});

test('headless: the link is printed, nothing is opened, and no Electron download is tried', async () => {
  await rm(join(dir, 'opened.txt'), { force: true });
  const { url, io, child } = await start(['--lab', 'bob', '--profile', join(dir, 'profile-bob')], {
    PATH: `${fakeBin}${delimiter}${process.env.PATH}`,
  });
  assert.match(io.err, /signed in as sip:bob@parley\.test/);
  assert.match(io.err, /open the link above in a browser/);
  assert.doesNotMatch(io.err, /downloading/i);
  assert.match(io.out, new RegExp(url.replace(/[.?]/g, '\\$&')));
  assert.equal(existsSync(join(dir, 'opened.txt')), false);
  assert.equal(await stop(child), 0, io.err);
});
