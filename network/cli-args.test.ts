import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_APP_SERVER_PORT, parseAccount, parseCli } from './cli-args';

test('npm run network defaults: app server on, default port, no extra accounts', () => {
  const o = parseCli([]);
  assert.equal(o.appServer, true);
  assert.equal(o.appServerPort, DEFAULT_APP_SERVER_PORT);
  assert.deepEqual(o.accounts, []);
  assert.equal(o.shmMb, undefined);
});

test('flags: ports, accounts, app server switches, shared memory', () => {
  const o = parseCli([
    '--sip-port',
    '6060',
    '--account',
    'dave:pw:with:colons',
    '--no-app-server',
    '--shm-mb',
    '128',
    '--app-server-port',
    '6090',
  ]);
  assert.equal(o.ports.sip, 6060);
  assert.deepEqual(o.accounts, [{ user: 'dave', password: 'pw:with:colons' }]);
  assert.equal(o.appServer, false);
  assert.equal(o.appServerPort, 6090);
  assert.equal(o.shmMb, 128);
});

test('bad values are usage errors with the flag named', () => {
  assert.throws(() => parseCli(['--sip-port', '70000']), /--sip-port expects a port/);
  assert.throws(() => parseCli(['--shm-mb', '8']), /--shm-mb expects 16-4096/);
  assert.throws(() => parseCli(['--account', 'nopassword']), /user:password/);
  assert.throws(() => parseCli(['--bogus']), /unknown option --bogus/);
  assert.throws(() => parseCli(['--groups']), /--groups needs a value/);
  assert.throws(() => parseAccount(':x'), /user:password/);
});

test('two networks by default; --single-network leaves example.test out; --peer-account adds to it', () => {
  const d = parseCli([]);
  assert.equal(d.singleNetwork, false);
  assert.deepEqual(d.peerAccounts, []);
  const o = parseCli(['--single-network', '--peer-account', 'frank:pw']);
  assert.equal(o.singleNetwork, true);
  assert.deepEqual(o.peerAccounts, [{ user: 'frank', password: 'pw' }]);
});
