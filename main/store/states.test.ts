import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canTransition, canTransferTransition, MESSAGE_STATES, TRANSFER_STATES } from './states';

test('message states only move forward; displayed beats delivered', () => {
  assert.ok(canTransition('queued', 'sending'));
  assert.ok(canTransition('sending', 'stored'));
  assert.ok(canTransition('stored', 'delivered'));
  assert.ok(canTransition('sent', 'displayed'));
  assert.ok(canTransition('delivered', 'displayed'));
  assert.equal(canTransition('displayed', 'delivered'), false);
  assert.equal(canTransition('delivered', 'sending'), false);
  assert.equal(canTransition('sent', 'stored'), false);
  assert.equal(canTransition('sent', 'sent'), false);
});

test('failed is reachable before delivery and terminal', () => {
  for (const s of ['queued', 'sending', 'stored', 'sent'] as const) assert.ok(canTransition(s, 'failed'), s);
  assert.equal(canTransition('delivered', 'failed'), false);
  assert.equal(canTransition('displayed', 'failed'), false);
  for (const s of MESSAGE_STATES) assert.equal(canTransition('failed', s), false, s);
});

test('exhaustive: no allowed transition goes back in the forward order', () => {
  const order = ['queued', 'sending', 'stored', 'sent', 'delivered', 'displayed'];
  for (const a of MESSAGE_STATES)
    for (const b of MESSAGE_STATES) {
      if (!canTransition(a, b) || b === 'failed') continue;
      assert.ok(order.indexOf(b) > order.indexOf(a), `${a} -> ${b}`);
    }
});

test('transfer states: terminal states are final, active never returns to pending', () => {
  assert.ok(canTransferTransition('pending', 'active'));
  assert.ok(canTransferTransition('active', 'done'));
  assert.ok(canTransferTransition('pending', 'cancelled'));
  assert.equal(canTransferTransition('active', 'pending'), false);
  for (const t of ['done', 'failed', 'cancelled'] as const)
    for (const s of TRANSFER_STATES) assert.equal(canTransferTransition(t, s), false);
});
