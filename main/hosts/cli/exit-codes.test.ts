// The CLI's one mapping from failure codes to exit codes comes from the registry (main/base/error-codes.ts) and keeps the
// table of docs/cli.md true.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CODES } from '../../base/error-codes';
import { ParleyError } from '../../base/errors';
import { cliError, EXIT, exitCodeFor, exitCodeOf } from './exit-codes';

test('the exit code table of docs/cli.md', () => {
  const table: [string, number][] = [
    ['SIP_AUTH_FAILED', EXIT.REGISTRATION],
    ['SIP_TLS_ERROR', EXIT.REGISTRATION],
    ['SIP_REGISTRATION_FAILED', EXIT.REGISTRATION],
    ['SIP_TRANSPORT_ERROR', EXIT.REGISTRATION],
    ['MSRP_RELAY_AUTH_FAILED', EXIT.REGISTRATION],
    ['404', EXIT.SIP_FAILURE],
    ['603', EXIT.SIP_FAILURE],
    ['SIP_FAILURE', EXIT.SIP_FAILURE],
    ['SESSION_DECLINED', EXIT.SIP_FAILURE],
    ['SESSION_REJECTED', EXIT.SIP_FAILURE],
    ['MSRP_SEND_FAILED', EXIT.SIP_FAILURE],
    ['CONF_NICKNAME_TAKEN', EXIT.SIP_FAILURE],
    ['CONTACT_BLOCKED', EXIT.SIP_FAILURE],
    ['SIP_REGISTER_TIMEOUT', EXIT.TIMEOUT],
    ['SIP_TIMEOUT', EXIT.TIMEOUT],
    ['SESSION_CANCELLED', EXIT.TIMEOUT],
    ['CONF_JOIN_TIMEOUT', EXIT.TIMEOUT],
    ['PEER_KEY_CHANGED', EXIT.MISMATCH],
    ['SECURITY_PEER_KEY_UNKNOWN', EXIT.UNKNOWN_KEY],
    ['KEYSTORE_WRONG_WRAPPER', EXIT.USAGE],
    ['KEYSTORE_BAD_PASSPHRASE', EXIT.USAGE],
    ['PROFILE_LOCKED', EXIT.USAGE],
    ['PROFILE_IN_USE', EXIT.USAGE],
  ];
  for (const [code, exit] of table) assert.equal(exitCodeFor(code, EXIT.INTERNAL), exit, code);
});

test('codes the registry does not map take the command default', () => {
  assert.equal(exitCodeFor('E2E_TAMPERED', EXIT.INTERNAL), EXIT.INTERNAL);
  assert.equal(exitCodeFor('E2E_TAMPERED', EXIT.SIP_FAILURE), EXIT.SIP_FAILURE);
  assert.equal(exitCodeFor('FAILED', EXIT.INTERNAL), EXIT.INTERNAL);
  assert.equal(exitCodeFor(undefined, EXIT.REGISTRATION), EXIT.REGISTRATION);
  assert.equal(exitCodeFor('200', EXIT.INTERNAL), EXIT.INTERNAL);
  assert.equal(exitCodeOf(new Error('boom'), EXIT.INTERNAL), EXIT.INTERNAL);
  assert.equal(exitCodeOf(new ParleyError('SIP_REGISTER_TIMEOUT', 'late'), EXIT.REGISTRATION), EXIT.TIMEOUT);
});

test('send keeps its earlier mapping for the codes it named, except timeouts (5) and relay AUTH (3)', () => {
  // The rule `parley send` had before the registry (commands/send.ts), with SECURITY_KEY_CHANGED now PEER_KEY_CHANGED.
  const before = (code: string): number =>
    /^[3-6][0-9][0-9]$/.test(code)
      ? EXIT.SIP_FAILURE
      : code === 'SIP_TIMEOUT'
        ? EXIT.TIMEOUT
        : code === 'SIP_TRANSPORT_ERROR'
          ? EXIT.REGISTRATION
          : code === 'PEER_KEY_CHANGED'
            ? EXIT.MISMATCH
            : /^(MSRP_|SESSION_|IMDN_|CONTACT_BLOCKED)/.test(code)
              ? EXIT.SIP_FAILURE
              : EXIT.INTERNAL;
  const changed = Object.keys(ERROR_CODES)
    .filter((c) => /^(MSRP_|SESSION_|IMDN_|CONTACT_BLOCKED|SIP_TIMEOUT|SIP_TRANSPORT_ERROR|PEER_KEY_CHANGED)/.test(c))
    .filter((c) => exitCodeFor(c, EXIT.INTERNAL) !== before(c));
  assert.deepEqual(changed.sort(), ['MSRP_CONNECT_TIMEOUT', 'MSRP_RELAY_AUTH_FAILED', 'MSRP_TIMEOUT', 'SESSION_CANCELLED']);
});

test('cliError names the code and exits as the registry says', () => {
  const e = cliError('PROFILE_IN_USE', 'profile /tmp/p is in use by parley listen (pid 7)');
  assert.equal(e.exitCode, EXIT.USAGE);
  assert.equal(e.message, 'PROFILE_IN_USE: profile /tmp/p is in use by parley listen (pid 7)');
});
