import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeSecurityStatus } from './status';

test('verified 1:1 with TLS to the proxy', () => {
  const s = computeSecurityStatus({ e2e: 'on', peerKeyStates: ['verified'], hops: [{ hop: 'proxy', protocol: 'tls' }] });
  assert.equal(s.summary, 'End-to-end encrypted · key verified · TLS to proxy');
  assert.equal(s.level, 'verified');
  assert.equal(s.canSend, true);
});

test('changed key is a warning and blocks sending', () => {
  const s = computeSecurityStatus({
    e2e: 'on',
    peerKeyStates: ['changed'],
    hops: [
      { hop: 'proxy', protocol: 'tls' },
      { hop: 'relay', protocol: 'msrp' },
    ],
  });
  assert.equal(s.level, 'warning');
  assert.equal(s.canSend, false);
  assert.equal(s.transport, 'partial');
  assert.equal(s.summary, 'End-to-end encrypted · KEY CHANGED: confirm before sending · TLS to proxy, not to relay');
});

test('e2e off, no TLS, unprotected messages, unverified cert, groups', () => {
  const off = computeSecurityStatus({
    e2e: 'off',
    peerKeyStates: ['unknown'],
    hops: [{ hop: 'proxy', protocol: 'udp' }],
    unprotectedMessages: 3,
  });
  assert.equal(off.level, 'unprotected');
  assert.equal(off.summary, 'Not end-to-end encrypted · no TLS · 3 unprotected messages');
  const warn = computeSecurityStatus({
    e2e: 'psk',
    peerKeyStates: ['unverified'],
    hops: [{ hop: 'proxy', protocol: 'tls', certificateVerified: false }],
    unprotectedMessages: 1,
  });
  assert.equal(warn.level, 'warning');
  assert.equal(warn.transport, 'none');
  assert.equal(warn.summary, 'End-to-end encrypted + shared passphrase · key not verified · no TLS · 1 unprotected message');
  const group = computeSecurityStatus({ e2e: 'on', peerKeyStates: ['verified', 'unverified', 'verified'], hops: [] });
  assert.equal(group.keyState, 'mixed');
  assert.equal(group.level, 'encrypted');
  assert.equal(group.summary, 'End-to-end encrypted · 2 of 3 keys verified · transport unknown');
});
