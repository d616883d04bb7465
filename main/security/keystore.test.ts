import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile, rm, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyStore } from './keystore';
import { PassphraseWrapper, insecureTestParams, type KeyWrapper } from './key-wrapper';
import { initCrypto } from './sodium';
import { verifySignature } from './identity';
import { isParleyError } from '../base/errors';

let dir: string;
before(async () => {
  await initCrypto();
  dir = await mkdtemp(join(tmpdir(), 'parley-ks-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const pw = (p: string) => new PassphraseWrapper(p, insecureTestParams());

test('create, reopen with the passphrase: same identity, data key, sections, PSKs', async () => {
  const path = join(dir, 'a.ks');
  const ks = await KeyStore.create(path, pw('correct horse'), { aor: 'Alice <sip:alice@Example.COM;transport=tcp>' });
  const id = ks.identity();
  assert.equal(id.aor, 'sip:alice@example.com');
  assert.equal(id.publicKey.length, 32);
  assert.match(id.fingerprint, /^([0-9a-f]{4} ){9}[0-9a-f]{4}$/);
  const sig = ks.signer().sign(new Uint8Array([1, 2, 3]));
  assert.ok(verifySignature(id.publicKey, new Uint8Array([1, 2, 3]), sig));
  const hk = await ks.getDataKey('history');
  await ks.setSection('peers', { x: 1 });
  await ks.setPsk('sip:bob@example.com', new Uint8Array(32).fill(7));
  const other = await ks.getDataKey('files');
  await ks.close();

  const ks2 = await KeyStore.open(path, pw('correct horse'));
  assert.deepEqual(ks2.identity().publicKey, id.publicKey);
  assert.deepEqual(await ks2.getDataKey('history'), hk);
  assert.deepEqual(await ks2.getDataKey('files'), other);
  assert.notDeepEqual(hk, other);
  assert.deepEqual(ks2.getSection('peers'), { x: 1 });
  assert.deepEqual(ks2.getPsk('sip:BOB@example.com;x=y') === undefined, true, 'user part is case sensitive');
  assert.deepEqual(ks2.getPsk('<sip:bob@EXAMPLE.com>'), new Uint8Array(32).fill(7));
  await ks2.close();
  assert.throws(
    () => ks2.identity(),
    (e) => isParleyError(e, 'KEYSTORE_CLOSED'),
  );
});

test('the file holds no plaintext secrets or AoR', async () => {
  const path = join(dir, 'plain.ks');
  const ks = await KeyStore.create(path, pw('pw'), { aor: 'sip:secretname@example.com' });
  await ks.close();
  const raw = Buffer.from(await readFile(path));
  assert.equal(raw.subarray(0, 8).toString(), 'PARLEYKS');
  assert.equal(raw.indexOf('secretname'), -1);
});

test('wrong passphrase -> KEYSTORE_BAD_PASSPHRASE, file untouched', async () => {
  const path = join(dir, 'b.ks');
  await (await KeyStore.create(path, pw('right'), { aor: 'sip:b@example.com' })).close();
  const before = await readFile(path);
  await assert.rejects(KeyStore.open(path, pw('wrong')), (e) => isParleyError(e, 'KEYSTORE_BAD_PASSPHRASE'));
  assert.deepEqual(await readFile(path), before);
});

test('truncated file and every flipped byte -> KEYSTORE_CORRUPT, file untouched', async () => {
  const path = join(dir, 'c.ks');
  await (await KeyStore.create(path, pw('right'), { aor: 'sip:c@example.com' })).close();
  const good = new Uint8Array(await readFile(path));
  for (const len of [0, 5, 40, good.length - 33, good.length - 1]) {
    await writeFile(path, good.subarray(0, len));
    await assert.rejects(KeyStore.open(path, pw('right')), (e) => isParleyError(e, 'KEYSTORE_CORRUPT'), `truncated to ${len}`);
    assert.equal((await readFile(path)).length, len);
  }
  const step = Math.max(1, Math.floor(good.length / 97));
  for (let i = 0; i < good.length; i += step) {
    const bad = good.slice();
    bad[i] ^= 0x40;
    await writeFile(path, bad);
    await assert.rejects(KeyStore.open(path, pw('right')), (e) => isParleyError(e, 'KEYSTORE_CORRUPT'), `flip at ${i}`);
    assert.deepEqual(new Uint8Array(await readFile(path)), bad);
  }
  await writeFile(path, good);
  await (await KeyStore.open(path, pw('right'))).close();
});

test('create refuses to overwrite; open of a missing file is typed', async () => {
  const path = join(dir, 'd.ks');
  await (await KeyStore.create(path, pw('x'), { aor: 'sip:d@example.com' })).close();
  await assert.rejects(KeyStore.create(path, pw('x'), { aor: 'sip:d@example.com' }), (e) => isParleyError(e, 'KEYSTORE_EXISTS'));
  await assert.rejects(KeyStore.open(join(dir, 'nope.ks'), pw('x')), (e) => isParleyError(e, 'KEYSTORE_NOT_FOUND'));
});

class FakeOsWrapper implements KeyWrapper {
  readonly id = 2;
  fail = false;
  async wrap(key: Uint8Array) {
    return Uint8Array.from(key, (b) => b ^ 0x5a);
  }
  async unwrap(blob: Uint8Array) {
    if (this.fail) throw new Error('safeStorage unavailable');
    return Uint8Array.from(blob, (b) => b ^ 0x5a);
  }
}

test('external KeyWrapper, wrong wrapper kind, unwrap failure, rewrap to a passphrase', async () => {
  const path = join(dir, 'e.ks');
  const os = new FakeOsWrapper();
  const ks = await KeyStore.create(path, os, { aor: 'sip:e@example.com' });
  const pk = ks.identity().publicKey;
  await ks.close();
  await assert.rejects(KeyStore.open(path, pw('x')), (e) => isParleyError(e, 'KEYSTORE_WRONG_WRAPPER'));
  os.fail = true;
  await assert.rejects(KeyStore.open(path, os), (e) => isParleyError(e, 'KEYSTORE_UNWRAP_FAILED'));
  os.fail = false;
  const ks2 = await KeyStore.open(path, os);
  await ks2.rewrap(pw('new pass'));
  await ks2.close();
  await assert.rejects(KeyStore.open(path, os), (e) => isParleyError(e, 'KEYSTORE_WRONG_WRAPPER'));
  const ks3 = await KeyStore.open(path, pw('new pass'));
  assert.deepEqual(ks3.identity().publicKey, pk);
  await ks3.close();
});

test('concurrent writes are serialized and leave no temp files', async () => {
  const path = join(dir, 'f.ks');
  const ks = await KeyStore.create(path, pw('x'), { aor: 'sip:f@example.com' });
  const keys = await Promise.all(Array.from({ length: 10 }, (_, i) => ks.getDataKey(`k${i}`)));
  const again = await Promise.all([ks.getDataKey('same'), ks.getDataKey('same')]);
  assert.deepEqual(again[0], again[1]);
  await ks.close();
  const ks2 = await KeyStore.open(path, pw('x'));
  for (let i = 0; i < 10; i++) assert.deepEqual(await ks2.getDataKey(`k${i}`), keys[i]);
  assert.deepEqual(await ks2.getDataKey('same'), again[0]);
  await ks2.close();
  assert.deepEqual(
    (await readdir(dir)).filter((n) => n.includes('.tmp-')),
    [],
  );
});

test('default Argon2id parameters are moderate and stored in the file', async () => {
  const s = await initCrypto();
  const path = join(dir, 'g.ks');
  await (await KeyStore.create(path, new PassphraseWrapper('pw'), { aor: 'sip:g@example.com' })).close();
  const raw = new Uint8Array(await readFile(path));
  const dv = new DataView(raw.buffer, raw.byteOffset);
  // blob starts at 12: version, alg, ops u32, mem u32
  assert.equal(raw[12], 1);
  assert.equal(raw[13], 2);
  assert.equal(dv.getUint32(14), s.crypto_pwhash_OPSLIMIT_MODERATE);
  assert.equal(dv.getUint32(18), s.crypto_pwhash_MEMLIMIT_MODERATE);
});
