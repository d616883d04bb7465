#!/usr/bin/env node
// Generates the raster icons in assets/ from the SVG sources, with Debian tools (npm run setup installs them: scripts/ensure.mjs):
// rsvg-convert (librsvg2-bin) renders PNGs, ImageMagick's convert packs the ICO files, png2icns (icnsutils) the ICNS.
// The outputs are committed, so packaging and tests need none of these tools; app/tests/assets.test.ts checks that every
// file below exists with its sizes and that assets/icons.json still names the sources' hashes (regenerate after an edit).
// Usage: node scripts/build-icons.mjs
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** SVG sources: the mark, the same mark on a 16-pixel grid for small sizes, and the monochrome tray mark. */
export const SOURCES = { large: 'assets/icon.svg', small: 'assets/icon-small.svg', tray: 'assets/tray.svg' };
/** Sizes up to this one are rendered from the 16-pixel-grid source (sharper), larger ones from icon.svg. */
export const SMALL_MAX = 32;
/** The Linux icon set (electron-builder linux.icon: a folder of NxN.png) and the inputs of the ICO and ICNS files. */
export const PNG_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];
/** Windows: the sizes Explorer and the taskbar use; 256 is the largest an ICO holds. */
export const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256];
/** macOS: the sizes png2icns can store (is32, il32, ih32, it32, ic08, ic09, ic10). */
export const ICNS_SIZES = [16, 32, 48, 128, 256, 512, 1024];
export const FAVICON_SIZES = [16, 32, 48];

/** Every generated file, repo-relative, with the pixel sizes it holds. */
export function iconPlan() {
  return {
    png: PNG_SIZES.map((s) => ({ file: `assets/icons/${s}x${s}.png`, size: s })),
    ico: [
      { file: 'assets/icon.ico', sizes: ICO_SIZES },
      { file: 'assets/favicon.ico', sizes: FAVICON_SIZES },
    ],
    icns: { file: 'assets/icon.icns', sizes: ICNS_SIZES },
    tray: [
      { file: 'assets/trayTemplate.png', size: 16 },
      { file: 'assets/trayTemplate@2x.png', size: 32 },
    ],
    favicon: { file: 'assets/favicon.svg', copyOf: SOURCES.small },
    manifest: 'assets/icons.json',
  };
}

/** sha256 of each source, as recorded in assets/icons.json. */
export function sourceHashes() {
  return Object.fromEntries(
    Object.values(SOURCES).map((f) => [
      f,
      createHash('sha256')
        .update(readFileSync(join(root, f)))
        .digest('hex'),
    ]),
  );
}

function run(cmd, args) {
  try {
    execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  } catch (e) {
    if (e.code === 'ENOENT') {
      console.error(`build-icons: ${cmd} is missing; install librsvg2-bin imagemagick icnsutils (npm run setup does)`);
      process.exit(1);
    }
    throw e;
  }
}

const png = (svg, size, out) => run('rsvg-convert', ['--width', String(size), '--height', String(size), '--format', 'png', '-o', out, svg]);

function build() {
  const plan = iconPlan();
  const abs = (f) => join(root, f);
  mkdirSync(abs('assets/icons'), { recursive: true });
  for (const { file, size } of plan.png) png(abs(size <= SMALL_MAX ? SOURCES.small : SOURCES.large), size, abs(file));
  const pngOf = (s) => abs(`assets/icons/${s}x${s}.png`);
  // -define ...exclude-chunks: no time stamps, so a rebuild from unchanged sources gives the same bytes.
  for (const { file, sizes } of plan.ico) run('convert', [...sizes.map(pngOf), '-define', 'png:exclude-chunks=date,time', abs(file)]);
  run('png2icns', [abs(plan.icns.file), ...plan.icns.sizes.map(pngOf)]);
  for (const { file, size } of plan.tray) png(abs(SOURCES.tray), size, abs(file));
  copyFileSync(abs(plan.favicon.copyOf), abs(plan.favicon.file));
  writeFileSync(abs(plan.manifest), JSON.stringify({ generatedBy: 'scripts/build-icons.mjs', sources: sourceHashes() }, null, 2) + '\n');
  console.log(`icons built from ${Object.values(SOURCES).join(', ')}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) build();
