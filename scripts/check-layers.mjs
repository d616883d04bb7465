#!/usr/bin/env node
// The layer check (docs/architecture.md "Layers"), run first by `npm test`:
//  - process layers: main/ and network/ never import electron; renderer/ imports only renderer/ and app/ipc/ (no Node
//    built-ins); app/ipc/ is shared with the renderer and imports neither Node nor electron nor main/;
//  - the layers of main/, each a folder: a file may import only from its own layer and the layers listed below it;
//  - a feature (main/features/<name>/) never imports another feature; hosts and network code stay out of the UE;
//  - no import circles anywhere (type-only imports count too).
// Exported for the tests (scripts/check-layers.test.ts); run as a script it prints the problems and exits 1.
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join, relative, resolve, dirname, sep } from 'node:path';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';

const defaultRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const nodeBuiltins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const importRe =
  /(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;(=])import\s*\(\s*['"]([^'"]+)['"]\s*\)|(?:^|[\s;])import\s+['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)|new URL\(\s*['"](\.[^'"]+)['"]\s*,\s*import\.meta\.url/gm;

/** The layers of main/, lowest first, and what each may import besides itself (docs/architecture.md). */
export const MAIN_LAYERS = {
  base: [],
  protocol: ['base'],
  security: ['base', 'protocol'],
  store: ['base', 'protocol', 'security'],
  net: ['base', 'protocol'],
  media: ['base', 'protocol', 'security', 'net'],
  features: ['base', 'protocol', 'security', 'store', 'net', 'media', 'app/ipc'],
  ue: ['base', 'protocol', 'security', 'store', 'net', 'media', 'features', 'app/ipc'],
  hosts: ['base', 'protocol', 'security', 'store', 'net', 'media', 'features', 'ue', 'app/ipc', 'network'],
};

/** Test support may reach the lab (network/) and other test support; production code never does. */
export const isTestFile = (f) => /\.(test|spec)\.tsx?$|\.test-data\.ts$|(^|\/)(testing|testkit|testutil)\.ts$|^e2e\//.test(f);

/** Every source file under dir (ts, tsx, mts, js, mjs), skipping node_modules, dist and dot-folders; also used by test.mjs. */
export function* walk(dir) {
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (name === 'node_modules' || name.startsWith('.') || name === 'dist') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (/\.(ts|tsx|mts|js|mjs)$/.test(name)) yield p;
  }
}

const posix = (p) => p.split(sep).join('/');

/** Reads every source file and its imports: [{file, imports: [{spec, target|null}]}] with repo-relative posix paths. */
export function readGraph(root = defaultRoot, dirs = ['app', 'main', 'renderer', 'network', 'e2e', 'bench', 'scripts', 'bin']) {
  const files = dirs.flatMap((d) => [...walk(join(root, d))]).map((f) => posix(relative(root, f)));
  const set = new Set(files);
  const resolveSpec = (from, spec) => {
    if (!spec.startsWith('.')) return null;
    const base = posix(relative(root, resolve(root, dirname(from), spec)));
    for (const ext of ['', '.ts', '.tsx', '.mjs', '.js', '/index.ts', '/index.tsx']) if (set.has(base + ext)) return base + ext;
    return existsSync(join(root, base)) ? base : null;
  };
  return files.map((file) => {
    const src = readFileSync(join(root, file), 'utf8').replace(/^\s*\/\/.*$/gm, '');
    const imports = [];
    for (const m of src.matchAll(importRe)) {
      const spec = m[1] ?? m[2] ?? m[3] ?? m[4] ?? m[5];
      if (spec !== undefined) imports.push({ spec, target: resolveSpec(file, spec) });
    }
    return { file, imports };
  });
}

/** 'main/<layer>' for files in main/, else the top folder ('app/ipc' counts as its own). */
export function layerOf(path) {
  if (path.startsWith('app/ipc/')) return 'app/ipc';
  const parts = path.split('/');
  if (parts[0] === 'main' && parts.length > 2) return parts[1];
  return parts[0];
}

function featureOf(path) {
  const m = /^main\/features\/([^/]+)\//.exec(path);
  return m ? m[1] : null;
}

/** Every rule broken by one import, as a sentence (or null). */
export function checkImport(file, spec, target) {
  const electron = spec === 'electron' || spec.startsWith('electron/');
  const top = file.split('/')[0];
  if ((top === 'main' || top === 'network') && electron) return `${top}/ must not import electron`;
  if (top === 'renderer') {
    if (nodeBuiltins.has(spec)) return 'renderer/ must not import node built-ins';
    if (electron) return 'renderer/ must not import electron';
    if (target && !target.startsWith('renderer/') && !target.startsWith('app/ipc/'))
      return `renderer/ may import only renderer/ and app/ipc/ (got ${target})`;
    return null;
  }
  if (file.startsWith('app/ipc/')) {
    if (nodeBuiltins.has(spec) || electron) return 'app/ipc/ is shared with the renderer: no node or electron imports';
    if (target && !target.startsWith('app/ipc/')) return `app/ipc/ imports only app/ipc/ (got ${target})`;
    return null;
  }
  if (!target) return null;
  const test = isTestFile(file);
  const to = layerOf(target);
  if (top === 'app') {
    if (
      target.startsWith('network/') ||
      target.startsWith('main/hosts/web/') ||
      target.startsWith('main/hosts/cli/') ||
      target === 'main/hosts/lab.ts'
    ) {
      if (!test) return `the desktop app must not import lab, web-host or CLI code (got ${target})`;
    }
    return null;
  }
  if (top === 'network' && !test) {
    if (target.startsWith('main/') && !['base', 'protocol', 'net'].includes(to))
      return `network/ may import only main/base, main/protocol and main/net (got ${target})`;
    return null;
  }
  if (top !== 'main') return null;
  const from = layerOf(file);
  const allowed = MAIN_LAYERS[from];
  if (!allowed) return `main/${from} is not a known layer (add it to MAIN_LAYERS and docs/architecture.md)`;
  if (target.startsWith('network/'))
    return test || from === 'hosts' ? null : `main/${from} must not import network/ (the lab): only tests and hosts may`;
  if (test && isTestFile(target)) return null;
  if (to === from) {
    const a = featureOf(file);
    const b = featureOf(target);
    if (a && b && a !== b) return `feature ${a} must not import feature ${b} (${target}): share through a lower layer`;
    return null;
  }
  const toKey = target.startsWith('main/') ? to : target.startsWith('app/ipc/') ? 'app/ipc' : null;
  if (toKey === null) return `main/ must not import ${target}`;
  if (!allowed.includes(toKey)) return `main/${from} must not import main/${to} (${target}): ${from} sits below it`;
  return null;
}

/** Strongly connected components with more than one file (or a self-import): the import circles. */
export function findCycles(graph) {
  const adj = new Map(graph.map((g) => [g.file, g.imports.map((i) => i.target).filter((t) => t && t !== g.file)]));
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const onStack = new Set();
  const stack = [];
  const out = [];
  const strong = (v) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of adj.get(v) ?? []) {
      if (!adj.has(w)) continue;
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const comp = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) out.push(comp.sort());
    }
  };
  for (const v of adj.keys()) if (!idx.has(v)) strong(v);
  return out;
}

export function checkTree(root = defaultRoot) {
  const graph = readGraph(root);
  const problems = [];
  for (const { file, imports } of graph) {
    for (const { spec, target } of imports) {
      const why = checkImport(file, spec, target);
      if (why) problems.push(`${file}: imports '${spec}': ${why}`);
    }
  }
  for (const c of findCycles(graph)) problems.push(`import circle: ${c.join(' -> ')}`);
  return { files: graph.length, problems };
}

/**
 * Known problems being worked off (scripts/layer-debt.json, one line each as printed). The check fails on any problem not
 * listed and on any listed line that no longer occurs, so the list can only shrink.
 */
export function readDebt(root = defaultRoot) {
  const file = join(root, 'scripts', 'layer-debt.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : [];
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { files, problems } = checkTree();
  const debt = new Set(readDebt());
  const fresh = problems.filter((p) => !debt.has(p));
  const stale = [...debt].filter((d) => !problems.includes(d));
  if (fresh.length || stale.length) {
    if (fresh.length) console.error(`layer check failed (${fresh.length}):\n` + fresh.join('\n'));
    if (stale.length) console.error(`layer check: fixed, remove from scripts/layer-debt.json:\n` + stale.join('\n'));
    process.exit(1);
  }
  const owed = debt.size ? ` (${debt.size} known problems listed in scripts/layer-debt.json)` : '';
  console.log(`layer check: ${files} files, layers respected, no import circles${owed}`);
}
