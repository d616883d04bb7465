// TypingManager on a manual clock: rate limiting (RFC 3994 s.3.2), refresh, idle timeout, receiver expiry (s.4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IsComposing } from '../protocol/formats/is-composing';
import { TypingManager } from './typing';
import { ManualClock } from './testkit';

function setup() {
  const clock = new ManualClock();
  const sent: IsComposing[] = [];
  const changes: boolean[] = [];
  const tm = new TypingManager(clock, { send: (_c, d) => sent.push(d), changed: (_c, a) => changes.push(a) });
  return { clock, sent, changes, tm };
}

test('keystrokes send one active indication; refresh every 90 s while typing; idle after 15 s without keystrokes', () => {
  const { clock, sent, tm } = setup();
  tm.set('1', true);
  tm.set('1', true);
  tm.set('1', true);
  assert.deepEqual(
    sent.map((d) => d.state),
    ['active'],
  );
  assert.equal(sent[0]!.refresh, 90);
  clock.advance(14_000);
  assert.equal(sent.length, 1);
  clock.advance(1_000);
  assert.deepEqual(
    sent.map((d) => d.state),
    ['active', 'idle'],
  );
  assert.ok(sent[1]!.lastActive);
  for (let i = 0; i < 7; i++) {
    tm.set('1', true);
    clock.advance(14_000);
  }
  assert.deepEqual(
    sent.slice(2).map((d) => d.state),
    ['active', 'active'],
    'one refresh after 90 s of typing',
  );
});

test('clearing the box sends idle at once; sending the message implies idle (nothing sent)', () => {
  const { sent, tm, clock } = setup();
  tm.set('1', true);
  tm.set('1', false);
  assert.deepEqual(
    sent.map((d) => d.state),
    ['active', 'idle'],
  );
  tm.set('1', false);
  assert.equal(sent.length, 2);
  tm.set('1', true);
  tm.messageSent('1');
  clock.advance(60_000);
  assert.deepEqual(
    sent.map((d) => d.state),
    ['active', 'idle', 'active'],
  );
});

test('receiver: active until the refresh interval passes, idle on an idle document or a message', () => {
  const { clock, changes, tm } = setup();
  tm.received('1', { state: 'active', refresh: 60 });
  tm.received('1', { state: 'active', refresh: 60 });
  assert.deepEqual(changes, [true]);
  clock.advance(59_000);
  assert.deepEqual(changes, [true]);
  clock.advance(1_000);
  assert.deepEqual(changes, [true, false]);
  tm.received('1', { state: 'active' });
  tm.peerMessage('1');
  assert.deepEqual(changes, [true, false, true, false]);
  clock.advance(200_000);
  assert.equal(changes.length, 4, 'no timer left behind');
  tm.received('1', { state: 'active' });
  tm.received('1', { state: 'idle' });
  assert.deepEqual(changes.slice(4), [true, false]);
  tm.close();
});
