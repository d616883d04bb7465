// The Electron shell's wiring, run under Node with a recording fake of the electron module (bundled in its place):
// hardening hooks, permission denial, IPC sender checks + validation, app:// serving, events, notifications, links.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { bundleShell, ROOT } from './shell-bundle.test-data';
import type * as FakeElectron from './fake-electron';
import type { MemoryBackend as MemoryBackendT } from '../../main/hosts/web/memory-backend';
import type { BackendContext } from '../shell';

let dir: string;
let fake: typeof FakeElectron;
let backend: MemoryBackendT;
let ctx: BackendContext;
let win: FakeElectron.BrowserWindow;
let closed = 0;

type Handler = (event: unknown, payload: unknown) => Promise<{ ok: boolean; result?: unknown; error?: { code: string } }>;
const trusted = { senderFrame: { url: 'app://parley/index.html', parent: null } };
const invoke = (channel: string, payload: unknown, event: unknown = trusted) =>
  (fake.ipcMain.handlers.get(channel) as Handler)(event, payload);

before(async () => {
  const mod = await bundleShell();
  dir = mod.dir;
  execFileSync(process.execPath, [join(ROOT, 'scripts/build-renderer.mjs'), '--outdir', join(dir, 'renderer')]);
  fake = mod.fake;
  backend = new mod.MemoryBackend({ password: 'pw' });
  backend.close = async () => void closed++;
  const windowCreated = new Promise((r) => fake.app.once('web-contents-created', r));
  process.env.PARLEY_PASSPHRASE = 'shell test passphrase'; // no keyring in the fake (basic_text): the shell needs one
  mod.runShell(async (c: BackendContext) => {
    ctx = c;
    return backend;
  });
  assert.deepEqual(fake.calls.find((c) => c.what === 'registerSchemesAsPrivileged')?.args, [false], 'schemes registered before ready');
  fake.app.fireReady();
  await windowCreated;
  win = fake.BrowserWindow.all[0]!;
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('lifecycle: single-instance lock, sandbox for all, protocol clients, window on app://', () => {
  const what = fake.calls.map((c) => c.what);
  assert.ok(what.includes('requestSingleInstanceLock'));
  assert.ok(what.includes('enableSandbox'));
  assert.deepEqual(
    fake.calls.filter((c) => c.what === 'setAsDefaultProtocolClient').map((c) => c.args[0]),
    ['sip', 'sips', 'im'],
  );
  assert.deepEqual(fake.protocol.privileged, [
    { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: false, corsEnabled: false } },
  ]);
  assert.equal(win.loaded, 'app://parley/index.html');
  const wp = win.options.webPreferences as Record<string, unknown>;
  assert.equal(wp.sandbox, true);
  assert.equal(wp.contextIsolation, true);
  assert.equal(wp.nodeIntegration, false);
  assert.equal(wp.webviewTag, false);
  assert.equal(wp.webSecurity, true);
  assert.match(String(wp.preload), /preload\.cjs$/);
  assert.match(String(win.options.icon), /\/assets\/icons\/256x256\.png$/, 'window icon (Linux, Windows)');
  if (process.platform === 'linux') {
    assert.equal(ctx.keyWrapper, null, 'basic_text safeStorage is not used on Linux');
    assert.equal(ctx.passphrase, 'shell test passphrase', 'PARLEY_PASSPHRASE instead, never a key file');
  }
  assert.equal(ctx.packaged, false);
});

test('hardening: navigation, redirects, popups, webviews, permissions are all denied', () => {
  const c = win.webContents;
  for (const ev of ['will-navigate', 'will-redirect', 'will-attach-webview']) {
    let prevented = false;
    c.emit(ev, { preventDefault: () => (prevented = true) }, 'https://evil.example/');
    assert.equal(prevented, true, ev);
  }
  assert.deepEqual(c.windowOpenHandler!({ url: 'https://evil.example/' }), { action: 'deny' });
  const ses = fake.session.defaultSession;
  let granted: boolean | null = null;
  ses.request!({}, 'media', (ok) => (granted = ok));
  assert.equal(granted, false);
  assert.equal(ses.check!({}, 'notifications'), false);
  assert.equal(ses.device!({}), false);
});

test('IPC: every contract channel registered; untrusted senders refused; payloads validated; results checked', async () => {
  assert.ok(fake.ipcMain.handlers.size >= 19);
  for (const senderFrame of [null, { url: 'https://evil.example/', parent: null }, { url: 'app://parley/index.html', parent: {} }]) {
    const r = await invoke('account.get', {}, { senderFrame });
    assert.deepEqual(r, { ok: false, error: { code: 'IPC_FORBIDDEN', message: 'sender not allowed' } });
  }
  const bad = await invoke('account.configure', { aor: 'x', password: 'pw', proxy: 'tls://127.0.0.1:5061' });
  assert.equal(bad.error?.code, 'IPC_BAD_PAYLOAD');
  const ok = await invoke('account.configure', { aor: 'sip:alice@parley.test', password: 'pw', proxy: 'tls://127.0.0.1:5061' });
  assert.equal(ok.ok, true);
});

test('events reach the window; incoming messages notify (escaped) when unfocused', async () => {
  const conv = (await invoke('conversations.open', { peer: 'sip:bob@parley.test' })).result as { id: string };
  win.focused = false;
  backend.receive(conv.id, 'hi <b>there</b>');
  const ev = win.webContents.sent.find((a) => a[0] === 'parley:event' && a[1] === 'message.upserted');
  assert.ok(ev, 'message.upserted forwarded');
  const n = fake.Notification.shown.at(-1)!;
  assert.equal(n.options.body, 'hi &lt;b&gt;there&lt;/b&gt;');
  assert.match(String(n.options.icon), /\/assets\/icons\/256x256\.png$/, 'notification icon (Linux, Windows)');
  const shown = fake.Notification.shown.length;
  const m = [...backend.messages.get(conv.id)!].at(-1)!;
  backend.hub.emit('message.upserted', m);
  assert.equal(fake.Notification.shown.length, shown, 'the same message never notifies twice');
  const focus = new Promise<unknown[]>((r) => win.webContents.on('test:sent', (a: unknown[]) => a[1] === 'conversation.focus' && r(a)));
  n.emit('click');
  assert.deepEqual((await focus)[2], { conversationId: conv.id });
  win.focused = true;
  const count = fake.Notification.shown.length;
  backend.receive(conv.id, 'while focused');
  assert.equal(fake.Notification.shown.length, count, 'no notification while focused');
});

test('sip:/im: links from a second instance open the conversation (and nothing else)', async () => {
  fake.dialog.nextResponse = 0; // the user confirms the question (next test: cancelled)
  const focus = new Promise<unknown[]>((r) => win.webContents.on('test:sent', (a: unknown[]) => a[1] === 'conversation.focus' && r(a)));
  fake.app.emit('second-instance', {}, ['/opt/parley', 'im:dave@parley.test?body=pwned']);
  const payload = (await focus)[2] as { conversationId: string };
  const c = backend.conversations.get(payload.conversationId)!;
  assert.equal(c.peer, 'sip:dave@parley.test');
  assert.equal([...backend.messages.get(c.id)!].length, 0, 'a link never sends');
});

test('a sip: link asks before it opens a conversation; cancelled, nothing is opened (issue 12)', async () => {
  const asked = () => fake.calls.filter((c) => c.what === 'showMessageBox');
  const n = asked().length;
  const before = backend.conversations.size;
  fake.dialog.nextResponse = 1;
  fake.app.emit('second-instance', {}, ['/opt/parley', 'sip:erin@parley.test']);
  for (let turn = 0; turn < 100 && asked().length === n; turn++) await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  const q = asked().at(-1)!.args.at(-1) as { message: string; detail: string };
  assert.match(q.message, /Open a conversation/);
  assert.match(q.detail, /sip:erin@parley\.test/);
  assert.equal(backend.conversations.size, before, 'no conversation opened');
});

test('links.open: a mailto: link loses its query (?attach=, ?body=) before it reaches the dialog', async () => {
  fake.dialog.nextResponse = 1;
  const r = (await invoke('links.open', { url: 'mailto:bob@example.org?attach=/etc/passwd&body=hi' })).result as { url: string };
  assert.equal(r.url, 'mailto:bob@example.org');
  const q = fake.calls
    .filter((c) => c.what === 'showMessageBox')
    .at(-1)!
    .args.at(-1) as { detail: string };
  assert.equal(q.detail, 'mailto:bob@example.org');
});

test('links.open: refused schemes never reach the dialog; confirm opens, cancel does not', async () => {
  const dialogs = () => fake.calls.filter((c) => c.what === 'showMessageBox').length;
  const opened = () => fake.calls.filter((c) => c.what === 'openExternal').map((c) => c.args[0]);
  const d0 = dialogs();
  assert.equal(((await invoke('links.open', { url: 'file:///etc/passwd' })).result as { decision: string }).decision, 'refused');
  assert.equal(dialogs(), d0);
  fake.dialog.nextResponse = 1;
  assert.equal(((await invoke('links.open', { url: 'https://example.org/' })).result as { decision: string }).decision, 'cancelled');
  assert.deepEqual(opened(), []);
  fake.dialog.nextResponse = 0;
  assert.equal(((await invoke('links.open', { url: 'https://example.org/' })).result as { decision: string }).decision, 'opened');
  assert.deepEqual(opened(), ['https://example.org/']);
});

test('app:// serves the renderer with the CSP header and nothing else', async () => {
  const h = fake.protocol.handlers.get('app')!;
  const r = await h({ url: 'app://parley/index.html' });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  assert.match(await r.text(), /http-equiv="Content-Security-Policy"/);
  assert.equal((await h({ url: 'app://parley/app.js' })).headers.get('content-type'), 'text/javascript');
  assert.equal((await h({ url: 'app://parley/favicon.svg' })).headers.get('content-type'), 'image/svg+xml');
  assert.equal((await h({ url: 'app://parley/favicon.ico' })).headers.get('content-type'), 'image/x-icon');
  for (const url of [
    'app://parley/../../etc/passwd',
    'app://parley/%2e%2e/app/shell-under-test.mjs',
    'app://other/index.html',
    'app://parley/.hidden.js',
  ]) {
    assert.equal((await h({ url })).status, 404, url);
  }
});

test('updates: a development run reports them off over update.get/update.check; install is refused', async () => {
  const get = await invoke('update.get', {});
  assert.deepEqual(get, { ok: true, result: { state: 'disabled', current: '0.1.0', reason: 'Development build: updates are off.' } });
  assert.deepEqual(await invoke('update.check', {}), get);
  const inst = await invoke('update.install', {});
  assert.equal(inst.ok, false);
  assert.equal(inst.error?.code, 'UPDATE_NOT_READY');
});

test('quit closes the backend once before exiting', async () => {
  let prevented = false;
  fake.app.emit('before-quit', { preventDefault: () => (prevented = true) });
  assert.equal(prevented, true);
  await new Promise<void>((r) => setImmediate(r));
  assert.equal(closed, 1);
  fake.app.emit('before-quit', { preventDefault: () => assert.fail('second quit must proceed') });
  assert.ok(fake.calls.some((c) => c.what === 'quit'));
});

test('files.pick: the native dialog records the pick; a drop is recorded through the preload channel only (issue 12)', async () => {
  fake.dialog.nextOpen = { canceled: true, filePaths: [] };
  assert.deepEqual((await invoke('files.pick', {})).result, { path: null });
  fake.dialog.nextOpen = { canceled: false, filePaths: ['/home/u/report.pdf'] };
  assert.deepEqual((await invoke('files.pick', {})).result, { path: '/home/u/report.pdf' });
  assert.equal(ctx.picked.assertPickedFile('/home/u/report.pdf'), '/home/u/report.pdf');
  assert.throws(() => ctx.picked.assertPickedFile('/home/u/.ssh/id_ed25519'), { code: 'FILE_NOT_PICKED' });
  const dropped = fake.ipcMain.handlers.get('parley:picked')!;
  assert.equal(await dropped({ senderFrame: { url: 'https://evil.example/', parent: null } }, '/etc/shadow'), null);
  assert.throws(() => ctx.picked.assertPickedFile('/etc/shadow'), { code: 'FILE_NOT_PICKED' });
  assert.equal(await dropped(trusted, '/home/u/photo.jpg'), '/home/u/photo.jpg');
  assert.equal(ctx.picked.assertPickedFile('/home/u/photo.jpg'), '/home/u/photo.jpg');
  assert.equal(await dropped(trusted, '\\\\server\\share\\x'), null, 'UNC never recorded');
});
