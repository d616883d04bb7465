import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseEnvelope, decodeEnvelopeBody } from './envelope';
import { parseKeyMgmtPayload, parseKeyMgmtAttribute } from './session-keys';
import { decodeQrPayload } from './safety-number';
import { parseKeyStoreFile } from './keystore';
import { verifyKeyRequest } from './key-request';
import { normalizeAoR } from './aor';
import { GroupSession } from './group-keys';
import { initCrypto } from './sodium';
import { isParleyError } from '../base/errors';

before(async () => {
  await initCrypto();
});

/** Any input either parses or throws a ParleyError: never a TypeError/RangeError/crash. */
function typedOnly(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    assert.ok(isParleyError(e), `untyped error: ${String(e)}`);
  }
}

test('binary parsers reject arbitrary bytes with typed errors only', () => {
  const g = new GroupSession({ conferenceId: 'c', me: 'sip:me@x' });
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
      typedOnly(() => parseEnvelope(b));
      typedOnly(() => parseKeyMgmtPayload(b));
      typedOnly(() => parseKeyStoreFile(b));
      typedOnly(() => g.decrypt(b));
    }),
    { numRuns: 2000 },
  );
  // Structured prefixes reach deeper code paths.
  const magic = new Uint8Array([0x50, 0x45, 0x32, 0x45, 1, 0]);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), (b) => typedOnly(() => parseEnvelope(new Uint8Array([...magic, ...b])))),
    { numRuns: 2000 },
  );
});

test('text parsers reject arbitrary strings with typed errors only', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (s) => {
      typedOnly(() => decodeEnvelopeBody(s));
      typedOnly(() => parseKeyMgmtAttribute(s));
      typedOnly(() => decodeQrPayload(s));
      typedOnly(() => verifyKeyRequest(s, { sipFrom: 'sip:a@x', me: 'sip:b@x' }));
      typedOnly(() => normalizeAoR(s));
    }),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(fc.dictionary(fc.constantFrom('v', 'type', 'from', 'to', 'key', 'nonce', 'ts', 'sig'), fc.jsonValue()), (o) =>
      typedOnly(() => verifyKeyRequest(JSON.stringify({ v: 1, type: 'key-request', ...o }), { sipFrom: 'sip:a@x', me: 'sip:b@x' })),
    ),
    { numRuns: 1000 },
  );
});
