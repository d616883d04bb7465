// The feature host without a network: methods exist before sign-in (idle answer or FEATURE_NOT_READY), a feature whose
// start fails stays unavailable for that account only, stop() runs in reverse order, skipped features never start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Req } from '../../app/ipc/contract';
import { defineFeature, type FeatureContext } from '../features/feature';
import { FeatureHost } from './feature-host';

const ctx = {} as FeatureContext;
const req = {} as Req<'files.list'>;

function features(log: string[], failFiles = false) {
  const files = defineFeature({
    name: 'files',
    async start() {
      if (failFiles) throw new Error('no listener');
      log.push('start files');
      return { stop: async () => void log.push('stop files'), list: () => [] };
    },
    handlers: { filesList: (f) => Promise.resolve(f.list()), filesCancel: async () => null },
    idle: { filesList: async () => [] },
  });
  const rooms = defineFeature({
    name: 'rooms',
    async start() {
      log.push('start rooms');
      return { stop: async () => void log.push('stop rooms') };
    },
    handlers: { conferenceList: async () => [] },
  });
  return [files, rooms] as const;
}

test('before sign-in the methods exist: the idle handler answers, the others say FEATURE_NOT_READY (not signed in)', async () => {
  const host = new FeatureHost(features([]), () => {});
  const m = host.methods();
  assert.deepEqual(await m.filesList(req), []);
  await assert.rejects(m.filesCancel({ transferId: 'x' }), { code: 'FEATURE_NOT_READY', message: 'not signed in' });
});

test('started for an account: handlers reach the instances; stop() runs in reverse order and the idle answers return', async () => {
  const log: string[] = [];
  const host = new FeatureHost(features(log), () => {});
  const m = host.methods();
  await host.start(ctx);
  assert.equal(await m.filesCancel({ transferId: 'x' }), null);
  assert.deepEqual(await m.conferenceList({}), []);
  await host.stop();
  assert.deepEqual(log, ['start files', 'start rooms', 'stop rooms', 'stop files']);
  await assert.rejects(m.conferenceList({}), { code: 'FEATURE_NOT_READY' });
});

test('a feature that cannot start is unavailable for this account (logged); the others run; skipped ones never start', async () => {
  const log: string[] = [];
  const lines: string[] = [];
  const host = new FeatureHost(features(log, true), (l) => lines.push(l));
  const m = host.methods();
  const started = host.start(ctx);
  const early = m.filesCancel({ transferId: 'x' }); // asked while starting: waits for the start to finish
  await started;
  await assert.rejects(early, { code: 'FEATURE_NOT_READY', message: 'files could not start for this account' });
  assert.deepEqual(await m.filesList(req), []);
  assert.deepEqual(await m.conferenceList({}), []);
  assert.deepEqual(lines, ['files unavailable: no listener']);
  await host.stop();
  const skipping = new FeatureHost(features(log), () => {});
  log.length = 0;
  await skipping.start(ctx, new Set(['rooms']));
  assert.deepEqual(log, ['start files']);
  await skipping.stop();
});
