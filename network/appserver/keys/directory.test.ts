// The prekey directory store without SIP: own-AoR publishing, one one-time prekey per fetch, drain protection, limits, file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initCrypto } from '../../../main/security/sodium';
import { LocalIdentity } from '../../../main/security/identity';
import { PrekeySecrets } from '../../../main/security/prekey-secrets';
import { isParleyError } from '../../../main/base/errors';
import type { ErrorCode } from '../../../main/base/error-codes';
import { KeyDirectory } from './directory';

const T = 1_800_000_000_000;
let dir: string;
let bob: LocalIdentity, carol: LocalIdentity;
before(async () => {
  await initCrypto();
  dir = await mkdtemp(join(tmpdir(), 'parley-keydir-'));
  [bob, carol] = ['bob', 'carol'].map((n) => LocalIdentity.generate(`sip:${n}@parley.test`));
});
after(() => rm(dir, { recursive: true, force: true }));
const code = (c: ErrorCode) => (e: unknown) => isParleyError(e, c);

test("publish for one's own AoR only; fetch hands out each one-time prekey once, then the signed prekey alone", async () => {
  const file = join(dir, 'keys.json');
  const d = await KeyDirectory.open(file);
  const pk = PrekeySecrets.create(T);
  const otks = pk.generateOneTime(bob, 2);
  assert.equal(await d.publish(bob.aor, pk.bundle(bob), otks, false, T), 2);
  await assert.rejects(d.publish(carol.aor, pk.bundle(bob), [], false, T), code('KEYDIR_FORBIDDEN'));
  await assert.rejects(d.publish(bob.aor, undefined, [new Uint8Array(50)], false, T), code('KEYDIR_BAD_REQUEST'));
  const f1 = await d.fetch('sip:alice@parley.test', bob.aor, T);
  assert.deepEqual(f1!.oneTime, otks[0]);
  const again = await d.fetch('sip:alice@parley.test', bob.aor, T + 1000);
  assert.equal(again!.oneTime, null, 'the same requester gets no second one-time prekey within the hour');
  const f2 = await d.fetch('sip:carol@parley.test', bob.aor, T);
  assert.deepEqual(f2!.oneTime, otks[1]);
  const f3 = await d.fetch('sip:dave@parley.test', bob.aor, T);
  assert.equal(f3!.oneTime, null, 'exhausted: signed prekey only');
  assert.deepEqual(f3!.bundle, pk.bundle(bob));
  assert.equal(await d.fetch('sip:dave@parley.test', carol.aor, T), undefined);
  // persisted: a restarted directory has the same state
  await d.persist();
  const d2 = await KeyDirectory.open(file);
  assert.equal(d2.status(bob.aor).oneTimeCount, 0);
  assert.match(await readFile(file, 'utf8'), /"v":1/);
});

test('limits: one-time prekeys per user; a new identity key replaces the old one-time prekeys', async () => {
  const d = await KeyDirectory.open(undefined, { maxOneTimePerUser: 3, maxUsers: 1 });
  const pk = PrekeySecrets.create(T);
  await d.publish(bob.aor, pk.bundle(bob), pk.generateOneTime(bob, 3), false, T);
  await assert.rejects(d.publish(bob.aor, undefined, pk.generateOneTime(bob, 1), false, T), code('KEYDIR_TOO_MANY'));
  assert.equal(await d.publish(bob.aor, undefined, pk.generateOneTime(bob, 2), true, T), 2, 'replaceOneTime starts afresh');
  const bob2 = LocalIdentity.generate(bob.aor);
  assert.equal(await d.publish(bob.aor, PrekeySecrets.create(T).bundle(bob2), [], false, T), 0);
  await assert.rejects(d.publish(carol.aor, PrekeySecrets.create(T).bundle(carol), [], false, T), code('KEYDIR_FULL'));
});
