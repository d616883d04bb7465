// Profile directory of the UE: account.json (no secrets), per-account key store, sealed SIP password, history database
// (layout and policies in docs/ue.md "Profile"). Key store unlocking: OS wrapper > passphrase > dev key file.
import { chmod, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ParleyError } from '../base/errors';
import { writeFileAtomic } from '../security/atomic-file';
import { normalizeAoR } from '../security/aor';
import { KeyStore } from '../security/keystore';
import { PassphraseWrapper, WRAPPER_EXTERNAL, WRAPPER_KEY_FILE, type Argon2Params, type KeyWrapper } from '../security/key-wrapper';
import { S, concat, ctEqual, initCrypto, random, utf8 } from '../security/sodium';
import type { E2ePolicySetting } from '../features/feature';

export const ACCOUNT_FILE = 'account.json';
export const KEY_FILE = 'keyfile';
export const KEYSTORE_FILE = 'keystore.bin';
export const SECRETS_FILE = 'secrets.bin';
export const HISTORY_FILE = 'history.db';
/** Data key (inside the key store) that seals secrets.bin. */
export const SECRETS_DATA_KEY = 'account-secrets';
const KEYFILE_MAGIC = utf8('PKF1');
const SECRETS_MAGIC = utf8('PSEC1');
const NONCE = 24;

/** account.json: everything needed to reconnect except the password (kept sealed in secrets.bin). */
export interface AccountFile {
  v: 1;
  aor: string;
  proxy: string;
  caFile?: string;
  displayName?: string;
  localLab?: boolean;
  /** Per-account end-to-end policy (default 'require'). */
  e2ePolicy?: E2ePolicySetting;
}

/** How the key store is unlocked: OS key storage (Electron), a passphrase, or the weaker dev key file. */
export type KeyProtection = 'os' | 'passphrase' | 'key-file';

export async function ensureDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
}

export async function readAccountFile(profileDir: string): Promise<AccountFile | null> {
  let text: string;
  try {
    text = await readFile(join(profileDir, ACCOUNT_FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ParleyError('PROFILE_UNREADABLE', `cannot read ${ACCOUNT_FILE}: ${(e as Error).message}`);
  }
  let j: Partial<AccountFile>;
  try {
    j = JSON.parse(text) as Partial<AccountFile>;
  } catch {
    throw new ParleyError('PROFILE_CORRUPT', `${ACCOUNT_FILE} is not JSON`);
  }
  if (j?.v !== 1 || typeof j.aor !== 'string' || typeof j.proxy !== 'string')
    throw new ParleyError('PROFILE_CORRUPT', `${ACCOUNT_FILE} lacks aor/proxy`);
  if (j.e2ePolicy !== undefined && !['require', 'prefer', 'off'].includes(j.e2ePolicy))
    throw new ParleyError('PROFILE_CORRUPT', 'bad e2ePolicy');
  return j as AccountFile;
}

export async function writeAccountFile(profileDir: string, a: AccountFile): Promise<void> {
  await ensureDir(profileDir);
  await writeFileAtomic(join(profileDir, ACCOUNT_FILE), utf8(`${JSON.stringify(a, null, 2)}\n`));
}

/** Sign out: forget the account (keys, sealed password and history stay in accounts/<aor>/ for a later sign-in). */
export async function removeAccountFile(profileDir: string): Promise<void> {
  await rm(join(profileDir, ACCOUNT_FILE), { force: true });
}

/** Per-account directory: accounts/<normalized AoR with unsafe characters replaced>. */
export function accountDir(profileDir: string, aor: string): string {
  const slug = normalizeAoR(aor).replace(/[^A-Za-z0-9@._+-]/g, '_');
  return join(profileDir, 'accounts', slug);
}

/**
 * KeyWrapper over a random 32-byte key kept in `<profile>/keyfile` (mode 0600). DEV FALLBACK ONLY: anyone who can read
 * the profile directory can unlock the key store. Blob: "PKF1" || nonce(24) || XChaCha20-Poly1305(fileKey, storageKey).
 */
export class KeyFileWrapper implements KeyWrapper {
  readonly id = WRAPPER_KEY_FILE;
  /** Written as the OS key storage id before issue 12; the "PKF1" blob tells them apart. */
  readonly legacyIds = [WRAPPER_EXTERNAL];
  constructor(private readonly fileKey: Uint8Array) {
    if (fileKey.length !== 32) throw new ParleyError('PROFILE_BAD_KEYFILE', 'key file must hold 32 bytes');
  }
  async wrap(key: Uint8Array): Promise<Uint8Array> {
    await initCrypto();
    const nonce = random(NONCE);
    return concat(KEYFILE_MAGIC, nonce, S().crypto_aead_xchacha20poly1305_ietf_encrypt(key, KEYFILE_MAGIC, null, nonce, this.fileKey));
  }
  async unwrap(blob: Uint8Array): Promise<Uint8Array> {
    await initCrypto();
    if (blob.length < 4 + NONCE + 16 || !ctEqual(blob.subarray(0, 4), KEYFILE_MAGIC)) {
      throw new ParleyError('KEYSTORE_UNWRAP_FAILED', 'key store is not wrapped by a profile key file (OS key storage?)');
    }
    return S().crypto_aead_xchacha20poly1305_ietf_decrypt(
      null,
      blob.subarray(4 + NONCE),
      KEYFILE_MAGIC,
      blob.subarray(4, 4 + NONCE),
      this.fileKey,
    );
  }
}

async function loadOrCreateKeyFile(profileDir: string): Promise<Uint8Array> {
  const path = join(profileDir, KEY_FILE);
  try {
    const st = await stat(path);
    if ((st.mode & 0o077) !== 0) await chmod(path, 0o600);
    const b = new Uint8Array(await readFile(path));
    if (b.length !== 32) throw new ParleyError('PROFILE_BAD_KEYFILE', `${path} must hold exactly 32 bytes`);
    return b;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  await ensureDir(profileDir);
  const key = random(32);
  await writeFileAtomic(path, key, 0o600);
  return key;
}

export interface WrapperChoice {
  wrapper: KeyWrapper;
  protection: KeyProtection;
}

/**
 * OS wrapper (Electron safeStorage) if given; else a passphrase (option or PARLEY_PASSPHRASE); else the dev key file,
 * unless `allowKeyFile` is false (the desktop app: KEYSTORE_NO_PROTECTION rather than keys in a plain file).
 */
export async function chooseKeyWrapper(
  profileDir: string,
  o: { keyWrapper?: KeyWrapper | null; passphrase?: string; env?: NodeJS.ProcessEnv; argon2?: Argon2Params; allowKeyFile?: boolean },
): Promise<WrapperChoice> {
  if (o.keyWrapper) return { wrapper: o.keyWrapper, protection: 'os' };
  const pass = o.passphrase ?? o.env?.PARLEY_PASSPHRASE;
  if (pass) return { wrapper: new PassphraseWrapper(pass, o.argon2), protection: 'passphrase' };
  if (o.allowKeyFile === false) {
    throw new ParleyError('KEYSTORE_NO_PROTECTION', 'no OS key storage and no passphrase: the key file fallback is off here');
  }
  return { wrapper: new KeyFileWrapper(await loadOrCreateKeyFile(profileDir)), protection: 'key-file' };
}

/** Opens the account's key store, creating it (fresh identity) on first use. */
export async function openAccountKeyStore(dir: string, aor: string, wrapper: KeyWrapper, now: number): Promise<KeyStore> {
  await ensureDir(dir);
  const path = join(dir, KEYSTORE_FILE);
  try {
    return await KeyStore.open(path, wrapper);
  } catch (e) {
    if (!(e instanceof ParleyError) || e.code !== 'KEYSTORE_NOT_FOUND') throw e;
  }
  return KeyStore.create(path, wrapper, { aor, now });
}

/** Seals the SIP password under the key store's 'account-secrets' data key into secrets.bin (0600). */
export async function saveSipPassword(dir: string, ks: KeyStore, password: string): Promise<void> {
  const key = await ks.getDataKey(SECRETS_DATA_KEY);
  const nonce = random(NONCE);
  const ad = concat(SECRETS_MAGIC, utf8(ks.identity().aor));
  const ct = S().crypto_aead_xchacha20poly1305_ietf_encrypt(utf8(JSON.stringify({ password })), ad, null, nonce, key);
  await writeFileAtomic(join(dir, SECRETS_FILE), concat(SECRETS_MAGIC, nonce, ct), 0o600);
}

/** The sealed SIP password, or null when none is saved. PROFILE_SECRETS_CORRUPT when it does not authenticate. */
export async function loadSipPassword(dir: string, ks: KeyStore): Promise<string | null> {
  let b: Uint8Array;
  try {
    b = new Uint8Array(await readFile(join(dir, SECRETS_FILE)));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const m = SECRETS_MAGIC.length;
  if (b.length < m + NONCE + 16 || !ctEqual(b.subarray(0, m), SECRETS_MAGIC))
    throw new ParleyError('PROFILE_SECRETS_CORRUPT', 'secrets.bin is malformed');
  const key = await ks.getDataKey(SECRETS_DATA_KEY);
  try {
    const pt = S().crypto_aead_xchacha20poly1305_ietf_decrypt(
      null,
      b.subarray(m + NONCE),
      concat(SECRETS_MAGIC, utf8(ks.identity().aor)),
      b.subarray(m, m + NONCE),
      key,
    );
    const j = JSON.parse(new TextDecoder().decode(pt)) as { password?: unknown };
    if (typeof j.password !== 'string') throw new Error('no password');
    return j.password;
  } catch {
    throw new ParleyError('PROFILE_SECRETS_CORRUPT', 'secrets.bin does not authenticate under this key store');
  }
}

export interface ProfileKeys {
  aor: string;
  ks: KeyStore;
  protection: KeyProtection;
}

/**
 * Opens the key store of the profile's account (account.json, or `aor`) without any network: for `parley keys`.
 * Never creates a key store (PROFILE_NO_KEYS). Do not run it while a UE has the same profile open (one writer).
 */
export async function openProfileKeys(
  profileDir: string,
  o: { aor?: string; passphrase?: string; env?: NodeJS.ProcessEnv; keyWrapper?: KeyWrapper | null } = {},
): Promise<ProfileKeys> {
  const aor = o.aor ?? (await readAccountFile(profileDir))?.aor;
  if (!aor) throw new ParleyError('PROFILE_NO_ACCOUNT', `no account in ${profileDir} (sign in once, or pass the AoR)`);
  const path = join(accountDir(profileDir, aor), KEYSTORE_FILE);
  const exists = await stat(path).then(
    () => true,
    () => false,
  );
  if (!exists) throw new ParleyError('PROFILE_NO_KEYS', `no key store for ${normalizeAoR(aor)} in ${profileDir}`);
  const pass = o.passphrase ?? o.env?.PARLEY_PASSPHRASE;
  if (
    !o.keyWrapper &&
    !pass &&
    !(await stat(join(profileDir, KEY_FILE)).then(
      () => true,
      () => false,
    ))
  ) {
    throw new ParleyError('PROFILE_LOCKED', 'the key store is passphrase-protected: set PARLEY_PASSPHRASE');
  }
  const w = await chooseKeyWrapper(profileDir, { keyWrapper: o.keyWrapper, passphrase: pass });
  return { aor: normalizeAoR(aor), ks: await KeyStore.open(path, w.wrapper), protection: w.protection };
}
