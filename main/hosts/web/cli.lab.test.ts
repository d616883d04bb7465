// `npm run start:web` as a child process against the lab: URL with token, IPC over the real UE, SIGTERM shutdown.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, stat, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startLab, type Lab } from '../../../network/lab';
import { TOKEN_PROTOCOL_PREFIX, WS_PROTOCOL } from './auth';

let lab: Lab;
let profile: string;
let child: ChildProcess | null = null;

before(async () => {
  lab = await startLab();
  profile = await mkdtemp(join(tmpdir(), 'parley-web-'));
});

after(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await lab?.stop();
  await rm(profile, { recursive: true, force: true });
});

function call(
  ws: WebSocket,
  id: number,
  channel: string,
  payload: unknown,
): Promise<{ ok: boolean; result?: unknown; error?: { code: string } }> {
  return new Promise((resolve) => {
    const on = (data: WebSocket.RawData) => {
      const f = JSON.parse(data.toString()) as { id?: number };
      if (f.id !== id) return;
      ws.off('message', on);
      resolve(f as never);
    };
    ws.on('message', on);
    ws.send(JSON.stringify({ id, channel, payload }));
  });
}

test('starts the UE behind the web host, serves IPC with the printed token, and shuts down cleanly on SIGTERM', async () => {
  child = spawn(process.execPath, ['--import', 'tsx', 'main/hosts/web/cli.ts', '--profile', profile, '--port', '0'], {
    env: { ...process.env, PARLEY_PASSPHRASE: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no URL printed; stderr: ${err}`)), 20_000);
    child!.stdout!.on('data', (d) => {
      out += d;
      const m = /(http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]!);
      }
    });
    child!.once('exit', (c) => reject(new Error(`exited ${c}: ${err}`)));
  });
  assert.match(err, /key file/, 'the weaker key-file protection is announced');
  const u = new URL(url);
  const token = u.hash.replace('#token=', '');
  const ws = new WebSocket(`ws://${u.host}/ipc`, [WS_PROTOCOL, `${TOKEN_PROTOCOL_PREFIX}${token}`], { headers: { Origin: u.origin } });
  await new Promise((res, rej) => ws.once('open', res).once('error', rej));
  assert.deepEqual(await call(ws, 1, 'account.get', {}), { id: 1, ok: true, result: null });
  const r = await call(ws, 2, 'account.configure', {
    aor: lab.aor('alice'),
    password: 'alice-secret',
    proxy: lab.proxy.tls,
    caFile: lab.caFile,
  });
  assert.equal(r.ok, true, JSON.stringify(r));
  const c = await call(ws, 3, 'connection.get', {});
  assert.equal((c.result as { state: string }).state, 'registered');
  const bad = await call(ws, 4, 'messages.send', { conversationId: '42', text: 'x' });
  assert.equal(bad.error?.code, 'CONVERSATION_NOT_FOUND');
  ws.close();
  assert.deepEqual(await lab.registrations(), ['alice@parley.test']);
  const code = await new Promise<number | null>((res) => {
    child!.once('exit', (c) => res(c));
    child!.kill('SIGTERM');
  });
  assert.equal(code, 0);
  assert.deepEqual(await lab.registrations(), [], 'unregistered on shutdown');
  assert.equal((await stat(join(profile, 'keyfile'))).mode & 0o777, 0o600);
});
