// The preload bridge (a security boundary): bundled with a fake electron, it must expose only two verbs, pass only
// contract channel names to ipcRenderer, and route events by name with working unsubscription.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import type * as FakeElectron from './fake-electron';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let dir: string;
let fake: typeof FakeElectron;
type Bridge = { invoke(c: unknown, p: unknown): Promise<unknown>; on(e: unknown, cb: unknown): () => void };
let bridge: Bridge;

before(async () => {
  await mkdir(join(ROOT, '.parley-test'), { recursive: true });
  dir = await mkdtemp(join(ROOT, '.parley-test', 'preload-'));
  const outfile = join(dir, 'preload-under-test.mjs');
  await build({
    stdin: { contents: `import './app/preload'; export * as fake from './app/tests/fake-electron';`, resolveDir: ROOT, loader: 'ts' },
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    logLevel: 'warning',
    plugins: [
      {
        name: 'fake-electron',
        setup: (b) => b.onResolve({ filter: /^electron$/ }, () => ({ path: join(ROOT, 'app/tests/fake-electron.ts') })),
      },
    ],
  });
  fake = (await import(pathToFileURL(outfile).href)).fake;
  bridge = fake.contextBridge.exposed.get('parley') as Bridge;
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('exposes exactly window.parley with invoke, on and pathForFile (no ipcRenderer, no send)', () => {
  assert.deepEqual([...fake.contextBridge.exposed.keys()], ['parley']);
  assert.deepEqual(Object.keys(bridge).sort(), ['invoke', 'on', 'pathForFile']);
});

test('pathForFile: a dropped file is recorded in main through the preload channel; a made-up File has no path', async () => {
  const before = fake.ipcRenderer.invoked.length;
  const b = bridge as unknown as { pathForFile(f: unknown): Promise<string> };
  assert.equal(await b.pathForFile({}), '');
  assert.equal(fake.ipcRenderer.invoked.length, before, 'nothing sent for a file without a path');
  await b.pathForFile({ path: '/home/u/photo.jpg' });
  assert.deepEqual(fake.ipcRenderer.invoked.at(-1), { channel: 'parley:picked', payload: '/home/u/photo.jpg' });
});

test('invoke forwards contract channels only', async () => {
  const start = fake.ipcRenderer.invoked.length;
  assert.equal(await bridge.invoke('account.get', {}).then((r) => (r as { result: string }).result), 'echo:account.get');
  for (const bad of ['parley:event', 'shell.exec', '__proto__', 'constructor', 42, null]) {
    const r = (await bridge.invoke(bad, {})) as { ok: boolean; error: { code: string } };
    assert.deepEqual([r.ok, r.error.code], [false, 'IPC_UNKNOWN_CHANNEL'], String(bad));
  }
  assert.deepEqual(
    fake.ipcRenderer.invoked.slice(start).map((i) => i.channel),
    ['account.get'],
  );
});

test('on: routes events by name, ignores unknown names and non-functions, unsubscribes', () => {
  const got: unknown[] = [];
  const off = bridge.on('typing.changed', (p: unknown) => got.push(p));
  assert.equal(typeof bridge.on('not.an.event', () => {}), 'function');
  bridge.on('account.changed', 'not a function');
  assert.equal(fake.ipcRenderer.listenerCount('parley:event'), 1);
  fake.ipcRenderer.emit('parley:event', {}, 'typing.changed', { a: 1 });
  fake.ipcRenderer.emit('parley:event', {}, 'account.changed', null);
  assert.deepEqual(got, [{ a: 1 }]);
  off();
  assert.equal(fake.ipcRenderer.listenerCount('parley:event'), 0);
  fake.ipcRenderer.emit('parley:event', {}, 'typing.changed', { a: 2 });
  assert.deepEqual(got, [{ a: 1 }]);
});
