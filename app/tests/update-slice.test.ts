// The renderer's update slice and banner text under Node: the web host answers `unsupported` (no banner), the shell's
// `update.changed` events drive the banner (downloading with percent, then ready), "Later" hides it for that version
// only, and a failed install is a notice with its code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from '../../renderer/ipc/client';
import type { RawTransport } from '../../renderer/ipc/ws-transport';
import { bindStore } from '../../renderer/ipc/bind';
import { createAppStore } from '../../renderer/store';
import { updateBannerText } from '../../renderer/slices/update/selectors';
import { MemoryBackend } from '../../main/hosts/web/memory-backend';
import { dispatchInvoke } from '../ipc/dispatch';
import { webShell } from '../../main/hosts/web/server';
import type { UeEvent } from '../ipc/contract';

const settle = () => new Promise<void>((r) => setImmediate(r));

function wired() {
  const backend = new MemoryBackend({ password: 'pw' });
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  const raw: RawTransport = {
    invoke: (channel, payload) => dispatchInvoke(backend, webShell, channel, payload),
    on: (event, cb) => {
      let s = listeners.get(event);
      if (!s) listeners.set(event, (s = new Set()));
      s.add(cb);
      return () => s.delete(cb);
    },
    onStatus: (cb) => {
      cb('open');
      return () => {};
    },
  };
  backend.subscribe((e: UeEvent) => listeners.get(e.event)?.forEach((l) => l(e.payload)));
  const client = createClient(raw, 'web');
  const store = createAppStore(client);
  bindStore(client, store);
  return { backend, store };
}

test('web host: update.get says unsupported, so there is no banner', async () => {
  const { store } = wired();
  await settle();
  await settle();
  assert.equal(store.getState().update.view?.state, 'unsupported');
  assert.equal(updateBannerText(store.getState().update), null);
});

test('update.changed drives the banner: progress, ready, Later hides this version only; install failure is a notice', async () => {
  const { backend, store } = wired();
  await settle();
  backend.hub.emit('update.changed', { state: 'downloading', current: '0.1.0', version: '0.2.0', percent: 12 });
  assert.deepEqual(updateBannerText(store.getState().update), { text: 'Downloading Parley 0.2.0… 12%', ready: false });
  backend.hub.emit('update.changed', { state: 'ready', current: '0.1.0', version: '0.2.0' });
  assert.deepEqual(updateBannerText(store.getState().update), { text: 'Parley 0.2.0 is ready to install.', ready: true });
  await store.getState().installUpdate();
  assert.equal(store.getState().update.installing, false);
  assert.match(store.getState().ui.notices.at(-1)?.text ?? '', /UPDATE_UNSUPPORTED/);
  store.getState().dismissUpdate();
  assert.equal(updateBannerText(store.getState().update), null);
  backend.hub.emit('update.changed', { state: 'ready', current: '0.1.0', version: '0.3.0' });
  assert.equal(updateBannerText(store.getState().update)?.text, 'Parley 0.3.0 is ready to install.', 'a newer version shows again');
  backend.hub.emit('update.changed', { state: 'error', current: '0.1.0', failure: { code: 'UPDATE_SIGNATURE_INVALID', reason: 'x' } });
  assert.equal(updateBannerText(store.getState().update), null, 'a failed check is not a banner');
});
