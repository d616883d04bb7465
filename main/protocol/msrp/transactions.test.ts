import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TransactionTable, TRANSACTION_TIMEOUT_MS, type TransactionResult } from './transactions';
import { FakeClock } from '../../base/clock';

test('TRANSACTION_TIMEOUT_MS is 30 s (RFC 4975 s.7.1.1)', () => {
  assert.equal(TRANSACTION_TIMEOUT_MS, 30000);
});

test('resolves on the response and cancels the timer', () => {
  const clock = new FakeClock();
  const t = new TransactionTable(clock);
  const got: TransactionResult[] = [];
  t.start('abcd1234', (r) => got.push(r));
  assert.equal(clock.pendingTimers, 1);
  assert.ok(t.handleResponse({ tid: 'abcd1234', kind: 'response', status: 200, comment: 'OK', headers: [] }));
  assert.equal(clock.pendingTimers, 0);
  assert.deepEqual(got, [{ status: 200, comment: 'OK', headers: [], local: false }]);
  assert.ok(!t.handleResponse({ tid: 'abcd1234', kind: 'response', status: 200, headers: [] }), 'late duplicate ignored');
});

test('408 locally after exactly 30 s on the injected clock', () => {
  const clock = new FakeClock();
  const t = new TransactionTable(clock);
  const got: TransactionResult[] = [];
  t.start('tttt0001', (r) => got.push(r));
  clock.advance(TRANSACTION_TIMEOUT_MS - 1);
  assert.equal(got.length, 0);
  clock.advance(1);
  assert.deepEqual(
    got.map((r) => [r.status, r.local]),
    [[408, true]],
  );
  assert.equal(t.size, 0);
  assert.ok(!t.handleResponse({ tid: 'tttt0001', kind: 'response', status: 200, headers: [] }));
});

test('failAll on connection loss', () => {
  const clock = new FakeClock();
  const t = new TransactionTable(clock);
  const got: number[] = [];
  t.start('a0000001', (r) => got.push(r.status));
  t.start('a0000002', (r) => got.push(r.status));
  t.failAll();
  assert.deepEqual(got, [408, 408]);
  assert.equal(clock.pendingTimers, 0);
});
