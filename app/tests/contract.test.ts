import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BACKEND_METHOD,
  EVENT_CHANNELS,
  eventChannels,
  FEATURE_UNAVAILABLE,
  INVOKE_CHANNELS,
  invokeChannels,
  IPC_ERROR,
  IpcError,
  isInvokeChannel,
  isShellChannel,
  toIpcError,
  UeEventHub,
  type UeEvent,
} from '../ipc/contract';
import { check, type Schema } from '../ipc/schema';

const valid = (s: Schema, v: unknown) => check(s, v).ok;
import { ParleyError } from '../../main/base/errors';
import { ERROR_CODES, errorInfo } from '../../main/base/error-codes';

test('every invoke channel is either a shell channel or has a backend method', () => {
  for (const c of INVOKE_CHANNELS) {
    if (isShellChannel(c)) assert.equal(c in BACKEND_METHOD, false, c);
    else assert.equal(typeof BACKEND_METHOD[c as keyof typeof BACKEND_METHOD], 'string', c);
  }
  assert.deepEqual(INVOKE_CHANNELS.filter(isShellChannel), ['files.pick', 'links.open', 'update.get', 'update.check', 'update.install']);
});

test('channel name guards resist prototype keys', () => {
  assert.equal(isInvokeChannel('account.get'), true);
  assert.equal(isInvokeChannel('constructor'), false);
  assert.equal(isInvokeChannel('__proto__'), false);
  assert.equal(isInvokeChannel(42), false);
});

test('account.configure: validates SIP URI, proxy, password and rejects extras', () => {
  const s = invokeChannels['account.configure'].request;
  const good = { aor: 'sip:alice@parley.test', password: 'alice-secret', proxy: 'tls://127.0.0.1:5061', caFile: '/tmp/ca.pem' };
  assert.equal(valid(s, good), true);
  assert.equal(valid(s, { ...good, proxy: 'sip:127.0.0.1;transport=tls' }), true);
  assert.equal(valid(s, { ...good, aor: 'alice@parley.test' }), false);
  assert.equal(valid(s, { ...good, aor: 'sip:parley.test' }), false);
  assert.equal(valid(s, { ...good, aor: 'sip:a b@parley.test' }), false);
  assert.equal(valid(s, { ...good, proxy: 'http://127.0.0.1' }), false);
  assert.equal(valid(s, { ...good, password: '' }), false);
  assert.equal(valid(s, { ...good, caFile: 'relative/ca.pem' }), false);
  assert.equal(valid(s, { ...good, isAdmin: true }), false);
});

test('messages: limits on page size and text length', () => {
  const page = invokeChannels['messages.page'].request;
  assert.equal(valid(page, { conversationId: 'c1', limit: 200 }), true);
  assert.equal(valid(page, { conversationId: 'c1', limit: 201 }), false);
  assert.equal(valid(page, { conversationId: 'c1', limit: 0 }), false);
  const send = invokeChannels['messages.send'].request;
  assert.equal(valid(send, { conversationId: 'c1', text: 'hi', mode: 'session' }), true);
  assert.equal(valid(send, { conversationId: 'c1', text: '' }), false);
  assert.equal(valid(send, { conversationId: 'c1', text: 'x'.repeat(65_537) }), false);
  assert.equal(valid(send, { conversationId: 'c1', text: 'hi', mode: 'fax' }), false);
  assert.equal(valid(send, { conversationId: 'c 1', text: 'hi' }), false);
});

test('account views never carry a password', () => {
  const v = invokeChannels['account.get'].response;
  const view = { aor: 'sip:alice@parley.test', proxy: 'tcp://127.0.0.1:5060', localLab: false };
  assert.equal(valid(v, view), true);
  assert.equal(valid(v, null), true);
  assert.equal(valid(v, { ...view, password: 'x' }), false);
});

test('events: message.upserted validates states and e2e facts', () => {
  const m = eventChannels['message.upserted'];
  const msg = {
    id: 'm1',
    conversationId: 'c1',
    direction: 'out',
    sender: 'sip:alice@parley.test',
    text: 'hi',
    at: 1,
    state: 'stored',
    mode: 'page',
    e2e: { state: 'on' },
  };
  assert.equal(valid(m, msg), true);
  assert.equal(valid(m, { ...msg, state: 'failed', failure: { code: '480', reason: 'Temporarily Unavailable' } }), true);
  assert.equal(valid(m, { ...msg, state: 'lost' }), false);
  assert.equal(valid(m, { ...msg, e2e: { state: 'on', key: 'secret' } }), false);
  assert.equal(EVENT_CHANNELS.length, Object.keys(eventChannels).length);
});

test('toIpcError keeps registered codes with their user text and hides everything else', () => {
  const typed = new ParleyError('PEER_KEY_CHANGED', 'the identity key of sip:bob@parley.test changed', { aor: 'sip:bob@parley.test' });
  assert.deepEqual(toIpcError(typed), { code: 'PEER_KEY_CHANGED', message: ERROR_CODES.PEER_KEY_CHANGED.userText });
  assert.deepEqual(toIpcError(new Error('ENOENT /home/secret/path')), { code: 'IPC_INTERNAL', message: 'Internal error' });
  assert.deepEqual(toIpcError('boom'), { code: 'IPC_INTERNAL', message: 'Internal error' });
  assert.deepEqual(toIpcError({ code: 'lower', message: 'x' }), { code: 'IPC_INTERNAL', message: 'Internal error' });
  // A code that is not registered (a Node errno, a look-alike) no longer leaks its message.
  const errno = Object.assign(new Error('EACCES: permission denied, open /home/secret/key'), { code: 'EACCES' });
  assert.deepEqual(toIpcError(errno), { code: 'IPC_INTERNAL', message: 'Internal error' });
  const lookalike = Object.assign(new Error('Peer key changed'), { code: 'PEER_KEY_CHANGED' });
  assert.deepEqual(toIpcError(lookalike), { code: 'IPC_INTERNAL', message: 'Internal error' });
  // The IPC layer's own errors keep their message.
  const missing = new IpcError(FEATURE_UNAVAILABLE, 'files.send is not available in this backend');
  assert.deepEqual(toIpcError(missing), { code: FEATURE_UNAVAILABLE, message: 'files.send is not available in this backend' });
  const r = toIpcError(typed) as unknown as Record<string, unknown>;
  assert.equal('stack' in r, false);
  assert.deepEqual(Object.keys(r).sort(), ['code', 'message']);
});

test('the IPC layer codes are registered (app/ipc spells them without importing main/)', () => {
  for (const code of [...Object.values(IPC_ERROR), FEATURE_UNAVAILABLE]) assert.equal(errorInfo(code)?.layer, 'ipc', code);
});

test('UeEventHub delivers to every listener, survives a throwing one, unsubscribes', () => {
  const hub = new UeEventHub();
  const got: UeEvent[] = [];
  const off = hub.subscribe((e) => got.push(e));
  hub.subscribe(() => {
    throw new Error('bad listener');
  });
  hub.emit('typing.changed', { conversationId: 'c', peer: 'sip:b@x.test', active: true, at: 5 });
  assert.equal(got.length, 1);
  assert.equal(got[0]!.event, 'typing.changed');
  off();
  hub.emit('account.changed', null);
  assert.equal(got.length, 1);
  assert.equal(hub.size, 1);
});
