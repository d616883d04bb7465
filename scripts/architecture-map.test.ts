// docs/architecture.md is the map of the tree: every path it names exists, every folder of main/ is on it, and its
// glossary's words are the ones the code uses (the retired ones appear nowhere in the code). Full paths quoted in the
// other design documents exist too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { walk } = (await import(pathToFileURL(join(root, 'scripts/check-layers.mjs')).href)) as {
  walk(dir: string): Iterable<string>;
};
const read = (f: string) => readFileSync(join(root, f), 'utf8');
const MAP = 'docs/architecture.md';
const TOP = '(?:main|app|network|renderer|bench|scripts|e2e|assets)';

/** A path as written in a document: a file, a folder, or a module named without its extension. */
export function pathExists(p: string, base = root): boolean {
  const clean = p.replace(/[.,:;)]+$/, '');
  return ['', '.ts', '.tsx', '.mjs'].some((ext) => existsSync(join(base, clean + ext)));
}

/** Repository paths in `text`: after a space, quote, backtick or bracket; a path with a placeholder stops before it. */
export function quotedPaths(text: string, onlyBackticked: boolean): string[] {
  const re = onlyBackticked ? new RegExp('`(' + TOP + '/[^`\\s*<]*)', 'g') : new RegExp('(?<![\\w./-])(' + TOP + '/[\\w./-]*)', 'g');
  return [...new Set([...text.matchAll(re)].map((m) => m[1]))];
}

function foldersUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, dir))) {
    const p = `${dir}/${name}`;
    if (statSync(join(root, p)).isDirectory()) out.push(p, ...foldersUnder(p));
  }
  return out;
}

/** Every source file of the product and its tools, as one text per file (comments included: they use the words too). */
function sources(): { file: string; text: string }[] {
  return ['main', 'app', 'renderer', 'network', 'bench', 'scripts', 'e2e'].flatMap((d) =>
    [...walk(join(root, d))].map((f) => ({ file: f.slice(root.length + 1), text: readFileSync(f, 'utf8') })),
  );
}

/** The glossary rows: [word column, retired column]. */
function glossary(doc: string): [string, string][] {
  const section = /## Glossary\n([\s\S]*?)\n## /.exec(doc)?.[1] ?? '';
  return section
    .split('\n')
    .filter((l) => l.startsWith('|') && !/^\|\s*(word|---)/.test(l))
    .map((l) => {
      const cells = l.split(/(?<!\\)\|/).map((c) => c.trim());
      return [cells[1], cells[3]];
    });
}

const ticks = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);

test('every path docs/architecture.md names exists', () => {
  const missing = quotedPaths(read(MAP), false).filter((p) => !pathExists(p));
  assert.deepEqual(missing, []);
});

test('every folder of main/ is on the map', () => {
  const doc = read(MAP);
  const absent = foldersUnder('main').filter((f) => !doc.includes(`${f}/`) && !new RegExp(`${f}(?![\\w/-])`).test(doc));
  assert.deepEqual(absent, []);
});

test('the glossary: its words are in the code, its retired words are not', () => {
  const doc = read(MAP);
  const rows = glossary(doc);
  assert.ok(rows.length >= 10, 'the glossary table was found');
  const code = sources();
  const used = (word: string) => {
    const tail = /[\w$]$/.test(word) ? '(?![\\w$])' : '';
    const re = new RegExp(`(?<![\\w$])${word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}${tail}`);
    return code.filter((s) => re.test(s.text)).map((s) => s.file);
  };
  const identifier = /^[A-Za-z_$][\w$]*$/;
  for (const [word, retired] of rows) {
    for (const w of ticks(word)) {
      if (identifier.test(w)) assert.ok(used(w).length > 0, `glossary word ${w} is not used in the code`);
      else if (new RegExp(`^${TOP}/`).test(w)) assert.ok(pathExists(w), `glossary path ${w} does not exist`);
    }
    // "(now `x`)" names the word that replaced a retired one
    for (const r of ticks(retired.replace(/\(now (?:`[^`]*`|[^)`])*\)/g, ''))) {
      const word = r.replace(/\(\)$/, '(').replace(/\.ts$/, '');
      const where = used(word).filter((f) => f !== 'scripts/architecture-map.test.ts');
      assert.deepEqual(where, [], `retired word ${r} is back`);
    }
  }
});

test('full paths quoted in the other design documents exist', () => {
  const docs = readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md') && `docs/${f}` !== MAP);
  const missing = docs.flatMap((f) =>
    quotedPaths(read(`docs/${f}`), true)
      .filter((p) => !pathExists(p))
      .map((p) => `docs/${f}: ${p}`),
  );
  assert.deepEqual(missing, []);
});

test('the path checks see a wrong path (self-test)', () => {
  assert.deepEqual(quotedPaths('see `main/ue/ue.ts`, main/nowhere/x.ts and `main/features/<name>/`', false), [
    'main/ue/ue.ts',
    'main/nowhere/x.ts',
    'main/features/',
  ]);
  assert.equal(pathExists('main/ue/ue'), true);
  assert.equal(pathExists('main/nowhere/x.ts'), false);
  assert.deepEqual(quotedPaths('`main/ue/ue.ts` and main/base/x.ts', true), ['main/ue/ue.ts']);
});
