#!/usr/bin/env node
// Builds the Electron app into dist/: dist/app/main.js (ESM, node deps external), dist/app/preload.cjs (sandboxed preload
// must be one CommonJS file requiring only 'electron'), and the renderer via scripts/build-renderer.mjs.
// The esbuild options are exported so app/tests/bundle.test.ts checks exactly what ships (no lab code in the bundle).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist/app');

/** The update feed and its Ed25519 public key, built into the main bundle (app/shell.ts reads them as process.env
 *  expressions, which esbuild replaces). PARLEY_UPDATE_PUBLIC_KEY is the PEM text or a path to the PEM file. Without
 *  both, the packaged app never updates (docs/app.md "Updates"). */
export function updateDefines(env = process.env) {
  const url = env.PARLEY_UPDATE_URL ?? '';
  let key = env.PARLEY_UPDATE_PUBLIC_KEY ?? '';
  if (key && !key.startsWith('-----BEGIN')) key = readFileSync(key, 'utf8');
  return {
    'process.env.PARLEY_UPDATE_URL': JSON.stringify(url),
    'process.env.PARLEY_UPDATE_PUBLIC_KEY': JSON.stringify(key),
  };
}

/** esbuild options of the Electron main-process bundle. */
export function mainBundleOptions(outdir = out) {
  return {
    define: updateDefines(),
    entryPoints: [join(root, 'app/main.ts')],
    outfile: join(outdir, 'main.js'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  };
}

/** esbuild options of the preload script (one CommonJS file, only 'electron' external). */
export function preloadBundleOptions(outdir = out) {
  return {
    entryPoints: [join(root, 'app/preload.ts')],
    outfile: join(outdir, 'preload.cjs'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['electron'],
    logLevel: 'warning',
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (!existsSync(join(root, 'app/main.ts'))) {
    console.error('app/main.ts is missing (it needs main/ue/ue.ts createUe); cannot build the Electron app.');
    process.exit(1);
  }
  await build(mainBundleOptions());
  await build(preloadBundleOptions());
  execFileSync(process.execPath, [join(root, 'scripts/build-renderer.mjs'), '--outdir', join(root, 'dist/renderer')], { stdio: 'inherit' });
  console.log(`app built -> ${out}`);
}
