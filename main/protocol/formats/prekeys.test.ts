// Prekey layouts and directory bodies: structure, limits, truncation at every offset, round trips.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isParleyError } from '../../base/errors';
import type { ErrorCode } from '../../base/error-codes';
import {
  parseBundle,
  parseOneTime,
  encodeDirectoryRequest,
  parseDirectoryRequest,
  encodeDirectoryReply,
  parseDirectoryReply,
  KEM_PUBLIC_LEN,
  MAX_ONE_TIME_PER_PUBLISH,
  type DirectoryRequest,
  type DirectoryReply,
} from './prekeys';

const aor = new TextEncoder().encode('sip:bob@parley.test');
const be = (n: number, len: number) => Uint8Array.from({ length: len }, (_, i) => Math.floor(n / 256 ** (len - 1 - i)) % 256);
const bundle = Uint8Array.from([
  ...new TextEncoder().encode('PPKB'),
  1,
  ...be(aor.length, 2),
  ...aor,
  ...new Uint8Array(32).fill(1),
  ...be(1_800_000_000_000, 8),
  ...be(7, 4),
  ...new Uint8Array(32).fill(2),
  ...be(8, 4),
  ...new Uint8Array(KEM_PUBLIC_LEN).fill(3),
  ...new Uint8Array(64).fill(4),
]);
const oneTime = Uint8Array.from([1, ...be(9, 4), ...new Uint8Array(32).fill(5), ...new Uint8Array(64).fill(6)]);

test('bundle and one-time layouts parse; every truncation and a trailing byte are PREKEY_BAD_FORMAT', () => {
  const b = parseBundle(bundle);
  assert.equal(b.aor, 'sip:bob@parley.test');
  assert.equal(b.created, 1_800_000_000_000);
  assert.equal(b.signedPrekey.id, 7);
  assert.equal(b.kemPrekey.id, 8);
  assert.equal(parseOneTime(oneTime).id, 9);
  for (const [what, bytes, parse] of [
    ['bundle', bundle, parseBundle],
    ['one-time', oneTime, parseOneTime],
  ] as const) {
    for (let i = 0; i < bytes.length; i++)
      assert.throws(
        () => parse(bytes.subarray(0, i)),
        (e) => isParleyError(e, 'PREKEY_BAD_FORMAT'),
        `${what} cut at ${i}`,
      );
    assert.throws(
      () => parse(Uint8Array.from([...bytes, 0])),
      (e) => isParleyError(e, 'PREKEY_BAD_FORMAT'),
    );
  }
  const v2 = bundle.slice();
  v2[4] = 2;
  assert.throws(
    () => parseBundle(v2),
    (e) => isParleyError(e, 'PREKEY_BAD_FORMAT') && e.details?.version === 2,
  );
});

test('directory bodies round-trip and are bounded', () => {
  const reqs: DirectoryRequest[] = [
    { v: 1, op: 'publish', id: 'abc', bundle, oneTime: [oneTime], replaceOneTime: false },
    { v: 1, op: 'publish', id: 'abd', oneTime: [oneTime], replaceOneTime: true },
    { v: 1, op: 'fetch', id: 'x-1', aor: 'sip:bob@parley.test' },
    { v: 1, op: 'status', id: 'y_2' },
  ];
  for (const r of reqs) {
    const back = parseDirectoryRequest(encodeDirectoryRequest(r));
    assert.deepEqual(back, r.op === 'publish' && !r.bundle ? { ...r, bundle: undefined } : r);
  }
  const reps: DirectoryReply[] = [
    { v: 1, op: 'publish', re: 'abc', oneTimeCount: 3 },
    { v: 1, op: 'fetch', re: 'x-1', aor: 'sip:bob@parley.test', bundle, oneTime: null },
    { v: 1, op: 'status', re: 'y_2', bundle: null, oneTimeCount: 0, updated: null },
  ];
  for (const r of reps) assert.deepEqual(parseDirectoryReply(encodeDirectoryReply(r)), r);
  const bad = (body: string, c: ErrorCode = 'KEYDIR_BAD_REQUEST') =>
    assert.throws(
      () => parseDirectoryRequest(body),
      (e) => isParleyError(e, c),
      body,
    );
  bad('nope');
  bad('[]');
  bad('{"v":2,"op":"status","id":"a"}');
  bad('{"v":1,"op":"status","id":"bad id"}');
  bad('{"v":1,"op":"fetch","id":"a","aor":"<sip:bob@x>"}');
  bad('{"v":1,"op":"drop","id":"a"}');
  bad(`{"v":1,"op":"publish","id":"a","oneTime":${JSON.stringify(Array(MAX_ONE_TIME_PER_PUBLISH + 1).fill('AQ'))}}`);
  bad('{"v":1,"op":"publish","id":"a","oneTime":["!!"]}');
  bad(JSON.stringify({ v: 1, op: 'status', id: 'a', pad: 'x'.repeat(70_000) }), 'KEYDIR_TOO_LARGE');
});
