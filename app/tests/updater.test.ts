// Updates against a local feed on 127.0.0.1: the real electron-updater (DebUpdater, the updater a packaged .deb gets)
// with the signed generic feed (app/update-feed.ts) and the shell's controller (app/updater.ts). Only the Electron parts
// are replaced: the app adapter (version, paths) and the HTTP executor (Node http instead of Electron's net).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DebUpdater } from 'electron-updater';
import type { AppAdapter } from 'electron-updater/out/AppAdapter.js';
import type { UpdateView } from '../ipc/contract';
import { UpdateView as UpdateViewSchema } from '../ipc/views';
import { check } from '../ipc/schema';
import { SignedFeedProvider, verifyChannelFile, updateKey } from '../update-feed';
import { startUpdates, updatesOffReason, type Updates } from '../updater';
import { NodeHttpExecutor } from './node-http-executor';
import { isParleyError } from '../../main/base/errors';

const WAIT_MS = 15_000;
let dir: string;
let server: Server;
let feedUrl: string;
const files = new Map<string, Buffer>();
const requests: string[] = [];
const publisher = generateKeyPairSync('ed25519');
const stranger = generateKeyPairSync('ed25519');
const publicPem = publisher.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const CHANNEL = process.arch === 'x64' ? 'latest-linux.yml' : `latest-linux-${process.arch}.yml`;

/** Publishes `version` on the feed the way docs/app.md says: installer, channel file, then its signature. */
function publish(version: string, opts: { key?: KeyObject; tamperInstaller?: boolean; noSignature?: boolean } = {}) {
  files.clear();
  const name = `parley_${version}_amd64.deb`;
  const installer = randomBytes(256 * 1024);
  const sha512 = createHash('sha512').update(installer).digest('base64');
  files.set(name, opts.tamperInstaller ? Buffer.concat([installer.subarray(1), Buffer.from('x')]) : installer);
  const yml = `version: ${version}\nfiles:\n  - url: ${name}\n    sha512: ${sha512}\n    size: ${installer.length}\npath: ${name}\nsha512: ${sha512}\nreleaseDate: '2026-12-01T10:00:00.000Z'\n`;
  files.set(CHANNEL, Buffer.from(yml));
  if (!opts.noSignature)
    files.set(`${CHANNEL}.sig`, Buffer.from(sign(null, Buffer.from(yml), opts.key ?? publisher.privateKey).toString('base64')));
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parley-updater-'));
  server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/parley\//, '');
    requests.push(path);
    const body = files.get(path);
    if (!body) return void res.writeHead(404).end('not found');
    res.writeHead(200, { 'Content-Length': body.length, 'Content-Type': 'application/octet-stream' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  feedUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/parley/`;
  // What electron-builder writes next to the packaged app (resources/app-update.yml).
  await writeFile(join(dir, 'app-update.yml'), `provider: generic\nurl: ${feedUrl}\nupdaterCacheDirName: parley-updater\n`);
});
after(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  await rm(dir, { recursive: true, force: true });
});

function testUpdater(): DebUpdater {
  const app: AppAdapter = {
    version: '0.1.0',
    name: 'Parley',
    isPackaged: true,
    appUpdateConfigPath: join(dir, 'app-update.yml'),
    userDataPath: join(dir, 'user-data'),
    baseCachePath: join(dir, 'cache'),
    whenReady: () => Promise.resolve(),
    relaunch: () => {},
    quit: () => {},
    onQuit: () => {},
  };
  const u = new DebUpdater(null, app);
  (u as unknown as { httpExecutor: NodeHttpExecutor }).httpExecutor = new NodeHttpExecutor();
  return u;
}

/** A controller over a fresh test updater; `views` records every UpdateView emitted (each checked against the schema). */
function controller(settings: Partial<Parameters<typeof startUpdates>[0]['settings']> = {}) {
  const views: UpdateView[] = [];
  let built = 0;
  const updates: Updates = startUpdates({
    settings: { url: feedUrl, publicKey: publicPem, packaged: true, current: '0.1.0', env: {}, ...settings },
    makeUpdater: async () => (built++, testUpdater()),
    loadProvider: async () => SignedFeedProvider,
    emit: (v) => {
      const c = check(UpdateViewSchema, v);
      assert.ok(c.ok, `emitted view matches the contract: ${JSON.stringify(v)}`);
      views.push(v);
    },
    log: () => {},
    firstCheckDelayMs: 60_000,
  });
  return { updates, views, built: () => built };
}

/** Resolves when the controller's view reaches `state` (bounded, with the states seen in the failure). */
async function until(c: ReturnType<typeof controller>, state: UpdateView['state']): Promise<UpdateView> {
  const t0 = Date.now();
  for (;;) {
    if (c.updates.view().state === state) return c.updates.view();
    if (Date.now() - t0 > WAIT_MS) assert.fail(`no '${state}' within ${WAIT_MS} ms; states: ${c.views.map((v) => v.state).join(' -> ')}`);
    await new Promise((r) => setImmediate(r));
  }
}

test('a signed newer version on the local feed is found, downloaded, verified and reported ready', async () => {
  publish('0.2.0');
  requests.length = 0;
  const c = controller();
  await c.updates.check();
  const v = await until(c, 'ready');
  assert.deepEqual({ state: v.state, version: v.version, current: v.current }, { state: 'ready', version: '0.2.0', current: '0.1.0' });
  const states = c.views.map((x) => x.state);
  assert.deepEqual([states[0], states.at(-1)], ['checking', 'ready'], states.join(' -> '));
  assert.ok(states.includes('downloading'));
  assert.ok(
    requests.includes(CHANNEL) && requests.includes(`${CHANNEL}.sig`) && requests.includes('parley_0.2.0_amd64.deb'),
    requests.join(' '),
  );
  c.updates.stop();
});

test('the same version as the running one: up to date (idle), nothing downloaded', async () => {
  publish('0.1.0');
  requests.length = 0;
  const c = controller();
  const v = await c.updates.check();
  assert.equal(v.state, 'idle');
  assert.ok(v.checkedAt! > 0);
  assert.ok(!requests.some((r) => r.endsWith('.deb')), requests.join(' '));
  await assert.rejects(c.updates.install(), (e) => isParleyError(e, 'UPDATE_NOT_READY'));
  c.updates.stop();
});

test('a channel file signed by another key, or not signed, is refused before anything is downloaded', async () => {
  for (const opts of [{ key: stranger.privateKey }, { noSignature: true }]) {
    publish('0.3.0', opts);
    requests.length = 0;
    const c = controller();
    const v = await c.updates.check();
    assert.equal(v.state, 'error', JSON.stringify(v));
    assert.equal(v.failure?.code, 'UPDATE_SIGNATURE_INVALID');
    assert.ok(!requests.some((r) => r.endsWith('.deb')), `no download after a bad signature: ${requests.join(' ')}`);
    assert.ok(!c.views.some((x) => x.state === 'downloading' || x.state === 'ready'));
    c.updates.stop();
  }
});

test('an installer that does not match the signed SHA-512 fails the download (never ready)', async () => {
  publish('0.4.0', { tamperInstaller: true });
  const c = controller();
  await c.updates.check();
  const v = await until(c, 'error');
  assert.equal(v.failure?.code, 'UPDATE_DOWNLOAD_FAILED', JSON.stringify(v));
  assert.equal(v.version, '0.4.0');
  assert.ok(!c.views.some((x) => x.state === 'ready'));
  c.updates.stop();
});

test('off in development, with PARLEY_UPDATES=off, and without a feed or key: no updater, no request', async () => {
  requests.length = 0;
  const cases = [
    [{ packaged: false }, /Development build/],
    [{ env: { PARLEY_UPDATES: 'off' } }, /turned off/],
    [{ url: '' }, /no update feed/],
    [{ publicKey: '' }, /no update feed/],
  ] as const;
  for (const [settings, reason] of cases) {
    const c = controller(settings);
    const v = await c.updates.check();
    assert.equal(v.state, 'disabled');
    assert.match(v.reason ?? '', reason);
    assert.equal(c.built(), 0, 'the updater is never built');
    await assert.rejects(c.updates.install(), (e) => isParleyError(e, 'UPDATE_NOT_READY'));
  }
  assert.deepEqual(requests, []);
  assert.equal(updatesOffReason({ packaged: true, current: '1.0.0', url: feedUrl, publicKey: publicPem }), null);
});

test('signature check: limits and key type', () => {
  const key = updateKey(publicPem);
  const text = 'version: 1.0.0\n';
  const good = sign(null, Buffer.from(text), publisher.privateKey).toString('base64');
  verifyChannelFile(text, `${good}\n`, key);
  const refused = (t: string, s: string | null) =>
    assert.throws(
      () => verifyChannelFile(t, s, key),
      (e) => isParleyError(e, 'UPDATE_SIGNATURE_INVALID'),
    );
  refused(`${text}extra: 1\n`, good);
  refused(text, null);
  refused(text, 'not base64!');
  refused(text, Buffer.alloc(64).toString('base64'));
  refused('x'.repeat(70_000), good);
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
  assert.throws(
    () => updateKey(rsa),
    (e) => isParleyError(e, 'UPDATE_SIGNATURE_INVALID'),
  );
  assert.throws(
    () => updateKey('nonsense'),
    (e) => isParleyError(e, 'UPDATE_SIGNATURE_INVALID'),
  );
});

test('scripts/sign-update.mjs: a new key pair, then a .sig the app verifies with the public half', async () => {
  const { execFileSync } = await import('node:child_process');
  const { readFile } = await import('node:fs/promises');
  const keys = await mkdtemp(join(dir, 'keys-'));
  const script = join(import.meta.dirname, '../../scripts/sign-update.mjs');
  execFileSync(process.execPath, [script, '--new-key', keys]);
  const channel = join(keys, 'latest-linux.yml');
  await writeFile(channel, 'version: 9.9.9\n');
  execFileSync(process.execPath, [script, '--key', join(keys, 'update-key.pem'), channel]);
  const key = updateKey(await readFile(join(keys, 'update-key.pub.pem'), 'utf8'));
  verifyChannelFile(await readFile(channel, 'utf8'), await readFile(`${channel}.sig`, 'utf8'), key);
  assert.throws(() =>
    verifyChannelFile('version: 9.9.9\n', sign(null, Buffer.from('version: 9.9.9\n'), publisher.privateKey).toString('base64'), key),
  );
});
