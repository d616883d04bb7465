// WaitQueue: what arrives before a wait is kept, what arrives during one goes to the waiter, a wait that sees nothing fails
// after its bound with a message naming what it waited for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WaitQueue } from './wait-queue';

test('a kept item is taken first, once', async () => {
  const q = new WaitQueue<number>();
  q.push(1);
  q.push(2);
  assert.equal(
    q.has((n) => n === 2),
    true,
  );
  assert.equal(await q.take((n) => n === 2, 10, 'two'), 2);
  assert.equal(
    q.has((n) => n === 2),
    false,
  );
  assert.deepEqual(q.kept, [1]);
});

test('an arriving item goes to the first waiter that takes it and is not kept', async () => {
  const q = new WaitQueue<string>();
  const odd = q.take((s) => s.startsWith('a'), 1000, 'a-word');
  const any = q.take(() => true, 1000, 'anything');
  q.push('bee');
  q.push('ant');
  assert.equal(await any, 'bee');
  assert.equal(await odd, 'ant');
  assert.deepEqual(q.kept, []);
});

test('a wait is bounded and says what it waited for, with the detail read at that time', async () => {
  const q = new WaitQueue<number>();
  let detail = 'early';
  const waiting = q.take(
    (n) => n > 5,
    20,
    'big number',
    () => `output: ${detail}`,
  );
  detail = 'late';
  await assert.rejects(waiting, /^Error: no big number within 20 ms\noutput: late$/);
  q.push(9);
  assert.deepEqual(q.kept, [9], 'the timed-out waiter no longer takes items');
});
