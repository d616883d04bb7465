// scripts/tree-report.mjs: folders with their own files, code and test lines apart, folding by depth, totals per top folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface Row {
  dir: string;
  files: number;
  code: number;
  tests: number;
}
interface TreeReport {
  sourceLines(rev: string): { path: string; lines: number }[];
  folderMap(files: { path: string; lines: number }[], o?: { under?: string; depth?: number }): Row[];
  formatMap(title: string, rows: Row[]): string;
}
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { folderMap, formatMap, sourceLines } = (await import(pathToFileURL(join(ROOT, 'scripts/tree-report.mjs')).href)) as TreeReport;

const files = [
  { path: 'main/ue/ue.ts', lines: 300 },
  { path: 'main/ue/ue.test.ts', lines: 100 },
  { path: 'main/features/page/page.ts', lines: 50 },
  { path: 'main/features/testing.ts', lines: 20 },
  { path: 'network/lab.ts', lines: 10 },
  { path: 'eslint.config.mjs', lines: 5 },
];

test('folderMap: own files per folder, tests apart; depth folds subfolders; under keeps one subtree', () => {
  assert.deepEqual(folderMap(files), [
    { dir: '.', files: 1, code: 5, tests: 0 },
    { dir: 'main/features', files: 1, code: 0, tests: 20 },
    { dir: 'main/features/page', files: 1, code: 50, tests: 0 },
    { dir: 'main/ue', files: 2, code: 300, tests: 100 },
    { dir: 'network', files: 1, code: 10, tests: 0 },
  ]);
  assert.deepEqual(
    folderMap(files, { under: 'main', depth: 2 }).map((r) => [r.dir, r.files, r.code, r.tests]),
    [
      ['main/features', 2, 50, 20],
      ['main/ue', 2, 300, 100],
    ],
  );
});

test('formatMap: a total line per top folder and for the tree', () => {
  const text = formatMap('t', folderMap(files));
  assert.match(text, /^main\/ \(with subfolders\) +4 +350 +120$/m);
  assert.match(text, /^all +6 +365 +120$/m);
});

test('sourceLines reads a revision from git', () => {
  const here = sourceLines('HEAD').find((f) => f.path === 'scripts/check-layers.mjs');
  assert.ok(here && here.lines > 50);
});
