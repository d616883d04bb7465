import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReplayCache, PersistentReplayGuard, REPLAY_WINDOW_MS, FUTURE_SKEW_MS, type ReplayStateV1 } from './replay';
import { KeyStore } from './keystore';
import { PassphraseWrapper, insecureTestParams } from './key-wrapper';
import { initCrypto } from './sodium';
import { isParleyError } from '../base/errors';
import fc from 'fast-check';

let dir: string;
before(async () => {
  await initCrypto();
  dir = await mkdtemp(join(tmpdir(), 'parley-replay-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const NOW = 1_800_000_000_000;

test('window: 30 days back, 10 minutes ahead', () => {
  const c = new ReplayCache();
  c.checkAndRecord('sip:a@x', 'm1', NOW - REPLAY_WINDOW_MS, NOW);
  assert.throws(
    () => c.check('sip:a@x', 'm2', NOW - REPLAY_WINDOW_MS - 1, NOW),
    (e) => isParleyError(e, 'E2E_STALE'),
  );
  c.checkAndRecord('sip:a@x', 'm3', NOW + FUTURE_SKEW_MS, NOW);
  assert.throws(
    () => c.check('sip:a@x', 'm4', NOW + FUTURE_SKEW_MS + 1, NOW),
    (e) => isParleyError(e, 'E2E_STALE'),
  );
  assert.throws(
    () => c.check('sip:a@x', 'm1', NOW, NOW),
    (e) => isParleyError(e, 'E2E_REPLAY'),
  );
  c.checkAndRecord('sip:b@x', 'm1', NOW, NOW); // same id, other sender
});

test("a sender's full budget forgets its oldest id and raises its own floor so that id stays refused", () => {
  const c = new ReplayCache(undefined, { capacity: 3 });
  c.checkAndRecord('s', 'a', NOW - 300, NOW);
  c.checkAndRecord('s', 'b', NOW - 200, NOW);
  c.checkAndRecord('s', 'c', NOW - 100, NOW);
  c.checkAndRecord('s', 'd', NOW, NOW);
  assert.equal(c.size, 3);
  assert.throws(
    () => c.check('s', 'a', NOW - 300, NOW),
    (e) => isParleyError(e, 'E2E_STALE'),
  );
  assert.throws(
    () => c.check('s', 'b', NOW - 200, NOW),
    (e) => isParleyError(e, 'E2E_REPLAY'),
  );
  const c2 = new ReplayCache(c.toJSON(), { capacity: 3 });
  assert.equal(c2.floorOf('s'), c.floorOf('s'));
  assert.equal(c.floorOf('s'), NOW - 300 + 1);
  assert.throws(
    () => c2.check('s', 'd', NOW, NOW),
    (e) => isParleyError(e, 'E2E_REPLAY'),
  );
});

test('expired entries are pruned when room is needed', () => {
  const c = new ReplayCache(undefined, { capacity: 2 });
  c.checkAndRecord('s', 'old', NOW - REPLAY_WINDOW_MS, NOW);
  c.checkAndRecord('s', 'x', NOW, NOW);
  const later = NOW + 2 * FUTURE_SKEW_MS;
  c.checkAndRecord('s', 'y', later, later);
  assert.equal(c.size, 2);
  assert.equal(c.floorOf('s'), 0, 'pruning expired entries does not raise the floor');
});

test('persistent guard: replay detected after reopening the key store', async () => {
  const path = join(dir, 'r.ks');
  const w = () => new PassphraseWrapper('x', insecureTestParams());
  const ks = await KeyStore.create(path, w(), { aor: 'sip:me@x' });
  await new PersistentReplayGuard(ks).checkAndRecord('sip:a@x', 'id-1', NOW, NOW);
  await ks.close();
  const ks2 = await KeyStore.open(path, w());
  const g = new PersistentReplayGuard(ks2);
  await assert.rejects(g.checkAndRecord('sip:a@x', 'id-1', NOW, NOW + 1000), (e) => isParleyError(e, 'E2E_REPLAY'));
  await g.checkAndRecord('sip:a@x', 'id-2', NOW, NOW);
  await ks2.close();
});

test('group commit: a concurrent burst is durable, duplicates within the burst are refused', async () => {
  const path = join(dir, 'burst.ks');
  const w = () => new PassphraseWrapper('x', insecureTestParams());
  const ks = await KeyStore.create(path, w(), { aor: 'sip:me@x' });
  const g = new PersistentReplayGuard(ks);
  const ids = Array.from({ length: 50 }, (_, i) => `b-${i % 40}`); // 10 duplicates
  const results = await Promise.allSettled(ids.map((id) => g.checkAndRecord('sip:a@x', id, NOW, NOW)));
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 40);
  assert.ok(results.filter((r) => r.status === 'rejected').every((r) => isParleyError((r as PromiseRejectedResult).reason, 'E2E_REPLAY')));
  await ks.close();
  const ks2 = await KeyStore.open(path, w());
  const g2 = new PersistentReplayGuard(ks2);
  assert.equal(g2.cache.size, 40);
  await assert.rejects(g2.checkAndRecord('sip:a@x', 'b-39', NOW, NOW), (e) => isParleyError(e, 'E2E_REPLAY'));
  await ks2.close();
});

test('issue 12: 20,001 envelopes from a stranger dated 10 minutes ahead do not stop a pinned contact', () => {
  const c = new ReplayCache();
  c.checkAndRecord('sip:contact@x', 'before', NOW - 60_000, NOW);
  for (let i = 0; i <= 20_000; i++) {
    try {
      c.checkAndRecord('sip:stranger@x', `flood-${i}`, NOW + FUTURE_SKEW_MS, NOW);
    } catch (e) {
      assert.ok(isParleyError(e), String(e)); // the stranger may be refused; the point is what happens to others
    }
  }
  c.checkAndRecord('sip:contact@x', 'after', NOW, NOW + 1);
  c.checkAndRecord('sip:contact@x', 'from-msilo', NOW - 24 * 3600_000, NOW + 2); // stored a day ago, delivered now
  assert.throws(
    () => c.check('sip:contact@x', 'before', NOW - 60_000, NOW + 3),
    (e) => isParleyError(e, 'E2E_REPLAY'),
  );
});

test('the future-dated budget of one sender is refused with E2E_RATE_LIMITED; its floor never moves into the future', () => {
  const c = new ReplayCache(undefined, { perSender: 10, futurePerSender: 3 });
  for (let i = 0; i < 3; i++) c.checkAndRecord('s', `f${i}`, NOW + FUTURE_SKEW_MS, NOW);
  assert.throws(
    () => c.checkAndRecord('s', 'f3', NOW + 1, NOW),
    (e) => isParleyError(e, 'E2E_RATE_LIMITED'),
  );
  c.checkAndRecord('s', 'present', NOW, NOW); // a message dated now still passes
  for (let i = 0; i < 6; i++) c.checkAndRecord('s', `p${i}`, NOW - 1000 + i, NOW);
  assert.equal(c.countOf('s'), 10);
  c.checkAndRecord('s', 'one-more', NOW, NOW); // budget full: the oldest id that is not in the future goes
  assert.ok(c.floorOf('s') <= NOW, 'floor stays at or below now');
  assert.equal(c.countOf('s'), 10);
  // 10 minutes later the future-dated ids are past and can be forgotten like any other
  const later = NOW + FUTURE_SKEW_MS + 1;
  for (let i = 0; i < 12; i++) c.checkAndRecord('s', `l${i}`, later + i, later + i);
  assert.equal(c.countOf('s'), 10);
});

test('a full cache forgets from the sender holding the most ids; a small sender keeps its ids and floor', () => {
  const c = new ReplayCache(undefined, { capacity: 20, perSender: 8 });
  c.checkAndRecord('sip:contact@x', 'c1', NOW - 5000, NOW);
  c.checkAndRecord('sip:contact@x', 'c2', NOW - 4000, NOW);
  for (let k = 0; k < 5; k++) for (let i = 0; i < 8; i++) c.checkAndRecord(`sip:s${k}@x`, `m${i}`, NOW - 100 + i, NOW);
  assert.equal(c.size, 20);
  assert.equal(c.countOf('sip:contact@x'), 2);
  assert.equal(c.floorOf('sip:contact@x'), 0);
  assert.throws(
    () => c.check('sip:contact@x', 'c1', NOW - 5000, NOW),
    (e) => isParleyError(e, 'E2E_REPLAY'),
  );
  c.checkAndRecord('sip:contact@x', 'c3', NOW, NOW);
});

test('a cache full of future-dated ids from many senders refuses new ones instead of raising floors', () => {
  const c = new ReplayCache(undefined, { capacity: 6, perSender: 3, futurePerSender: 2 });
  for (let k = 0; k < 3; k++) for (let i = 0; i < 2; i++) c.checkAndRecord(`s${k}`, `m${i}`, NOW + 1000, NOW);
  assert.throws(
    () => c.checkAndRecord('contact', 'x', NOW, NOW),
    (e) => isParleyError(e, 'E2E_RATE_LIMITED'),
  );
  for (const s of ['s0', 's1', 's2', 'contact']) assert.equal(c.floorOf(s), 0);
  c.checkAndRecord('contact', 'x', NOW + 1000, NOW + 1001); // once they are past, room is made as usual
});

test('a refused or undone record leaves the cache exactly as it was', () => {
  const c = new ReplayCache(undefined, { capacity: 4, perSender: 2 });
  c.checkAndRecord('a', '1', NOW - 10, NOW);
  c.checkAndRecord('a', '2', NOW - 5, NOW);
  c.checkAndRecord('b', '1', NOW - 3, NOW);
  const snap = () => JSON.stringify(c.toJSON(), (_k, v: unknown) => (Array.isArray(v) && Array.isArray(v[0]) ? [...v].sort() : v));
  const before = snap();
  const undo = c.checkAndRecord('a', '3', NOW, NOW);
  assert.notEqual(snap(), before);
  undo();
  assert.equal(snap(), before);
  assert.equal(c.size, 3);
});

test('persisted format v2 round-trips; v1 files load with their shared floor clamped to the load time', () => {
  const c = new ReplayCache();
  c.checkAndRecord('sip:a@x', 'id-1', NOW, NOW);
  const j = c.toJSON();
  assert.equal(j.v, 2);
  const c2 = new ReplayCache(JSON.parse(JSON.stringify(j)));
  assert.throws(
    () => c2.check('sip:a@x', 'id-1', NOW, NOW),
    (e) => isParleyError(e, 'E2E_REPLAY'),
  );
  const plain: ReplayStateV1 = { floor: NOW - 5000, e: [['sip:a@x', 'old', NOW - 1000]] };
  assert.throws(
    () => new ReplayCache(plain, { loadedAt: NOW }).check('sip:a@x', 'old', NOW - 1000, NOW),
    (e) => isParleyError(e, 'E2E_REPLAY'),
  );
  // A v1 file whose floor was poisoned into the future by a flood (issue 12)
  const v1: ReplayStateV1 = { floor: NOW + FUTURE_SKEW_MS + 1, e: [['sip:a@x', 'old', NOW - 1000]] };
  const c1 = new ReplayCache(v1, { loadedAt: NOW });
  assert.throws(
    () => c1.check('sip:b@x', 'older', NOW - 1, NOW),
    (e) => isParleyError(e, 'E2E_STALE'),
    'ids below the old shared floor stay refused',
  );
  c1.checkAndRecord('sip:b@x', 'new', NOW, NOW); // but not current messages
  const back = new ReplayCache(c1.toJSON());
  assert.equal(back.floorOf('sip:c@x'), NOW);
  for (const bad of [
    { v: 3, s: {} },
    { v: 2, s: { x: { f: 'no', e: [] } } },
    { floor: 'x', e: [] },
    { v: 2, s: { x: { f: 0, e: [[1, 2]] } } },
  ])
    assert.throws(
      () => new ReplayCache(bad as never),
      (e) => isParleyError(e, 'KEYSTORE_CORRUPT'),
    );
});

test('property: a flood from one sender (any ids, any DateTimes, any order) changes no outcome for another sender', () => {
  const op = (who: string) =>
    fc.record({ who: fc.constant(who), id: fc.integer({ min: 0, max: 30 }), dt: fc.integer({ min: -40, max: 40 }), dNow: fc.nat(5) });
  fc.assert(
    fc.property(
      fc.array(op('contact'), { maxLength: 40 }),
      fc.array(op('flood'), { maxLength: 120 }),
      fc.array(fc.boolean()),
      (mine, flood, mix) => {
        const opts = { capacity: 20, perSender: 8, futurePerSender: 3, windowMs: 100, skewMs: 10 };
        const withFlood = new ReplayCache(undefined, opts);
        const alone = new ReplayCache(undefined, opts);
        const outcome = (c: ReplayCache, o: { who: string; id: number; dt: number }, now: number) => {
          try {
            c.checkAndRecord(o.who, `m${o.id}`, now + o.dt, now);
            return 'ok';
          } catch (e) {
            return (e as { code: string }).code;
          }
        };
        let now = NOW;
        let i = 0;
        let j = 0;
        let k = 0;
        while (i < mine.length) {
          if (j < flood.length && mix[k++ % Math.max(1, mix.length)]) {
            now += flood[j].dNow;
            outcome(withFlood, flood[j++], now);
            continue;
          }
          now += mine[i].dNow;
          assert.equal(outcome(withFlood, mine[i], now), outcome(alone, mine[i], now));
          i++;
        }
      },
    ),
    { numRuns: 500 },
  );
});
