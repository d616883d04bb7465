#!/usr/bin/env node
// Builds the Electron app into dist/: dist/app/main.js (ESM, node deps external), dist/app/preload.cjs (sandboxed preload
// must be one CommonJS file requiring only 'electron'), and the renderer via scripts/build-renderer.mjs.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const out = join(root, 'dist/app');

if (!existsSync(join(root, 'app/main.ts'))) {
  console.error('app/main.ts is missing (it needs main/ue/ue.ts createUe); cannot build the Electron app.');
  process.exit(1);
}
await build({
  entryPoints: [join(root, 'app/main.ts')],
  outfile: join(out, 'main.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
await build({
  entryPoints: [join(root, 'app/preload.ts')],
  outfile: join(out, 'preload.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['electron'],
  logLevel: 'warning',
});
execFileSync(process.execPath, [join(root, 'scripts/build-renderer.mjs'), '--outdir', join(root, 'dist/renderer')], { stdio: 'inherit' });
console.log(`app built -> ${out}`);
