#!/usr/bin/env node
// The folder map with line counts, for a revision or two (issue #10's closing note: the tree before the re-layout against
// the tree now). Source files only (.ts .tsx .mts .js .mjs .cjs .css .html); "tests" are *.test.* / *.spec.* /
// *.test-data.ts / testing.ts files, the rest is "code". Reads git objects only: the working tree is not looked at.
//
//   node scripts/tree-report.mjs                      old = c3c152c (parent of the re-layout's first commit 578c851), new = HEAD
//   node scripts/tree-report.mjs --old REV --new REV  any two revisions
//   node scripts/tree-report.mjs --only REV           one revision
//   --under main      only folders below main/;   --depth 2   fold deeper folders into their ancestor (main/features)
import { execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE = /\.(ts|tsx|mts|js|mjs|cjs|css|html)$/;
const TEST = /\.(test|spec)\.[cm]?[jt]sx?$|\.test-data\.ts$|(^|\/)(testing|testkit|testutil)\.ts$/;
export const DEFAULT_OLD = 'c3c152c';

/** [{path, lines}] of the source files of `rev` (empty files count 0 lines and are left out). */
export function sourceLines(rev, cwd = root) {
  const out = execFileSync('git', ['grep', '-I', '-c', '', rev, '--'], { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const body = l.slice(rev.length + 1);
      const i = body.lastIndexOf(':');
      return { path: body.slice(0, i), lines: Number(body.slice(i + 1)) };
    })
    .filter((f) => SOURCE.test(f.path));
}

/** Per folder (its own files, not its subfolders, unless folded by `depth`): files, code lines, test lines; sorted as a tree. */
export function folderMap(files, { under, depth } = {}) {
  const map = new Map();
  for (const f of files) {
    if (under && !f.path.startsWith(`${under.replace(/\/$/, '')}/`)) continue;
    let dir = f.path.includes('/') ? f.path.slice(0, f.path.lastIndexOf('/')) : '.';
    if (depth && dir !== '.') dir = dir.split('/').slice(0, depth).join('/');
    const row = map.get(dir) ?? { dir, files: 0, code: 0, tests: 0 };
    row.files++;
    if (TEST.test(f.path)) row.tests += f.lines;
    else row.code += f.lines;
    map.set(dir, row);
  }
  return [...map.values()].sort((a, b) => (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0));
}

const num = (n) => n.toLocaleString('en-US');

/** The map as text: a total per top-level folder, then one line per folder (indented by depth), then the whole tree. */
export function formatMap(title, rows) {
  const lines = [title, `${'folder'.padEnd(44)} ${'files'.padStart(5)} ${'code'.padStart(7)} ${'tests'.padStart(7)}`];
  const topOf = (dir) => (dir === '.' ? '.' : dir.split('/')[0]);
  const sum = (rs) =>
    rs.reduce((a, r) => ({ files: a.files + r.files, code: a.code + r.code, tests: a.tests + r.tests }), { files: 0, code: 0, tests: 0 });
  let lastTop;
  for (const r of rows) {
    const top = topOf(r.dir);
    if (top !== lastTop && top !== '.') lines.push(row(`${top}/ (with subfolders)`, sum(rows.filter((x) => topOf(x.dir) === top))));
    lastTop = top;
    if (r.dir === '.') lines.push(row('(top level files)', r));
    else lines.push(row(`${'  '.repeat(r.dir.split('/').length)}${r.dir}/`, r));
  }
  lines.push(row('all', sum(rows)));
  return lines.join('\n');
}

function row(label, r) {
  return `${label.padEnd(44)} ${String(r.files).padStart(5)} ${num(r.code).padStart(7)} ${num(r.tests).padStart(7)}`;
}

function describe(rev) {
  return execFileSync('git', ['log', '-1', '--format=%h %cs %s', rev], { cwd: root, encoding: 'utf8' }).trim().slice(0, 100);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const only = opt('--only');
  const revs = only ? [only] : [opt('--old') ?? DEFAULT_OLD, opt('--new') ?? 'HEAD'];
  const fold = { under: opt('--under'), depth: opt('--depth') ? Number(opt('--depth')) : undefined };
  const parts = revs.map((rev, i) => {
    const label = revs.length === 1 ? 'tree' : i === 0 ? 'old' : 'new';
    return formatMap(`${label}: ${describe(rev)}`, folderMap(sourceLines(rev), fold));
  });
  console.log(parts.join('\n\n'));
}
