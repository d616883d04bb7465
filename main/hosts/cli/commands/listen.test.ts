// listen's output for messages the UE received: JSON fields and human lines, including failures (no network).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MessageView } from '../../../../app/ipc/contract';
import type { StoredMessage } from '../../../store';
import { ueMessageHuman, ueMessageJson } from './listen';

const view: MessageView = {
  id: '7',
  conversationId: '2',
  direction: 'in',
  sender: 'sip:alice@parley.test',
  text: 'hi',
  at: Date.UTC(2026, 0, 1),
  state: 'received',
  mode: 'session',
  e2e: { state: 'on', signatureValid: true },
};
const row = {
  contentType: 'text/plain;charset=utf-8',
  receivedAt: Date.UTC(2026, 0, 1, 0, 0, 1),
  createdAt: 0,
  imdnMessageId: 'abc123',
} as StoredMessage;

test('message line: every documented field', () => {
  const j = ueMessageJson(view, row, 'sip:bob@parley.test');
  assert.deepEqual(j, {
    event: 'message',
    from: 'sip:alice@parley.test',
    to: 'sip:bob@parley.test',
    contentType: 'text/plain;charset=utf-8',
    mode: 'session',
    receivedAt: '2026-01-01T00:00:01.000Z',
    sentAt: '2026-01-01T00:00:00.000Z',
    imdnMessageId: 'abc123',
    e2e: 'on',
    signatureValid: true,
    id: '7',
    conversationId: '2',
    text: 'hi',
  });
  assert.equal(ueMessageHuman(view, row), '[2026-01-01T00:00:01.000Z] sip:alice@parley.test (session): hi');
  assert.equal(
    ueMessageHuman({ ...view, mode: 'page', e2e: { state: 'off' } }, row),
    '[2026-01-01T00:00:01.000Z] sip:alice@parley.test: hi (NOT end-to-end encrypted)',
  );
});

test('failure line: event "failure" with the code, no text', () => {
  const failed: MessageView = {
    ...view,
    mode: 'page',
    state: 'failed',
    failure: { code: 'E2E_TAMPERED', reason: 'envelope does not authenticate' },
    e2e: { state: 'on', signatureValid: false },
  };
  const j = ueMessageJson(failed, { ...row, imdnMessageId: null }, 'sip:bob@parley.test');
  assert.equal(j.event, 'failure');
  assert.equal(j.code, 'E2E_TAMPERED');
  assert.equal(j.reason, 'envelope does not authenticate');
  assert.equal(j.text, undefined);
  assert.equal(j.imdnMessageId, undefined);
  assert.match(
    ueMessageHuman(failed, row),
    /^! \[2026-01-01T00:00:01\.000Z\] sip:alice@parley\.test: message failed E2E_TAMPERED: envelope does not authenticate$/,
  );
});
