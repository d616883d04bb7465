// assets/: every icon scripts/build-icons.mjs generates exists with its pixel sizes, is up to date with its SVG source, the
// tray icon is a monochrome template, and electron-builder.yml and the shell point at these files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { inflateSync } from 'node:zlib';
import { iconPath, NOTIFICATION_ICON, TRAY_ICON, WINDOW_ICON } from '../icons';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const read = (f: string) => readFileSync(join(ROOT, f));

interface Plan {
  png: Array<{ file: string; size: number }>;
  ico: Array<{ file: string; sizes: number[] }>;
  icns: { file: string; sizes: number[] };
  tray: Array<{ file: string; size: number }>;
  favicon: { file: string; copyOf: string };
  manifest: string;
}
interface BuildIcons {
  iconPlan(): Plan;
  sourceHashes(): Record<string, string>;
}
const loadPlan = async () => (await import(pathToFileURL(join(ROOT, 'scripts/build-icons.mjs')).href)) as BuildIcons;

/** Width, height and colour type from a PNG's IHDR. */
function pngHeader(buf: Buffer): { width: number; height: number; colorType: number; bitDepth: number; interlace: number } {
  assert.equal(buf.subarray(0, 8).toString('hex'), '89504e470d0a1a0a', 'PNG signature');
  assert.equal(buf.subarray(12, 16).toString('latin1'), 'IHDR');
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20), bitDepth: buf[24]!, colorType: buf[25]!, interlace: buf[28]! };
}

/** RGBA pixels of an 8-bit RGBA, non-interlaced PNG (what rsvg-convert writes). */
function pngPixels(buf: Buffer): Buffer {
  const h = pngHeader(buf);
  assert.deepEqual([h.bitDepth, h.colorType, h.interlace], [8, 6, 0], '8-bit RGBA, not interlaced');
  const idat: Buffer[] = [];
  for (let off = 8; off < buf.length;) {
    const len = buf.readUInt32BE(off);
    if (buf.subarray(off + 4, off + 8).toString('latin1') === 'IDAT') idat.push(buf.subarray(off + 8, off + 8 + len));
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = h.width * 4;
  const out = Buffer.alloc(stride * h.height);
  for (let y = 0; y < h.height; y++) {
    const filter = raw[y * (stride + 1)]!;
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x]!;
      const a = x >= 4 ? out[y * stride + x - 4]! : 0;
      const b = y > 0 ? out[(y - 1) * stride + x]! : 0;
      const c = x >= 4 && y > 0 ? out[(y - 1) * stride + x - 4]! : 0;
      const p = a + b - c;
      const paeth =
        Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const pred = [0, a, b, (a + b) >> 1, paeth][filter];
      assert.ok(pred !== undefined, `PNG filter ${filter}`);
      out[y * stride + x] = (v + pred) & 0xff;
    }
  }
  return out;
}

/** The image sizes an ICO file lists (a width byte of 0 means 256). */
function icoSizes(buf: Buffer): number[] {
  assert.deepEqual([buf.readUInt16LE(0), buf.readUInt16LE(2)], [0, 1], 'ICO header');
  return Array.from({ length: buf.readUInt16LE(4) }, (_, i) => {
    const w = buf[6 + i * 16]!;
    const h = buf[7 + i * 16]!;
    assert.equal(w, h, 'square');
    return w === 0 ? 256 : w;
  });
}

/** ICNS element types, for the sizes they carry. */
const ICNS_TYPES: Record<string, number> = { is32: 16, il32: 32, ih32: 48, it32: 128, ic07: 128, ic08: 256, ic09: 512, ic10: 1024 };
function icnsSizes(buf: Buffer): number[] {
  assert.equal(buf.subarray(0, 4).toString('latin1'), 'icns');
  assert.equal(buf.readUInt32BE(4), buf.length, 'ICNS length');
  const sizes: number[] = [];
  for (let off = 8; off < buf.length; off += buf.readUInt32BE(off + 4)) {
    const size = ICNS_TYPES[buf.subarray(off, off + 4).toString('latin1')];
    if (size) sizes.push(size);
  }
  return sizes.sort((a, b) => a - b);
}

/** `key: value` of a top-level block of electron-builder.yml (`linux:` -> `  icon: x`), or the items of a top-level list. */
function yamlBlock(text: string, block: string): string[] {
  const lines = text.split('\n');
  const start = lines.indexOf(`${block}:`);
  assert.ok(start >= 0, `electron-builder.yml has ${block}:`);
  const body: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (/^\S/.test(l)) break;
    if (/^\s+#/.test(l) || !l.trim()) continue;
    body.push(l.trim());
  }
  return body;
}
const yamlValue = (text: string, block: string, key: string) =>
  yamlBlock(text, block)
    .find((l) => l.startsWith(`${key}:`))
    ?.slice(key.length + 1)
    .trim();

test('every generated PNG, ICO and ICNS exists with its sizes', async () => {
  const plan = (await loadPlan()).iconPlan();
  for (const { file, size } of [...plan.png, ...plan.tray]) {
    const h = pngHeader(read(file));
    assert.deepEqual([h.width, h.height], [size, size], file);
  }
  for (const { file, sizes } of plan.ico) assert.deepEqual(icoSizes(read(file)), sizes, file);
  assert.deepEqual(icnsSizes(read(plan.icns.file)), plan.icns.sizes, plan.icns.file);
  assert.deepEqual(read(plan.favicon.file), read(plan.favicon.copyOf), 'favicon.svg is the 16-pixel-grid mark');
});

test('the rasters are up to date with their SVG sources (else run node scripts/build-icons.mjs)', async () => {
  const { iconPlan, sourceHashes } = await loadPlan();
  const manifest = JSON.parse(read(iconPlan().manifest).toString('utf8')) as { sources: Record<string, string> };
  assert.deepEqual(manifest.sources, sourceHashes());
  for (const f of Object.keys(manifest.sources)) assert.match(read(f).toString('utf8'), /^<svg [^>]*viewBox="0 0 \d+ \d+"/, f);
});

test('the tray icon is a template: black with transparency only, and not empty', async () => {
  for (const { file } of (await loadPlan()).iconPlan().tray) {
    const px = pngPixels(read(file));
    let opaque = 0;
    let clear = 0;
    for (let i = 0; i < px.length; i += 4) {
      if (px[i + 3] === 0) clear++;
      else {
        assert.deepEqual([px[i], px[i + 1], px[i + 2]], [0, 0, 0], `${file}: black where not transparent`);
        opaque++;
      }
    }
    assert.ok(opaque > px.length / 4 / 4 && clear > px.length / 4 / 8, `${file}: a shape, not a block (${opaque} opaque, ${clear} clear)`);
  }
  assert.match(TRAY_ICON, /Template\.png$/, 'macOS treats *Template.png as a template image');
  assert.ok(existsSync(join(ROOT, TRAY_ICON.replace(/\.png$/, '@2x.png'))));
});

test('electron-builder.yml points at the icons, and packs the one the shell reads at run time', async () => {
  const yml = read('electron-builder.yml').toString('utf8');
  assert.equal(yamlValue(yml, 'directories', 'buildResources'), 'assets');
  const linux = yamlValue(yml, 'linux', 'icon')!;
  assert.equal(linux, 'assets/icons');
  for (const { file } of (await loadPlan()).iconPlan().png) assert.ok(file.startsWith(`${linux}/`) && existsSync(join(ROOT, file)), file);
  assert.equal(yamlValue(yml, 'mac', 'icon'), 'assets/icon.icns');
  assert.equal(yamlValue(yml, 'win', 'icon'), 'assets/icon.ico');
  for (const f of ['assets/icon.icns', 'assets/icon.ico']) assert.ok(statSync(join(ROOT, f)).size > 0, f);
  const files = yamlBlock(yml, 'files').map((l) => l.replace(/^- /, '').replace(/^'|'$/g, ''));
  for (const f of [WINDOW_ICON, NOTIFICATION_ICON]) {
    assert.ok(files.includes(f), `${f} is in electron-builder.yml files (build resources are not packed)`);
    assert.equal(pngHeader(read(f)).width, 256);
    assert.equal(iconPath(join(ROOT, 'dist/app'), f), join(ROOT, f), 'resolved from the built bundle in dist/app/');
  }
});
