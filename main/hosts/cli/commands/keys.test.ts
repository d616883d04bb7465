// `parley keys` against a UE profile built offline: show, fingerprint (same number as the peer computes), verify.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initCrypto } from '../../../security/sodium';
import { LocalIdentity } from '../../../security/identity';
import { PeerKeys } from '../../../security/peers';
import { KeyStore } from '../../../security/keystore';
import { safetyNumberDigits } from '../../../security/safety-number';
import { accountDir, chooseKeyWrapper, KEYSTORE_FILE, openAccountKeyStore, writeAccountFile } from '../../../ue/profile';
import { CliExit } from '../exit-codes';
import { EXIT_MISMATCH, EXIT_UNKNOWN_KEY, keysCommand } from './keys';

let dir: string;
let bob: LocalIdentity;
let myKey: Uint8Array;
const ALICE = 'sip:alice@parley.test';

before(async () => {
  await initCrypto();
  dir = await mkdtemp(join(tmpdir(), 'parley-keys-'));
  await writeAccountFile(dir, { v: 1, aor: ALICE, proxy: 'tls://127.0.0.1:5061' });
  const w = await chooseKeyWrapper(dir, {}); // dev key file
  const ks = await openAccountKeyStore(accountDir(dir, ALICE), ALICE, w.wrapper, Date.now());
  myKey = ks.identity().publicKey;
  bob = LocalIdentity.generate('sip:bob@parley.test');
  await PeerKeys.fromKeyStore(ks).observe('sip:bob@parley.test', bob.publicKey, 'key-response');
  await ks.close();
});

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io = { out: (l: string) => (out += `${l}\n`), err: (l: string) => (err += `${l}\n`) };
  try {
    return { code: await keysCommand.run([...argv, '--profile', dir], io), out, err };
  } catch (e) {
    if (e instanceof CliExit) return { code: e.exitCode, out, err: err + e.message };
    throw e;
  }
}

test('show prints the account and its fingerprint', async () => {
  const r = await run('show');
  assert.equal(r.code, 0);
  assert.match(r.out, /^sip:alice@parley\.test\n {2}fingerprint ([0-9a-f]{4} ){9}[0-9a-f]{4}\n$/);
  assert.match(r.err, /key file only/);
});

test('fingerprint prints the same safety number the peer computes', async () => {
  const r = await run('fingerprint', 'bob');
  assert.equal(r.code, 0);
  const expected = safetyNumberDigits({ aor: 'sip:bob@parley.test', key: bob.publicKey }, { aor: ALICE, key: myKey });
  const shown = /\n {2}([0-9 ]+)\n/.exec(r.out)![1]!.replace(/ /g, '');
  assert.equal(shown, expected);
  assert.match(r.out, /\(unverified\)/);
  assert.equal((await run('fingerprint', 'sip:carol@parley.test')).code, EXIT_UNKNOWN_KEY);
});

test('verify: a wrong number exits 6; the right one (spaces allowed) marks the peer verified', async () => {
  const digits = safetyNumberDigits({ aor: ALICE, key: myKey }, { aor: 'sip:bob@parley.test', key: bob.publicKey });
  const wrong = (digits[0] === '9' ? '0' : '9') + digits.slice(1);
  assert.equal((await run('verify', 'bob', wrong)).code, EXIT_MISMATCH);
  assert.equal((await run('verify', 'bob', '12345')).code, 2);
  const grouped = digits.match(/.{5}/g)!;
  const ok = await run('verify', 'bob', ...grouped);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /^verified sip:bob@parley\.test/);
  const w = await chooseKeyWrapper(dir, {});
  const ks = await KeyStore.open(join(accountDir(dir, ALICE), KEYSTORE_FILE), w.wrapper);
  assert.equal(PeerKeys.fromKeyStore(ks).state('sip:bob@parley.test'), 'verified');
  await ks.close();
});

test('usage errors and a missing profile', async () => {
  assert.equal((await run()).code, 2);
  assert.equal((await run('frobnicate')).code, 2);
  assert.equal((await run('verify', 'bob')).code, 2);
  const empty = await mkdtemp(join(tmpdir(), 'parley-keys-empty-'));
  let code = 0;
  try {
    await keysCommand.run(['show', '--profile', empty], { out: () => {}, err: () => {} });
  } catch (e) {
    code = (e as CliExit).exitCode;
  }
  assert.equal(code, 2);
});

test('accept: a changed key is refused by fingerprint (warning) until accepted; then pinned unverified', async () => {
  const w = await chooseKeyWrapper(dir, {});
  const path = join(accountDir(dir, ALICE), KEYSTORE_FILE);
  const dave = LocalIdentity.generate('sip:dave@parley.test');
  const dave2 = LocalIdentity.generate('sip:dave@parley.test');
  let ks = await KeyStore.open(path, w.wrapper);
  await PeerKeys.fromKeyStore(ks).observe('sip:dave@parley.test', dave.publicKey, 'key-response');
  await PeerKeys.fromKeyStore(ks).observe('sip:dave@parley.test', dave2.publicKey, 'envelope');
  assert.equal(PeerKeys.fromKeyStore(ks).state('sip:dave@parley.test'), 'changed');
  await ks.close();
  const before = await run('fingerprint', 'dave');
  assert.match(before.err, /presented a new key .*parley keys accept dave/);
  const none = await run('accept', 'bob');
  assert.equal(none.code, 0);
  assert.match(none.out, /no key change to accept/);
  const ok = await run('accept', 'dave');
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /^accepted the new key of sip:dave@parley\.test/);
  ks = await KeyStore.open(path, w.wrapper);
  const peers = PeerKeys.fromKeyStore(ks);
  assert.equal(peers.state('sip:dave@parley.test'), 'unverified');
  assert.deepEqual(peers.pinnedKey('sip:dave@parley.test'), dave2.publicKey);
  await ks.close();
  assert.equal((await run('accept')).code, 2);
});

test('psk: sets the derived pre-shared key from PARLEY_PSK (same key the peer derives), --clear removes it, short refused', async () => {
  const { derivePsk } = await import('../../../security/psk');
  const readPsk = async (): Promise<Uint8Array | undefined> => {
    const w = await chooseKeyWrapper(dir, {});
    const ks = await openAccountKeyStore(accountDir(dir, ALICE), ALICE, w.wrapper, Date.now());
    try {
      return ks.getPsk('sip:bob@parley.test');
    } finally {
      await ks.close();
    }
  };
  const saved = process.env.PARLEY_PSK;
  try {
    process.env.PARLEY_PSK = 'short';
    assert.equal((await run('psk', 'bob')).code, 2);
    assert.equal(await readPsk(), undefined);
    process.env.PARLEY_PSK = 'our shared secret phrase';
    const r = await run('psk', 'bob');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /pre-shared passphrase set for sip:bob@parley\.test/);
    // Bob derives the same key from the same passphrase, whatever the order of the two addresses.
    assert.deepEqual(await readPsk(), await derivePsk('our shared secret phrase', 'sip:bob@parley.test', ALICE));
    assert.equal((await run('psk', 'bob', '--clear')).code, 0);
    assert.equal(await readPsk(), undefined);
  } finally {
    if (saved === undefined) delete process.env.PARLEY_PSK;
    else process.env.PARLEY_PSK = saved;
  }
});
