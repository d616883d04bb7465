#!/usr/bin/env node
// Builds the renderer: esbuild bundle of renderer/index.tsx (browser platform, production, no node polyfills) into
// dist/renderer/{index.html (CSP meta), app.js, styles.css} plus favicon.svg and favicon.ico copied from assets/.
// Usage: node scripts/build-renderer.mjs [--outdir DIR] [--dev]
import { build } from 'esbuild';
import { copyFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const args = process.argv.slice(2);
const outIdx = args.indexOf('--outdir');
const outdir = resolve(outIdx >= 0 ? args[outIdx + 1] : join(root, 'dist/renderer'));
const dev = args.includes('--dev');

/** The CSP comes from app/ipc/csp.ts (one definition for meta tag, web host header and Electron). */
async function loadCsp() {
  const r = await build({
    entryPoints: [join(root, 'app/ipc/csp.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    logLevel: 'silent',
  });
  const mod = await import('data:text/javascript;base64,' + Buffer.from(r.outputFiles[0].text).toString('base64'));
  return mod.cspString();
}

const nodeBuiltins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
/** Fails the build if anything tries to pull a Node built-in into the browser bundle. */
const noNodeBuiltins = {
  name: 'no-node-builtins',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (a) => {
      if (nodeBuiltins.has(a.path))
        return { errors: [{ text: `renderer bundle must not import node built-in '${a.path}' (from ${a.importer})` }] };
      return undefined;
    });
  },
};

const started = performance.now();
const csp = await loadCsp();
await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });
const result = await build({
  entryPoints: { app: join(root, 'renderer/index.tsx'), styles: join(root, 'renderer/styles.css') },
  outdir,
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: ['chrome120'],
  jsx: 'automatic',
  minify: !dev,
  sourcemap: dev ? 'inline' : false,
  legalComments: 'none',
  define: { 'process.env.NODE_ENV': JSON.stringify(dev ? 'development' : 'production') },
  plugins: [noNodeBuiltins],
  metafile: true,
  logLevel: 'warning',
});
const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<title>Parley</title>
<link rel="icon" href="favicon.svg" type="image/svg+xml">
<link rel="icon" href="favicon.ico" sizes="16x16 32x32 48x48">
<link rel="stylesheet" href="styles.css">
<script defer src="app.js"></script>
</head>
<body>
<div id="root"></div>
<noscript>Parley needs JavaScript.</noscript>
</body>
</html>
`;
await writeFile(join(outdir, 'index.html'), html);
// The favicon (served by the web host as /favicon.ico too, and by app:// in Electron); CSP img-src 'self' covers it.
for (const f of ['favicon.svg', 'favicon.ico']) await copyFile(join(root, 'assets', f), join(outdir, f));
const sizes = [];
for (const f of ['index.html', 'app.js', 'styles.css']) sizes.push(`${f} ${((await stat(join(outdir, f))).size / 1024).toFixed(1)} KiB`);
if (!(await readFile(join(outdir, 'app.js'), 'utf8')).length) throw new Error('empty bundle');
console.log(
  `renderer built in ${Math.round(performance.now() - started)} ms -> ${outdir} (${sizes.join(', ')}; ${Object.keys(result.metafile.inputs).length} inputs)`,
);
