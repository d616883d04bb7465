// The one Clock: the fake one fires due timers in deadline order with now() at each deadline; the real one uses real timers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock, systemClock, systemClockWith } from './clock';

test('FakeClock: timers fire in deadline order on advance, each seeing now() at its deadline', () => {
  const c = new FakeClock();
  const seen: string[] = [];
  c.setTimeout(() => seen.push(`b@${c.now()}`), 20);
  c.setTimeout(() => seen.push(`a@${c.now()}`), 10);
  const gone = c.setTimeout(() => seen.push('never'), 15);
  c.clearTimeout(gone);
  c.advance(9);
  assert.deepEqual(seen, []);
  assert.equal(c.pendingTimers, 2);
  c.advance(100);
  assert.deepEqual(seen, ['a@10', 'b@20']);
  assert.equal(c.now(), 109);
  assert.equal(c.pendingTimers, 0);
});

test('FakeClock: a timer set by a callback fires in the same advance when it falls due; later ones wait', () => {
  const c = new FakeClock();
  const seen: number[] = [];
  const tick = () => {
    seen.push(c.now());
    c.setTimeout(tick, 30);
  };
  c.setTimeout(tick, 30);
  c.advance(100);
  assert.deepEqual(seen, [30, 60, 90]);
  assert.equal(c.pendingTimers, 1);
  c.advance(20);
  assert.deepEqual(seen, [30, 60, 90, 120]);
});

test('FakeClock over a moving base (real time plus advances); now is bound; offset can be reset', () => {
  let base = 1_000;
  const c = new FakeClock(() => base);
  const now = c.now;
  let fired = 0;
  c.setTimeout(() => fired++, 50);
  base += 30;
  assert.equal(now(), 1_030);
  c.advance(20);
  assert.equal(fired, 1, 'real time and the advance together reach the deadline');
  assert.equal(now(), 1_050);
  c.offset = 0;
  assert.equal(now(), 1_030);
});

test('systemClock: real time, real (unref’d) timers that clearTimeout cancels', async () => {
  assert.ok(Math.abs(systemClock.now() - Date.now()) < 1_000);
  const c = systemClockWith(() => 42);
  assert.equal(c.now(), 42);
  let cancelled = true;
  c.clearTimeout(c.setTimeout(() => (cancelled = false), 0));
  await new Promise<void>((resolve) => setTimeout(resolve, 5)); // a ref'd timer: the unref'd one must not be what keeps the test alive
  assert.ok(cancelled);
});
