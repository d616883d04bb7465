// The renderer's WebSocket transport against the real web host (Node's `ws` stands in for the browser WebSocket).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { connectWebSocket, type TransportStatus } from '../../renderer/ipc/ws-transport';
import { startWebHost } from '../../main/hosts/web/server';
import { MemoryBackend } from '../../main/hosts/web/memory-backend';
import { newToken } from '../../main/hosts/web/auth';

/** A browser-like WebSocket class that sends the page's Origin, as Chromium does. */
function browserLike(origin: string): typeof globalThis.WebSocket {
  class BrowserWs extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { origin });
    }
  }
  return BrowserWs as unknown as typeof globalThis.WebSocket;
}

function waitStatus(t: ReturnType<typeof connectWebSocket>, want: TransportStatus): Promise<string | undefined> {
  return new Promise((resolve) => {
    const off = t.onStatus((s, reason) => {
      if (s === want) {
        queueMicrotask(() => off());
        resolve(reason);
      }
    });
  });
}

test('invoke round trip, events, and recovery after the host restarts on the same port', async () => {
  const token = newToken();
  const backend = new MemoryBackend({ password: 'pw' });
  let host = await startWebHost({ backend, token, rootDir: '/nonexistent' });
  const WS = browserLike(host.origin);
  const t = connectWebSocket(`ws://127.0.0.1:${host.port}/ipc`, token, WS);
  // Requests made before the socket opens are queued, not lost.
  const early = t.invoke('account.get', {});
  await waitStatus(t, 'open');
  assert.deepEqual(await early, { ok: true, result: null });

  const events: unknown[] = [];
  t.on('account.changed', (p) => events.push(p));
  const r = await t.invoke('account.configure', { aor: 'sip:a@parley.test', password: 'pw', proxy: 'tcp://127.0.0.1:5060' });
  assert.equal(r.ok, true);
  assert.equal(events.length, 1);

  const port = host.port;
  const lost = waitStatus(t, 'connecting');
  await host.close();
  assert.match((await lost) ?? '', /lost/);
  const reopened = waitStatus(t, 'open');
  host = await startWebHost({ backend, token, port, rootDir: '/nonexistent' });
  await reopened;
  assert.deepEqual(await t.invoke('conversations.list', {}), { ok: true, result: [] });
  t.close();
  assert.deepEqual(await t.invoke('account.get', {}).then((r) => r.ok), false);
  await host.close();
});

test('a wrong token ends in a closed status with a clear reason; no token never connects', async () => {
  const host = await startWebHost({ backend: new MemoryBackend(), rootDir: '/nonexistent' });
  const WS = browserLike(host.origin);
  const bad = connectWebSocket(`ws://127.0.0.1:${host.port}/ipc`, newToken(), WS);
  assert.match((await waitStatus(bad, 'closed')) ?? '', /refused the connection/);
  const none = connectWebSocket(`ws://127.0.0.1:${host.port}/ipc`, null, WS);
  assert.match((await waitStatus(none, 'closed')) ?? '', /No access token/);
  assert.equal(host.stats().accepted, 0);
  bad.close();
  none.close();
  await host.close();
});
