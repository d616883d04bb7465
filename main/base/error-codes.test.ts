// The registry's own rules: one entry per code, a one-sentence meaning, a known layer, a short plain user text.
// (That every code used in the tree is registered, and docs/errors.md, are checked by scripts/gen-errors-doc.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CODES, ERROR_LAYERS, ERROR_PARTS, errorInfo, isErrorCode } from './error-codes';
import { isParleyError, ParleyError } from './errors';

const codes = Object.keys(ERROR_CODES);

test('every code is registered once, in one part, and spelled as a stable code', () => {
  const inParts = ERROR_PARTS.flatMap((p) => Object.keys(p));
  assert.equal(inParts.length, new Set(inParts).size, 'a code is registered in two parts');
  assert.equal(codes.length, inParts.length);
  for (const c of codes) assert.match(c, /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/, c);
  assert.ok(Object.isFrozen(ERROR_CODES));
});

test('meanings are one sentence; layers are known', () => {
  for (const [code, e] of Object.entries(ERROR_CODES)) {
    assert.ok(ERROR_LAYERS.includes(e.layer), `${code}: layer ${e.layer}`);
    assert.match(e.meaning, /^\S.{10,150}[.)]$/, `${code}: meaning`);
    assert.doesNotMatch(e.meaning.slice(0, -1), /[.!?] [A-Z]/, `${code}: one sentence`);
  }
});

test('user texts are short and plain: no codes, no protocol words', () => {
  const jargon = /\b(SIP(?! address)|MSRP|SDP|CPIM|IMDN|XML|TLS|INVITE|AoR|E2E|PSK|IPC|HTTP|JSON|UTF-8|[A-Z]+_[A-Z_]+)\b|\(\)/;
  for (const [code, e] of Object.entries(ERROR_CODES)) {
    assert.match(e.userText, /^[A-Z].{5,90}\.$/, `${code}: user text`);
    assert.doesNotMatch(e.userText, jargon, `${code}: user text has jargon`);
  }
});

test('every timeout exits as a timeout in the CLI', () => {
  for (const [code, e] of Object.entries(ERROR_CODES)) if (/TIMEOUT/.test(code) && e.layer !== 'ipc') assert.equal(e.cli, 'TIMEOUT', code);
});

test('lookups accept only registered codes', () => {
  assert.equal(isErrorCode('PEER_KEY_CHANGED'), true);
  assert.equal(isErrorCode('ENOENT'), false);
  assert.equal(isErrorCode('constructor'), false);
  assert.equal(isErrorCode(undefined), false);
  assert.equal(errorInfo('toString'), undefined);
  assert.equal(errorInfo('SIP_AUTH_FAILED')?.cli, 'REGISTRATION');
});

test('ParleyError carries its user text from the registry', () => {
  const e = new ParleyError('CONF_ROOM_FULL', 'the focus answered 486', { status: 486 });
  assert.equal(e.userText, 'This room is full.');
  assert.equal(e.message, 'the focus answered 486');
  assert.ok(isParleyError(e, 'CONF_ROOM_FULL'));
  assert.ok(!isParleyError(e, 'CONF_NO_SUCH_ROOM'));
  // A code smuggled past the type check has no user text (the IPC boundary then hides it as IPC_INTERNAL).
  assert.equal(new ParleyError('ENOTREGISTERED' as never, 'x').userText, undefined);
});
