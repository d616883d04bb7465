#!/usr/bin/env node
// `npm start`: launches the Electron app. The Electron binary is fetched from the internet on first use; when it is
// missing and cannot be fetched, say so plainly and point to the browser version (`npm run start:web`).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const electronDir = join(root, 'node_modules/electron');
const DOWNLOAD_TIMEOUT_MS = 120_000;

function electronBinary() {
  const pathFile = join(electronDir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const bin = join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(bin) ? bin : null;
}

function explainAndExit(why) {
  console.error(`\nParley's desktop window needs the Electron binary, which is not available: ${why}`);
  console.error('Electron downloads it from the internet on first use (github.com); this machine could not fetch it.');
  console.error('\nYou can run the same app in your browser instead:\n\n    npm run start:web\n');
  console.error('It serves the UI on 127.0.0.1 only and prints an address with a one-time access token to open.');
  process.exit(1);
}

if (!existsSync(electronDir)) explainAndExit('the electron package is not installed (npm install).');
let bin = electronBinary();
if (!bin) {
  if (process.env.PARLEY_NO_ELECTRON_DOWNLOAD === '1') explainAndExit('download disabled (PARLEY_NO_ELECTRON_DOWNLOAD=1).');
  console.log('Electron binary missing; trying to download it (one time)…');
  const r = spawnSync(process.execPath, [join(electronDir, 'install.js')], { stdio: 'inherit', timeout: DOWNLOAD_TIMEOUT_MS });
  bin = electronBinary();
  if (!bin) explainAndExit(r.error ? `download failed (${r.error.message}).` : `download failed (exit ${r.status ?? r.signal}).`);
}

const b = spawnSync(process.execPath, [join(root, 'app/build.mjs')], { stdio: 'inherit' });
if (b.status !== 0) process.exit(b.status ?? 1);
const child = spawn(bin, [root, ...process.argv.slice(2)], { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
