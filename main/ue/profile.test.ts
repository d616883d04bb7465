// Profile: account file, wrapper choice (OS > passphrase > dev key file), key file wrapper, sealed SIP password.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { insecureTestParams, PassphraseWrapper, WRAPPER_EXTERNAL, WRAPPER_KEY_FILE, type KeyWrapper } from '../security/key-wrapper';
import { KeyStore } from '../security/keystore';
import { initCrypto } from '../security/sodium';
import {
  accountDir,
  chooseKeyWrapper,
  KeyFileWrapper,
  KEYSTORE_FILE,
  loadSipPassword,
  openAccountKeyStore,
  readAccountFile,
  removeAccountFile,
  saveSipPassword,
  SECRETS_FILE,
  writeAccountFile,
} from './profile';

const tmp = () => mkdtemp(join(tmpdir(), 'parley-profile-'));

test('account.json round trip, no file -> null, corrupt -> PROFILE_CORRUPT, sign-out removes it', async () => {
  const dir = await tmp();
  assert.equal(await readAccountFile(dir), null);
  await writeAccountFile(dir, { v: 1, aor: 'sip:alice@parley.test', proxy: 'tls://127.0.0.1:5061', e2ePolicy: 'prefer' });
  assert.deepEqual(await readAccountFile(dir), { v: 1, aor: 'sip:alice@parley.test', proxy: 'tls://127.0.0.1:5061', e2ePolicy: 'prefer' });
  assert.equal((await stat(join(dir, 'account.json'))).mode & 0o777, 0o600);
  await writeFile(join(dir, 'account.json'), '{"v":1,"aor":"x"}');
  await assert.rejects(readAccountFile(dir), { code: 'PROFILE_CORRUPT' });
  await writeFile(join(dir, 'account.json'), 'not json');
  await assert.rejects(readAccountFile(dir), { code: 'PROFILE_CORRUPT' });
  await removeAccountFile(dir);
  assert.equal(await readAccountFile(dir), null);
  assert.equal(accountDir(dir, 'SIPS:alice@Parley.TEST;transport=tls'), join(dir, 'accounts', 'sip_alice@parley.test'));
});

test('wrapper choice: explicit OS wrapper, then passphrase (option or PARLEY_PASSPHRASE), then a 0600 key file', async () => {
  const dir = await tmp();
  const os = { id: WRAPPER_EXTERNAL, wrap: async (k: Uint8Array) => k, unwrap: async (b: Uint8Array) => b };
  assert.equal((await chooseKeyWrapper(dir, { keyWrapper: os, passphrase: 'x' })).protection, 'os');
  assert.equal((await chooseKeyWrapper(dir, { passphrase: 'x' })).protection, 'passphrase');
  assert.equal((await chooseKeyWrapper(dir, { env: { PARLEY_PASSPHRASE: 'y' } })).protection, 'passphrase');
  const kf = await chooseKeyWrapper(dir, { env: {} });
  assert.equal(kf.protection, 'key-file');
  const st = await stat(join(dir, 'keyfile'));
  assert.equal(st.mode & 0o777, 0o600);
  assert.equal(st.size, 32);
  const again = await chooseKeyWrapper(dir, {});
  await initCrypto();
  const key = new Uint8Array(32).fill(7);
  assert.deepEqual(await again.wrapper.unwrap(await kf.wrapper.wrap(key)), key, 'same key file, same wrapping key');
  await assert.rejects(new KeyFileWrapper(new Uint8Array(32)).unwrap(await kf.wrapper.wrap(key)));
  await assert.rejects(kf.wrapper.unwrap(new Uint8Array(10)), { code: 'KEYSTORE_UNWRAP_FAILED' });
  await writeFile(join(dir, 'keyfile'), 'short');
  await assert.rejects(chooseKeyWrapper(dir, {}), { code: 'PROFILE_BAD_KEYFILE' });
});

test('key store per account: created once, reopened; the SIP password is sealed in secrets.bin and bound to the account', async () => {
  const dir = await tmp();
  const w = new PassphraseWrapper('pw', insecureTestParams());
  const adir = accountDir(dir, 'sip:alice@parley.test');
  const ks = await openAccountKeyStore(adir, 'sip:alice@parley.test', w, 1);
  const fp = ks.identity().fingerprint;
  assert.equal(await loadSipPassword(adir, ks), null);
  await saveSipPassword(adir, ks, 'alice-secret');
  const raw = await readFile(join(adir, SECRETS_FILE));
  assert.ok(!raw.includes(Buffer.from('alice-secret')), 'not in clear');
  assert.equal((await stat(join(adir, SECRETS_FILE))).mode & 0o777, 0o600);
  await ks.close();
  const ks2 = await openAccountKeyStore(adir, 'sip:alice@parley.test', w, 2);
  assert.equal(ks2.identity().fingerprint, fp);
  assert.equal(await loadSipPassword(adir, ks2), 'alice-secret');
  raw[raw.length - 1] ^= 1;
  await writeFile(join(adir, SECRETS_FILE), raw);
  await assert.rejects(loadSipPassword(adir, ks2), { code: 'PROFILE_SECRETS_CORRUPT' });
  await ks2.close();
  // Another account's key store cannot open this account's secrets.
  const bdir = accountDir(dir, 'sip:bob@parley.test');
  const kb = await openAccountKeyStore(bdir, 'sip:bob@parley.test', w, 3);
  await saveSipPassword(bdir, kb, 'bob-secret');
  await writeFile(join(adir, SECRETS_FILE), await readFile(join(bdir, SECRETS_FILE)));
  const ka = await KeyStore.open(join(adir, KEYSTORE_FILE), w);
  await assert.rejects(loadSipPassword(adir, ka), { code: 'PROFILE_SECRETS_CORRUPT' });
  await Promise.all([ka.close(), kb.close()]);
  await assert.rejects(openAccountKeyStore(adir, 'sip:alice@parley.test', new PassphraseWrapper('wrong', insecureTestParams()), 4), {
    code: 'KEYSTORE_BAD_PASSPHRASE',
  });
});

test('wrapper ids are distinct: a key-file store is id 3, an old one written as id 2 still opens and is rewritten as 3', async () => {
  await initCrypto();
  const dir = await tmp();
  const fileKey = new Uint8Array(32).fill(7);
  const kf = new KeyFileWrapper(fileKey);
  assert.equal(kf.id, WRAPPER_KEY_FILE);
  assert.notEqual(WRAPPER_KEY_FILE, WRAPPER_EXTERNAL);
  // as written before issue 12: the key-file blob under the OS key storage id
  const old: KeyWrapper = { id: WRAPPER_EXTERNAL, wrap: (k) => kf.wrap(k), unwrap: (b) => kf.unwrap(b) };
  const path = join(dir, KEYSTORE_FILE);
  (await KeyStore.create(path, old, { aor: 'sip:alice@parley.test' })).close();
  assert.equal((await readFile(path))[9], WRAPPER_EXTERNAL);
  const ks = await KeyStore.open(path, kf);
  await ks.setPsk('sip:bob@parley.test', new Uint8Array(32).fill(1)); // any write stores the new id
  ks.close();
  assert.equal((await readFile(path))[9], WRAPPER_KEY_FILE);
  // an OS key storage wrapper is no longer taken for the key file (or the other way round)
  await assert.rejects(KeyStore.open(path, old), { code: 'KEYSTORE_WRONG_WRAPPER' });
});

test('allowKeyFile false (the desktop app): no OS storage and no passphrase is KEYSTORE_NO_PROTECTION, no key file made', async () => {
  const dir = await tmp();
  await assert.rejects(chooseKeyWrapper(dir, { env: {}, allowKeyFile: false }), { code: 'KEYSTORE_NO_PROTECTION' });
  await assert.rejects(stat(join(dir, 'keyfile')), { code: 'ENOENT' });
  assert.equal((await chooseKeyWrapper(dir, { env: { PARLEY_PASSPHRASE: 'pp' }, allowKeyFile: false })).protection, 'passphrase');
});
