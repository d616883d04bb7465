import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import WebSocket from 'ws';
import { startWebHost, type WebHost } from './server';
import { MemoryBackend } from './memory-backend';
import { TOKEN_PROTOCOL_PREFIX, WS_PROTOCOL } from './auth';
import { ParleyError } from '../../base/errors';
import { ERROR_CODES } from '../../base/error-codes';

let host: WebHost;
let backend: MemoryBackend;
let root: string;
const logs: string[] = [];

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'parley-host-'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(root, 'app.js'), 'console.log(1)');
  writeFileSync(join(root, 'favicon.ico'), Buffer.from([0, 0, 1, 0, 0, 0]));
  writeFileSync(join(root, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(root, '.secret.js'), 'nope');
  backend = new MemoryBackend({ password: 'pw' });
  host = await startWebHost({ backend, rootDir: root, log: (l) => logs.push(l) });
});
after(async () => {
  await host.close();
  rmSync(root, { recursive: true, force: true });
});

type Opened = { ws: WebSocket; next: () => Promise<Record<string, unknown>> };

/** Connects; resolves on 'open' or rejects with the HTTP status of a refused upgrade. */
function connect(opts: { token?: string | null; origin?: string | null; host?: string } = {}): Promise<Opened> {
  const protocols = [WS_PROTOCOL];
  const token = opts.token === undefined ? host.token : opts.token;
  if (token !== null) protocols.push(TOKEN_PROTOCOL_PREFIX + token);
  const headers: Record<string, string> = {};
  if (opts.host) headers.host = opts.host;
  const ws = new WebSocket(`ws://127.0.0.1:${host.port}/ipc`, protocols, {
    ...(opts.origin === null ? {} : { origin: opts.origin ?? host.origin }),
    headers,
  });
  const queue: Record<string, unknown>[] = [];
  const waiters: ((v: Record<string, unknown>) => void)[] = [];
  ws.on('message', (d) => {
    const v = JSON.parse(String(d));
    const w = waiters.shift();
    if (w) w(v);
    else queue.push(v);
  });
  const next = () => new Promise<Record<string, unknown>>((res) => (queue.length ? res(queue.shift()!) : waiters.push(res)));
  return new Promise((res, rej) => {
    ws.once('open', () => res({ ws, next }));
    ws.once('unexpected-response', (_req, resp) => rej(Object.assign(new Error('refused'), { status: resp.statusCode })));
    ws.once('error', rej);
  });
}

async function refusedWith(p: Promise<Opened>): Promise<number> {
  try {
    const { ws } = await p;
    ws.close();
    return 101;
  } catch (e) {
    return (e as { status: number }).status;
  }
}

async function rpc(o: Opened, id: number, channel: string, payload: unknown) {
  o.ws.send(JSON.stringify({ id, channel, payload }));
  for (;;) {
    const f = await o.next();
    if (f.id === id) return f;
  }
}

test('a client with the right token and Origin can invoke', async () => {
  const o = await connect();
  assert.equal(o.ws.protocol, WS_PROTOCOL);
  const r = await rpc(o, 1, 'account.get', {});
  assert.deepEqual(r, { id: 1, ok: true, result: null });
  o.ws.close();
});

test('a wrong token, a missing token, a wrong or missing Origin, a wrong Host are refused before upgrade', async () => {
  assert.equal(await refusedWith(connect({ token: 'A'.repeat(43) })), 401);
  assert.equal(await refusedWith(connect({ token: host.token + 'x' })), 401);
  assert.equal(await refusedWith(connect({ token: host.token.slice(0, -1) })), 401);
  assert.equal(await refusedWith(connect({ token: null })), 401);
  assert.equal(await refusedWith(connect({ origin: 'http://evil.example' })), 403);
  assert.equal(await refusedWith(connect({ origin: `http://localhost:${host.port}` })), 403);
  assert.equal(await refusedWith(connect({ origin: null })), 403);
  assert.equal(await refusedWith(connect({ host: `attacker.example:${host.port}` })), 403);
  assert.equal(host.clientCount(), 0);
  assert.ok(logs.some((l) => l.includes('wrong token')));
});

test('invalid payloads, unknown channels and malformed frames get typed errors', async () => {
  const o = await connect();
  const bad = await rpc(o, 2, 'account.configure', { aor: 'not-a-uri', password: 'pw', proxy: 'tls://127.0.0.1:5061', extra: 1 });
  assert.equal(bad.ok, false);
  const err = bad.error as { code: string; message: string };
  assert.equal(err.code, 'IPC_BAD_PAYLOAD');
  assert.match(err.message, /\/aor not a valid SIP URI/);
  assert.match(err.message, /\/extra unknown key/);
  const unk = await rpc(o, 3, 'shell.exec', {});
  assert.equal((unk.error as { code: string }).code, 'IPC_UNKNOWN_CHANNEL');
  const proto = await rpc(o, 4, '__proto__', {});
  assert.equal((proto.error as { code: string }).code, 'IPC_UNKNOWN_CHANNEL');
  o.ws.send(JSON.stringify({ id: 5, channel: 'account.get', payload: {}, sneaky: true }));
  assert.equal(((await o.next()).error as { code: string }).code, 'IPC_BAD_FRAME');
  const closed = new Promise<number>((res) => o.ws.once('close', (code) => res(code)));
  o.ws.send('{not json');
  assert.equal(await closed, 1007);
});

test('backend errors keep their code and send their user text; unexpected ones are hidden; no stack traces', async () => {
  const o = await connect();
  const r = await rpc(o, 1, 'account.configure', { aor: 'sip:alice@parley.test', password: 'wrong', proxy: 'tls://127.0.0.1:5061' });
  assert.deepEqual(r.error, { code: 'SIP_AUTH_FAILED', message: ERROR_CODES.SIP_AUTH_FAILED.userText });
  const orig = backend.search;
  backend.search = async () => {
    throw new TypeError('cannot read x of undefined at /home/user/secret.ts:12');
  };
  const hidden = await rpc(o, 2, 'search', { query: 'x' });
  assert.deepEqual(hidden.error, { code: 'IPC_INTERNAL', message: 'Internal error' });
  assert.doesNotMatch(JSON.stringify(hidden), /secret|stack|TypeError/);
  backend.search = async () => {
    throw new ParleyError('STORE_OPEN_FAILED', 'cannot open history database: SQLITE_BUSY at /home/user/secret.db');
  };
  const typed = await rpc(o, 3, 'search', { query: 'x' });
  assert.deepEqual(typed.error, { code: 'STORE_OPEN_FAILED', message: 'Your message history could not be read.' });
  assert.ok(logs.some((l) => l.includes('ipc search: STORE_OPEN_FAILED: cannot open history database: SQLITE_BUSY')));
  backend.search = orig;
  o.ws.close();
});

test('a backend response that violates the contract (extra field) never leaves the host', async () => {
  const o = await connect();
  const orig = backend.accountGet;
  backend.accountGet = async () =>
    ({ aor: 'sip:a@parley.test', proxy: 'tls://127.0.0.1:5061', localLab: false, password: 'hunter2' }) as never;
  const r = await rpc(o, 1, 'account.get', {});
  backend.accountGet = orig;
  assert.deepEqual(r.error, { code: 'IPC_INTERNAL', message: 'Internal error' });
  assert.doesNotMatch(JSON.stringify(r), /hunter2/);
  assert.ok(logs.some((l) => l.includes('account.get: backend response violates the contract')));
  o.ws.close();
});

test('events are forwarded as {event, payload}; off-contract events are dropped', async () => {
  const o = await connect();
  await rpc(o, 1, 'account.configure', { aor: 'sip:alice@parley.test', password: 'pw', proxy: 'tls://127.0.0.1:5061' });
  const conv = (await rpc(o, 2, 'conversations.open', { peer: 'sip:bob@parley.test' })).result as { id: string };
  backend.hub.emit('typing.changed', { conversationId: conv.id, peer: 'sip:bob@parley.test', active: true, at: 1, key: 'x' } as never);
  backend.typing(conv.id, true);
  for (;;) {
    const f = await o.next();
    if (f.event === 'typing.changed') {
      assert.deepEqual(f.payload, {
        conversationId: conv.id,
        peer: 'sip:bob@parley.test',
        active: true,
        at: (f.payload as { at: number }).at,
      });
      break;
    }
  }
  assert.ok(logs.some((l) => l.includes('typing.changed: payload violates the contract')));
  o.ws.close();
});

test('links.open on the web host: refused for dangerous schemes, delegated otherwise', async () => {
  const o = await connect();
  const js = await rpc(o, 1, 'links.open', { url: 'javascript:alert(1)' });
  assert.equal((js.result as { decision: string }).decision, 'refused');
  const ok = await rpc(o, 2, 'links.open', { url: 'https://example.org/a?b=c' });
  assert.deepEqual(ok.result, { decision: 'delegated', url: 'https://example.org/a?b=c' });
  o.ws.close();
});

function get(
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((res, rej) => {
    const r = request({ host: '127.0.0.1', port: host.port, path, method, headers }, (resp) => {
      let body = '';
      resp.on('data', (d) => (body += d));
      resp.on('end', () => res({ status: resp.statusCode!, headers: resp.headers, body }));
    });
    r.on('error', rej);
    r.end();
  });
}

test('static: serves the renderer with CSP and security headers, nothing outside the root', async () => {
  const index = await get('/');
  assert.equal(index.status, 200);
  assert.match(String(index.headers['content-security-policy']), /default-src 'none'.*frame-ancestors 'none'/);
  assert.equal(index.headers['x-content-type-options'], 'nosniff');
  assert.equal((await get('/app.js')).status, 200);
  const ico = await get('/favicon.ico');
  assert.deepEqual([ico.status, ico.headers['content-type']], [200, 'image/x-icon'], 'browsers ask for /favicon.ico');
  assert.match(String(ico.headers['content-security-policy']), /default-src 'none'/);
  assert.equal((await get('/favicon.svg')).headers['content-type'], 'image/svg+xml');
  for (const p of ['/../package.json', '/%2e%2e/package.json', '/.secret.js', '/..%2f..%2fetc/passwd', '/app.ts', '/%E0%A4%A']) {
    assert.equal((await get(p)).status, 404, p);
  }
  assert.equal((await get('/', {}, 'POST')).status, 405);
  assert.equal((await get('/', { host: `rebind.example:${host.port}` })).status, 421);
});

test('the host listens on 127.0.0.1 only and prints a URL with the token in the fragment', () => {
  assert.match(host.url, new RegExp(`^http://127\\.0\\.0\\.1:${host.port}/#token=[A-Za-z0-9_-]{43}$`));
});
