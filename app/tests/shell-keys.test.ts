// The Electron shell without an OS keyring and as a packaged build (issue 12): it never keeps the key store's key in a
// plain file (no keyring and no PARLEY_PASSPHRASE: a clear message, then exit), and a packaged build has no lab channel.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { bundleShell, type ShellBundle } from './shell-bundle.test-data';
import type { BackendContext } from '../shell';
import { WRAPPER_EXTERNAL } from '../../main/security/key-wrapper';

let mod: ShellBundle;
const savedPass = process.env.PARLEY_PASSPHRASE;
type Handler = (event: unknown, payload: unknown) => Promise<{ ok: boolean; result?: unknown; error?: { code: string; message: string } }>;
const trusted = { senderFrame: { url: 'app://parley/index.html', parent: null } };

before(async () => {
  mod = await bundleShell();
  mod.fake.app.fireReady();
});
after(async () => {
  if (savedPass === undefined) delete process.env.PARLEY_PASSPHRASE;
  else process.env.PARLEY_PASSPHRASE = savedPass;
  await rm(mod.dir, { recursive: true, force: true });
});

/** Runs the shell once; resolves with the context handed to the backend factory, or null when it never was called. */
async function start(): Promise<BackendContext | null> {
  let ctx: BackendContext | null = null;
  const before = mod.fake.calls.length;
  const windows = mod.fake.BrowserWindow.all.length;
  mod.runShell(async (c) => {
    ctx = c;
    return new mod.MemoryBackend({ password: 'pw' });
  });
  // bounded: the shell either creates its window or gives up with an error box
  for (let turn = 0; turn < 200; turn++) {
    const recent = mod.fake.calls.slice(before).map((c) => c.what);
    if (recent.includes('exit') || mod.fake.BrowserWindow.all.length > windows) break;
    await new Promise((r) => setImmediate(r));
  }
  return ctx;
}

test('no keyring and no PARLEY_PASSPHRASE: the shell refuses to start with a message saying what to do', async () => {
  mod.fake.safeStorage.backendName = 'basic_text';
  delete process.env.PARLEY_PASSPHRASE;
  const before = mod.fake.calls.length;
  const ctx = await start();
  assert.equal(ctx, null, 'no backend (and no key file) is made');
  const recent = mod.fake.calls.slice(before);
  const box = recent.find((c) => c.what === 'showErrorBox');
  if (process.platform !== 'linux') return; // basic_text only matters on Linux
  assert.ok(box, 'an error box is shown');
  assert.equal(box.args[0], 'Parley could not start');
  assert.match(String(box.args[1]), /cannot protect your keys: no keyring is running[\s\S]*Start a keyring[\s\S]*PARLEY_PASSPHRASE/);
  assert.deepEqual(recent.find((c) => c.what === 'exit')?.args, [1]);
});

test('no keyring, PARLEY_PASSPHRASE set: the passphrase protects the key store; a keyring is used when there is one', async () => {
  mod.fake.safeStorage.backendName = 'basic_text';
  process.env.PARLEY_PASSPHRASE = 'a long passphrase';
  const ctx = await start();
  if (process.platform === 'linux') assert.deepEqual([ctx?.keyWrapper, ctx?.passphrase], [null, 'a long passphrase']);
  mod.fake.safeStorage.backendName = 'gnome_libsecret';
  const os = await start();
  assert.equal(os?.keyWrapper?.id, WRAPPER_EXTERNAL);
  assert.equal(os?.passphrase, undefined);
});

test('packaged build: account.useLocalLab answers FEATURE_UNAVAILABLE and the capabilities say there is no lab', async () => {
  mod.fake.safeStorage.backendName = 'gnome_libsecret';
  const invoke = (channel: string, payload: unknown) => (mod.fake.ipcMain.handlers.get(channel) as Handler)(trusted, payload);
  await start();
  assert.deepEqual((await invoke('account.capabilities', {})).result, { localLab: true }, 'the in-memory backend has a lab');
  mod.fake.app.isPackaged = true;
  const ctx = await start();
  assert.equal(ctx?.packaged, true);
  const r = await invoke('account.useLocalLab', {});
  assert.equal(r.ok, false);
  assert.equal(r.error?.code, 'FEATURE_UNAVAILABLE');
  assert.deepEqual((await invoke('account.capabilities', {})).result, { localLab: false });
  assert.equal((await invoke('account.get', {})).ok, true, 'the other channels still reach the backend');
  mod.fake.app.isPackaged = false;
});
