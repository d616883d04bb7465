#!/usr/bin/env node
// Enforces the process layers (DEVELOPERS.md): main/ and network/ never import electron; renderer/ never imports node
// built-ins, electron, or main/ code; app/ipc is shared by both sides and so imports neither.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { builtinModules } from 'node:module';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const nodeBuiltins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const importRe = /(?:^|[\s;])(?:import|export)\s[^'"`]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;(])import\s*\(\s*['"]([^'"]+)['"]\s*\)|(?:^|[\s;])import\s+['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)/gm;

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (/\.(ts|tsx|mts|js|mjs)$/.test(name)) yield p;
  }
}

const rules = [
  { dir: 'main', forbid: (spec) => spec === 'electron' || spec.startsWith('electron/') ? 'main/ must not import electron' : null },
  { dir: 'network', forbid: (spec) => spec === 'electron' ? 'network/ must not import electron' : null },
  {
    dir: 'renderer',
    forbid: (spec, file) => {
      if (nodeBuiltins.has(spec)) return 'renderer/ must not import node built-ins';
      if (spec === 'electron' || spec.startsWith('electron/')) return 'renderer/ must not import electron';
      if (spec.startsWith('.')) {
        const target = relative(root, resolve(dirname(file), spec));
        if (!target.startsWith('renderer') && !target.startsWith(join('app', 'ipc'))) return `renderer/ may import only renderer/ and app/ipc/ (got ${target})`;
      }
      return null;
    },
  },
  {
    dir: join('app', 'ipc'),
    forbid: (spec) => (nodeBuiltins.has(spec) || spec === 'electron' ? 'app/ipc/ is shared with the renderer: no node or electron imports' : null),
  },
];

const problems = [];
let files = 0;
for (const rule of rules) {
  let entries;
  try { entries = [...walk(join(root, rule.dir))]; } catch { continue; }
  for (const file of entries) {
    files++;
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(importRe)) {
      const spec = m[1] ?? m[2] ?? m[3] ?? m[4];
      if (spec === undefined) continue;
      const why = rule.forbid(spec, file);
      if (why) problems.push(`${relative(root, file)}: imports '${spec}': ${why}`);
    }
  }
}
if (problems.length) {
  console.error(`layer check failed (${problems.length}):\n` + problems.join('\n'));
  process.exit(1);
}
console.log(`layer check: ${files} files, process layers respected`);
