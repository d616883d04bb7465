// docs/errors.md is the registry rendered (npm run docs:errors), and the registry holds every code the tree uses, and
// no code the tree does not use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_CODES, RETIRED_CODES } from '../main/base/error-codes';
import { DOC, renderErrorsDoc, usedCodes } from './gen-errors-doc';

test('docs/errors.md is up to date with the registry', () => {
  assert.ok(readFileSync(DOC, 'utf8') === renderErrorsDoc(), 'docs/errors.md is out of date: run npm run docs:errors');
});

test('every code used in the tree is registered, and every registered code is used', () => {
  const used = usedCodes();
  const missing = [...used].filter(([code]) => !(code in ERROR_CODES)).map(([code, files]) => `${code} (${files.join(', ')})`);
  assert.deepEqual(missing, [], `codes missing from main/base/error-codes.ts: ${missing.join('; ')}`);
  const unused = Object.keys(ERROR_CODES).filter((code) => !used.has(code));
  assert.deepEqual(unused, [], `registered but never used (remove them): ${unused.join(', ')}`);
});

test('retired codes point to registered ones and are not registered themselves', () => {
  for (const [old, now] of Object.entries(RETIRED_CODES)) {
    assert.equal(old in ERROR_CODES, false, old);
    assert.equal(now in ERROR_CODES, true, now);
  }
});

test('the scan sees codes in any quotes and skips the registry entries and Node codes', () => {
  const used = usedCodes();
  assert.ok(used.get('PEER_KEY_CHANGED')?.includes('main/security/peers.ts'));
  assert.ok(used.get('IPC_BAD_PAYLOAD')?.includes('app/ipc/contract.ts'));
  assert.equal(used.has('ERR_BUFFER_TOO_LARGE'), false);
  assert.equal(
    [...used.values()].flat().some((f) => f.startsWith('main/base/error-entries/')),
    false,
  );
});
