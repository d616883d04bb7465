import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReplayCache, PersistentReplayGuard, REPLAY_WINDOW_MS, FUTURE_SKEW_MS } from './replay';
import { KeyStore } from './keystore';
import { PassphraseWrapper, insecureTestParams } from './key-wrapper';
import { initCrypto } from './sodium';
import { isParleyError } from '../base/errors';

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

test('full cache evicts the oldest and raises the floor so evicted ids stay refused', () => {
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
  assert.equal(c2.floor, c.floor);
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
  assert.equal(c.floor, 0, 'pruning expired entries does not raise the floor');
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
