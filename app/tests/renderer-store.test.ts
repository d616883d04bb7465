// Renderer logic under Node (the renderer/ layer may not import node:test, so its tests live here): the typed client's
// validation, the store's actions against a MemoryBackend through the real dispatcher, pure helpers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectDefault, createClient, takeToken, type ParleyBridge } from '../../renderer/ipc/client';
import type { RawTransport } from '../../renderer/ipc/ws-transport';
import { bindStore } from '../../renderer/ipc/bind';
import { createAppStore } from '../../renderer/store';
import { mergeMessages, emptyConversation, PAGE_SIZE } from '../../renderer/slices/messages/slice';
import { TYPING_REFRESH_MS } from '../../renderer/slices/typing/slice';
import { groupDigits } from '../../renderer/slices/security/slice';
import { sortedConversations, unreadTotal } from '../../renderer/slices/conversations/selectors';
import { validateAccountForm, EMPTY_FORM } from '../../renderer/slices/account/form';
import { firstBelow } from '../../renderer/components/VirtualList';
import { splitLinks } from '../ipc/links';
import { MemoryBackend } from '../../main/hosts/web/memory-backend';
import { dispatchInvoke } from '../ipc/dispatch';
import { webShell } from '../../main/hosts/web/server';
import type { MessageView, UeEvent } from '../ipc/contract';

function loopback(backend: MemoryBackend) {
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  const sent: { channel: string; payload: unknown }[] = [];
  const raw: RawTransport = {
    invoke: (channel, payload) => {
      sent.push({ channel, payload });
      return dispatchInvoke(backend, webShell, channel, payload);
    },
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
  const emitRaw = (event: string, payload: unknown) => listeners.get(event)?.forEach((l) => l(payload));
  return { raw, sent, emitRaw };
}

const settle = () => new Promise<void>((r) => setImmediate(r));

async function signedIn(backend = new MemoryBackend({ password: 'pw' })) {
  const lb = loopback(backend);
  const client = createClient(lb.raw, 'web');
  const store = createAppStore(client);
  bindStore(client, store);
  await settle();
  assert.equal(
    await store.getState().configure({ ...EMPTY_FORM, aor: ' sip:alice@parley.test ', password: 'pw', proxy: 'tls://127.0.0.1:5061' }),
    true,
  );
  return { backend, store, client, ...lb };
}

test('client: validates requests before sending and responses after', async () => {
  const backend = new MemoryBackend();
  const lb = loopback(backend);
  const client = createClient(lb.raw, 'web');
  await assert.rejects(client.invoke('messages.page', { conversationId: 'c1', limit: 999 }), { code: 'IPC_BAD_PAYLOAD' });
  assert.equal(lb.sent.length, 0);
  backend.accountGet = async () => ({ aor: 'sip:a@b.test', proxy: 'tls://h:1', localLab: false, extra: 1 }) as never;
  // The dispatcher already refuses it; a raw transport that lets it through is caught by the client too.
  await assert.rejects(client.invoke('account.get', {}), { code: 'IPC_INTERNAL' });
  const lying = createClient({ ...lb.raw, invoke: async () => ({ ok: true, result: { aor: 'x' } }) }, 'web');
  await assert.rejects(lying.invoke('account.get', {}), { code: 'IPC_BAD_FRAME' });
});

test('client: off-contract events are dropped, valid ones delivered', async () => {
  const lb = loopback(new MemoryBackend());
  const client = createClient(lb.raw, 'web');
  const got: unknown[] = [];
  client.on('typing.changed', (p) => got.push(p));
  lb.emitRaw('typing.changed', { conversationId: 'c1', peer: 'not a uri', active: true, at: 1 });
  lb.emitRaw('typing.changed', { conversationId: 'c1', peer: 'sip:b@x.test', active: true, at: 1 });
  assert.deepEqual(got, [{ conversationId: 'c1', peer: 'sip:b@x.test', active: true, at: 1 }]);
});

test('account form: field errors without any IPC; valid input signs in and follows events', async () => {
  const backend = new MemoryBackend({ password: 'pw' });
  const lb = loopback(backend);
  const store = createAppStore(createClient(lb.raw, 'web'));
  bindStore(createClient(lb.raw, 'web'), store);
  await settle();
  const before = lb.sent.filter((s) => s.channel === 'account.configure').length;
  assert.equal(await store.getState().configure({ ...EMPTY_FORM, aor: 'alice', proxy: 'ftp://x' }), false);
  const fe = store.getState().account.fieldErrors;
  assert.deepEqual(Object.keys(fe).sort(), ['aor', 'password', 'proxy']);
  assert.equal(lb.sent.filter((s) => s.channel === 'account.configure').length, before);
  assert.equal(
    await store.getState().configure({ ...EMPTY_FORM, aor: 'sip:alice@parley.test', password: 'bad', proxy: 'tcp://127.0.0.1:5060' }),
    false,
  );
  assert.match(store.getState().account.error ?? '', /SIP_AUTH_FAILED/);
  assert.equal(store.getState().connection.state, 'error');
  assert.equal(
    await store.getState().configure({ ...EMPTY_FORM, aor: 'sip:alice@parley.test', password: 'pw', proxy: 'tcp://127.0.0.1:5060' }),
    true,
  );
  assert.equal(store.getState().account.view?.aor, 'sip:alice@parley.test');
  assert.equal(store.getState().connection.state, 'registered');
  await store.getState().signOut();
  assert.equal(store.getState().account.view, null);
  await store.getState().signInLocalLab();
  assert.equal(store.getState().account.view?.localLab, true);
  assert.equal(store.getState().connection.state, 'registered');
});

test('validateAccountForm trims and drops empty optional fields', () => {
  const r = validateAccountForm({
    aor: ' sip:a@b.test ',
    password: 'p',
    proxy: ' sip:127.0.0.1;transport=tls ',
    caFile: '  ',
    displayName: '',
  });
  assert.deepEqual(r, { ok: true, request: { aor: 'sip:a@b.test', password: 'p', proxy: 'sip:127.0.0.1;transport=tls' } });
});

test('history pages: newest first, older on demand, complete at the start', async () => {
  const backend = new MemoryBackend({ password: 'pw' });
  const c = await backend.conversationsOpen({ peer: 'sip:bob@parley.test' });
  for (let i = 0; i < 120; i++) backend.receive(c.id, `m${i}`);
  const { store } = await signedIn(backend);
  const page = () => store.getState().messages.byConv[c.id]!;
  await store.getState().select(c.id);
  assert.equal(page().order.length, PAGE_SIZE);
  assert.equal(page().byId[page().order.at(-1)!]!.text, 'm119');
  await store.getState().loadOlder(c.id);
  await store.getState().loadOlder(c.id);
  assert.equal(page().order.length, 120);
  assert.equal(page().complete, true);
  assert.equal(page().byId[page().order[0]!]!.text, 'm0');
  assert.equal(store.getState().conversations.byId[c.id]!.unread, 0, 'selecting marks read');
});

test('send: state updates arrive as events; key change blocks with a typed error; accept unblocks', async () => {
  const { backend, store } = await signedIn();
  await store.getState().openPeer('sip:bob@parley.test');
  const id = store.getState().conversations.selectedId!;
  assert.equal(await store.getState().send(id, 'hello'), true);
  await settle();
  const cm = store.getState().messages.byConv[id]!;
  assert.equal(cm.byId[cm.order.at(-1)!]!.state, 'delivered');
  backend.changePeerKey(id);
  assert.equal(store.getState().security.byConv[id]!.sendBlocked, true);
  assert.equal(await store.getState().send(id, 'again'), false);
  assert.match(store.getState().messages.sendError[id] ?? '', /PEER_KEY_CHANGED/);
  await store.getState().acceptKeyChange(id);
  assert.equal(store.getState().security.byConv[id]!.sendBlocked, false);
  assert.equal(await store.getState().send(id, 'again'), true);
});

test('pre-shared passphrase: set marks the conversation psk, a short one is refused before IPC, removal goes back to on', async () => {
  const { store, sent } = await signedIn();
  await store.getState().openPeer('sip:bob@parley.test');
  const id = store.getState().conversations.selectedId!;
  const n = sent.length;
  assert.equal(await store.getState().setPsk(id, 'short'), false, 'the client validates against the contract schema');
  assert.equal(sent.length, n);
  assert.equal(await store.getState().setPsk(id, 'a long shared phrase'), true);
  assert.equal(store.getState().security.byConv[id]!.e2e.state, 'psk');
  assert.equal(store.getState().conversations.byId[id]!.security.e2e, 'psk');
  assert.equal(await store.getState().setPsk(id, null), true);
  assert.equal(store.getState().security.byConv[id]!.e2e.state, 'on');
});

test('openPeer refuses a non-SIP address without IPC', async () => {
  const { store, sent } = await signedIn();
  const n = sent.length;
  assert.equal(await store.getState().openPeer('bob@example.com'), false);
  assert.equal(sent.length, n);
  assert.match(store.getState().conversations.newError ?? '', /SIP address/);
});

test('typing: active sent once per refresh interval, idle once', async () => {
  const { store, sent } = await signedIn();
  await store.getState().openPeer('sip:bob@parley.test');
  const id = store.getState().conversations.selectedId!;
  const typing = () => sent.filter((s) => s.channel === 'typing.set').map((s) => (s.payload as { active: boolean }).active);
  const t0 = 1_000_000;
  store.getState().composing(id, true, t0);
  store.getState().composing(id, true, t0 + 1000);
  store.getState().composing(id, true, t0 + TYPING_REFRESH_MS - 1);
  assert.deepEqual(typing(), [true]);
  store.getState().composing(id, true, t0 + TYPING_REFRESH_MS);
  store.getState().composing(id, false, t0 + TYPING_REFRESH_MS + 5);
  store.getState().composing(id, false, t0 + TYPING_REFRESH_MS + 6);
  assert.deepEqual(typing(), [true, true, false]);
});

test('links: web host delegates http(s) links, refuses others with a notice', async () => {
  const { store } = await signedIn();
  await store.getState().openLink('https://example.org/x');
  assert.deepEqual(store.getState().ui.linkPrompt, { decision: 'delegated', url: 'https://example.org/x' });
  await store.getState().openLink('file:///etc/passwd');
  assert.match(store.getState().ui.notices.at(-1)!.text, /scheme file: is not allowed/);
});

test('mergeMessages keeps ascending order across out-of-order inserts and updates in place', () => {
  const m = (id: string, at: number, state: MessageView['state'] = 'sent'): MessageView => ({
    id,
    conversationId: 'c',
    direction: 'out',
    sender: 'sip:a@b.test',
    text: id,
    at,
    state,
    mode: 'page',
    e2e: { state: 'on' },
  });
  let cm = mergeMessages(emptyConversation(), [m('b', 2), m('c', 3)]);
  cm = mergeMessages(cm, [m('a', 1)]);
  cm = mergeMessages(cm, [m('b', 2, 'delivered')]);
  assert.deepEqual(cm.order, ['a', 'b', 'c']);
  assert.equal(cm.byId.b!.state, 'delivered');
  const same = mergeMessages(cm, [m('a2', 1)]);
  assert.deepEqual(same.order, ['a', 'a2', 'b', 'c']);
  const ties = mergeMessages(mergeMessages(emptyConversation(), [m('n3', 5), m('n1', 5)]), [m('o2', 5), m('o1', 4)], true);
  assert.deepEqual(ties.order, ['o1', 'o2', 'n3', 'n1'], 'older page before, arrival order kept on ties');
  assert.deepEqual(cm.order, ['a', 'b', 'c'], 'input not mutated');
});

test('pure helpers: token from the fragment, digit groups, list order, links, windowing search', () => {
  let replaced = '';
  const store = new Map<string, string>();
  const storage = {
    setItem: (k: string, v: string) => store.set(k, v),
    getItem: (k: string) => store.get(k) ?? null,
  } as unknown as Storage;
  const history = { replaceState: (_a: unknown, _b: string, url: string) => (replaced = url) } as unknown as History;
  const tok = 'A'.repeat(43);
  assert.equal(takeToken({ hash: `#token=${tok}`, pathname: '/', search: '' } as Location, storage, history), tok);
  assert.equal(replaced, '/');
  assert.equal(takeToken({ hash: '', pathname: '/', search: '' } as Location, storage, history), tok, 'kept for reloads');
  assert.equal(takeToken({ hash: '#token=short', pathname: '/', search: '' } as Location, null, null), null);

  assert.deepEqual(groupDigits('123456789012'), ['12345', '67890', '12']);

  const conv = (id: string, title: string, updatedAt: number, unread = 0, blocked = false) => ({
    id,
    kind: 'direct' as const,
    peer: `sip:${title}@x.test`,
    title,
    unread,
    blocked,
    updatedAt,
    security: { tls: true, e2e: 'on' as const, peer: 'unverified' as const, sendBlocked: false },
  });
  const byId = { a: conv('a', 'alice', 1, 2), b: conv('b', 'bob', 3, 1), c: conv('c', 'carol', 2, 5, true) };
  assert.deepEqual(
    sortedConversations(byId, '').map((c) => c.id),
    ['b', 'c', 'a'],
  );
  assert.deepEqual(
    sortedConversations(byId, 'CAR').map((c) => c.id),
    ['c'],
  );
  assert.equal(unreadTotal(byId), 3);

  assert.deepEqual(splitLinks('go to https://a.example/x). now'), [
    { kind: 'text', text: 'go to ' },
    { kind: 'link', text: 'https://a.example/x', url: 'https://a.example/x' },
    { kind: 'text', text: '). now' },
  ]);
  assert.deepEqual(splitLinks('http://user:pw@evil.example/ javascript:alert(1)'), [
    { kind: 'text', text: 'http://user:pw@evil.example/ javascript:alert(1)' },
  ]);

  const offsets = [0, 10, 30, 60, 100];
  assert.equal(firstBelow(offsets, 0), 0);
  assert.equal(firstBelow(offsets, 10), 1);
  assert.equal(firstBelow(offsets, 29), 1);
  assert.equal(firstBelow(offsets, 99), 3);
  assert.equal(firstBelow(offsets, 1000), 4);
});

test('Electron path: connectDefault uses window.parley and the same validation', async () => {
  const backend = new MemoryBackend();
  const listeners = new Set<(e: string, p: unknown) => void>();
  const bridge: ParleyBridge = {
    invoke: (channel, payload) => dispatchInvoke(backend, webShell, channel, payload),
    on: (event, cb) => {
      const l = (e: string, p: unknown) => e === event && cb(p);
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
  const g = globalThis as unknown as { window?: unknown };
  g.window = { parley: bridge };
  try {
    const client = connectDefault();
    assert.equal(client.kind, 'electron');
    const statuses: string[] = [];
    client.onStatus((s) => statuses.push(s));
    assert.deepEqual(statuses, ['open']);
    assert.equal(await client.invoke('account.get', {}), null);
    await assert.rejects(client.invoke('conversations.open', { peer: 'nope' }), { code: 'IPC_BAD_PAYLOAD' });
    const got: unknown[] = [];
    client.on('account.changed', (a) => got.push(a));
    for (const l of listeners) l('account.changed', { aor: 'bad' });
    for (const l of listeners) l('account.changed', null);
    assert.deepEqual(got, [null]);
  } finally {
    delete g.window;
  }
});

test('the "Use local lab" choice follows account.capabilities (hidden when the backend has no lab)', async () => {
  const withLab = new MemoryBackend({ password: 'pw' });
  const a = createAppStore(createClient(loopback(withLab).raw, 'web'));
  await a.getState().loadAccount();
  assert.equal(a.getState().account.localLab, true);
  const noLab = new MemoryBackend({ password: 'pw' });
  noLab.accountCapabilities = async () => ({ localLab: false });
  const b = createAppStore(createClient(loopback(noLab).raw, 'web'));
  await b.getState().loadAccount();
  assert.equal(b.getState().account.localLab, false);
});
