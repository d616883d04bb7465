#!/usr/bin/env node
// `npm start`: installs what is missing (scripts/ensure.mjs: apt for the lab, npm ci; quick when nothing is), then runs
// the app: the Electron window where its binary is there (or can be fetched, on a machine with a display), otherwise the
// browser build on the local lab, as `npm run start:web -- --lab alice` (the lab is started if none runs). The link is
// printed, and opened in the browser when a display and an opener are available (never waited on: a headless machine
// just gets the link). Node built-ins only: this runs before node_modules exists.
//
//   npm start                       the app; `--web` forces the browser build, `--electron` the window
//   npm start -- --no-open          print the link only
//   npm start -- --lab bob --profile /tmp/parley-bob     other options go to the web host (main/hosts/web/cli.ts)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensure } from '../scripts/ensure.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const electronDir = join(root, 'node_modules/electron');
/** A failed Electron download is remembered here so the next start goes straight to the browser build for a day. */
const NO_ELECTRON_STAMP = join(root, 'node_modules/.parley-no-electron');
const DOWNLOAD_TIMEOUT_MS = 120_000;
const RETRY_DOWNLOAD_MS = 24 * 60 * 60 * 1000;
const SAME_PRESS_MS = 1000;
const URL_RE = /(http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]+)/;

/** Options this script takes; everything else goes to the web host. */
export function parseStartArgs(argv) {
  const o = { mode: 'auto', open: true, host: [] };
  for (const a of argv) {
    if (a === '--web') o.mode = 'web';
    else if (a === '--electron') o.mode = 'electron';
    else if (a === '--no-open') o.open = false;
    else o.host.push(a);
  }
  if (!o.host.includes('--lab')) o.host.unshift('--lab', 'alice');
  return o;
}

/** True when a window can be shown: macOS and Windows always; elsewhere an X11 or Wayland display. */
export function hasDisplay(env = process.env, platform = process.platform) {
  return platform === 'darwin' || platform === 'win32' || !!(env.DISPLAY || env.WAYLAND_DISPLAY);
}

/** The command that opens a URL in the default browser here, or null (no display, or no opener installed). */
export function browserOpener(env = process.env, platform = process.platform) {
  if (!hasDisplay(env, platform)) return null;
  if (env.BROWSER) return [env.BROWSER];
  if (platform === 'darwin') return ['open'];
  if (platform === 'win32') return ['cmd', '/c', 'start', '""'];
  const onPath = (cmd) => (env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, cmd)));
  return onPath('xdg-open') ? ['xdg-open'] : null;
}

function electronBinary() {
  const pathFile = join(electronDir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const bin = join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(bin) ? bin : null;
}

/** The Electron binary, fetched once if missing (only worth it where a window can be shown); null when unavailable. */
function findElectron(mode, env) {
  if (!existsSync(electronDir)) return null;
  const bin = electronBinary();
  if (bin) return bin;
  if (mode !== 'electron') {
    if (!hasDisplay(env)) return null;
    if (existsSync(NO_ELECTRON_STAMP) && Date.now() - statSync(NO_ELECTRON_STAMP).mtimeMs < RETRY_DOWNLOAD_MS) return null;
  }
  if (env.PARLEY_NO_ELECTRON_DOWNLOAD === '1') return null;
  console.error('start: the Electron binary is missing; downloading it (one time)…');
  spawnSync(process.execPath, [join(electronDir, 'install.js')], { stdio: 'inherit', timeout: DOWNLOAD_TIMEOUT_MS });
  const got = electronBinary();
  if (!got) {
    writeFileSync(NO_ELECTRON_STAMP, `${new Date().toISOString()}\n`);
    console.error('start: the Electron binary could not be downloaded; using the browser version (npm start -- --electron retries).');
  }
  return got;
}

function runElectron(bin) {
  const b = spawnSync(process.execPath, [join(root, 'app/build.mjs')], { stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
  const child = spawn(bin, [root], { stdio: 'inherit' });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

/** The browser build on the local lab: builds the renderer, runs the web host, prints (and maybe opens) the link. */
function runWeb(o, env) {
  const b = spawnSync(process.execPath, [join(root, 'scripts/build-renderer.mjs')], { stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
  console.error('start: starting Parley in your browser on the local lab (the lab starts if none runs)…');
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'main/hosts/web/cli.ts'), ...o.host], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    env,
    // Its own process group: signals reach it only through this script, once each (see below).
    detached: true,
  });
  let out = '';
  let announced = false;
  child.stdout.on('data', (d) => {
    process.stdout.write(d);
    if (announced) return;
    out += d;
    const m = URL_RE.exec(out);
    if (!m) return;
    announced = true;
    const opener = o.open ? browserOpener(env) : null;
    if (opener) {
      const [cmd, ...args] = opener;
      // Detached and unwaited: a browser that blocks or fails to start never holds up the app.
      const p = spawn(cmd, [...args, m[1]], { stdio: 'ignore', detached: true });
      p.on('error', () => console.error(`start: could not run ${cmd}; open the link above yourself.`));
      p.unref();
      console.error(`start: opened the link in your browser (${cmd}).`);
    } else {
      console.error('start: open the link above in a browser on this machine.');
    }
  });
  // Ctrl-C reaches this script twice (from the terminal and again from npm, which forwards it): the web host gets one
  // SIGINT per press (a second press within a second is the same press), so its first one shuts down cleanly (sign out,
  // stop the lab it started) and a later press forces it, as when it runs alone.
  let lastForward = 0;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      if (Date.now() - lastForward < SAME_PRESS_MS) return;
      lastForward = Date.now();
      if (child.exitCode === null) child.kill(sig);
    });
  }
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

function main() {
  const o = parseStartArgs(process.argv.slice(2));
  const env = process.env;
  if (env.PARLEY_SKIP_INSTALL !== '1') {
    try {
      ensure('start');
    } catch (e) {
      console.error(`start: ${e.message}`);
      process.exit(1);
    }
  }
  const bin = o.mode === 'web' ? null : findElectron(o.mode, env);
  if (bin) return runElectron(bin);
  if (o.mode === 'electron') {
    console.error('start: the Electron binary is not available (see above); run `npm start` for the browser version.');
    process.exit(1);
  }
  runWeb(o, env);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
