// Pure view mapping: cursors, message states/failures/security facts, conversation and security views.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { check } from '../../app/ipc/schema';
import { MessageView, ConversationView, SecurityView } from '../../app/ipc/views';
import type { StoredMessage } from '../store';
import { KEY_CHANGE_CONTENT_TYPE } from '../store';
import { conversationView, decodeCursor, encodeCursor, failureReason, messageView, securityView } from './views';

function msg(p: Partial<StoredMessage>): StoredMessage {
  return {
    id: 7,
    conversationId: 3,
    imdnMessageId: 'abc',
    direction: 'out',
    system: null,
    senderAor: 'sip:alice@parley.test',
    senderNickname: null,
    mode: 'page',
    contentType: 'text/plain;charset=utf-8',
    body: 'hi',
    createdAt: 1000,
    sentAt: null,
    receivedAt: null,
    state: 'sent',
    stateAt: 1000,
    attempts: 0,
    failureCode: null,
    failureReason: null,
    security: { e2e: 'on', e2eVerified: false, errorCode: null, tls: true },
    ...p,
  };
}

test('cursor round trip; anything else is UE_BAD_CURSOR', () => {
  assert.deepEqual(decodeCursor(encodeCursor({ createdAt: 1795703193902, id: 42 })), { createdAt: 1795703193902, id: 42 });
  for (const bad of ['', 'c1.', 'c1.1', 'c2.1.2', 'c1.-1.2', 'c1.1.2.3', '12'])
    assert.throws(() => decodeCursor(bad), { code: 'UE_BAD_CURSOR' }, bad);
});

test('outgoing states map one to one; failures keep SIP codes or typed codes', () => {
  for (const st of ['queued', 'sending', 'stored', 'sent', 'delivered', 'displayed'] as const)
    assert.equal(messageView(msg({ state: st })).state, st);
  const sip = messageView(msg({ state: 'failed', failureCode: 603, failureReason: 'Decline' }));
  assert.deepEqual(sip.failure, { code: '603', reason: 'Decline' });
  const typed = messageView(msg({ state: 'failed', failureCode: 408, failureReason: failureReason('SIP_TIMEOUT', '408 Request Timeout') }));
  assert.deepEqual(typed.failure, { code: 'SIP_TIMEOUT', reason: '408 Request Timeout' });
  assert.equal(messageView(msg({ state: 'failed' })).failure?.code, 'FAILED');
  const v = messageView(msg({}));
  assert.equal(check(MessageView, v).ok, true);
  assert.deepEqual([v.id, v.conversationId, v.at, v.e2e], ['7', '3', 1000, { state: 'on' }]);
});

test('incoming: received/displayed, sender time, signature fact, undecryptable shown failed with its code', () => {
  const inc = messageView(
    msg({ direction: 'in', state: 'delivered', sentAt: 900, security: { e2e: 'on', e2eVerified: true, errorCode: null, tls: true } }),
  );
  assert.deepEqual([inc.state, inc.at, inc.e2e.signatureValid], ['received', 900, true]);
  assert.equal(messageView(msg({ direction: 'in', state: 'displayed' })).state, 'displayed');
  const bad = messageView(
    msg({
      direction: 'in',
      state: 'delivered',
      body: 'Message could not be opened (E2E_TAMPERED): x',
      security: { e2e: 'on', e2eVerified: false, errorCode: 'E2E_TAMPERED', tls: true },
    }),
  );
  assert.equal(bad.state, 'failed');
  assert.equal(bad.failure?.code, 'E2E_TAMPERED');
  assert.equal(check(MessageView, bad).ok, true);
  const atRest = messageView(msg({ body: null, atRestError: 'STORE_ROW_TAMPERED' }));
  assert.match(atRest.text, /cannot be read: STORE_ROW_TAMPERED/);
  const bin = messageView(msg({ direction: 'in', state: 'delivered', contentType: 'image/png', body: new Uint8Array(12) }));
  assert.equal(bin.text, '[image/png content, 12 bytes]');
});

test('key change system message reads as a sentence', () => {
  const body = JSON.stringify({ type: 'key-change', aor: 'sip:bob@parley.test', oldFingerprint: 'aaaa', newFingerprint: 'bbbb' });
  const v = messageView(msg({ direction: 'in', state: 'delivered', system: 'key-change', contentType: KEY_CHANGE_CONTENT_TYPE, body }));
  assert.equal(v.text, 'The security key of sip:bob@parley.test changed from aaaa to bbbb.');
  assert.equal(v.e2e.signatureValid, undefined);
});

test('conversation and security views satisfy the contract', () => {
  const sec = { tls: true, e2e: 'on' as const, peer: 'changed' as const, sendBlocked: true };
  const base = {
    id: 3,
    account: 'sip:alice@parley.test',
    kind: 'direct' as const,
    peer: 'sip:bob@parley.test',
    title: null,
    muted: false,
    blocked: false,
    lastActivity: 5,
    unreadCount: 2,
    preferredMode: 'auto' as const,
    e2ePolicy: 'require' as const,
    createdAt: 1,
  };
  const c = conversationView(
    {
      ...base,
      lastMessage: {
        id: 9,
        direction: 'in',
        senderAor: 'sip:bob@parley.test',
        preview: 'yo',
        createdAt: 5,
        state: 'delivered',
        system: null,
      },
    },
    sec,
  );
  assert.equal(check(ConversationView, c).ok, true);
  assert.deepEqual([c.id, c.title, c.unread, c.last?.text], ['3', 'bob', 2, 'yo']);
  assert.equal(
    conversationView(
      {
        ...base,
        lastMessage: { id: 9, direction: 'in', senderAor: 'x', preview: null, createdAt: 5, state: 'delivered', system: 'key-change' },
      },
      sec,
    ).last?.text,
    'Security key changed',
  );
  const s = securityView('3', { transport: 'tls', tls: true, verified: true }, sec, { fingerprint: 'ab12', scheme: 'parley-e2e-v1' });
  assert.equal(check(SecurityView, s).ok, true);
  assert.deepEqual([s.peer.fingerprint, s.e2e.scheme, s.sendBlocked], ['ab12', 'parley-e2e-v1', true]);
});
