// Storage-key wrapping for the key store: the KeyWrapper interface and its Argon2id passphrase implementation (docs/security.md s.3).
import { ParleyError } from '../base/errors';
import { argon2id } from './argon2';
import { Reader, concat, u8, u32, utf8, initCrypto, wipe, random } from './sodium';

/** Wraps the 32-byte key-store storage key. The Electron shell implements id 2 with safeStorage. */
export interface KeyWrapper {
  /** 1 = passphrase (Argon2id), 2 = OS key storage (Electron safeStorage), 3 = profile key file (development fallback
   *  of the web host and CLI). Stored in the file; must match on open, so one kind is never taken for another. */
  readonly id: number;
  /** Ids this wrapper also opens (files written before it had its own id); the next write stores `id`. */
  readonly legacyIds?: readonly number[];
  wrap(key: Uint8Array): Promise<Uint8Array>;
  /** Must throw on failure (the store maps that to KEYSTORE_BAD_PASSPHRASE / KEYSTORE_UNWRAP_FAILED). */
  unwrap(blob: Uint8Array): Promise<Uint8Array>;
}

export const WRAPPER_PASSPHRASE = 1;
/** OS key storage (Electron safeStorage, app/keywrapper.ts). */
export const WRAPPER_EXTERNAL = 2;
/** The profile key file (main/ue/profile.ts KeyFileWrapper); written as 2 before issue 12. */
export const WRAPPER_KEY_FILE = 3;

export interface Argon2Params {
  opslimit: number;
  memlimit: number;
}

const BLOB_VERSION = 1;
const ALG_ARGON2ID13 = 2;
const SALT_LEN = 16;
const NONCE_LEN = 24;
export const PASSPHRASE_BLOB_LEN = 2 + 4 + 4 + SALT_LEN + NONCE_LEN + 48;
/** Largest memlimit a file may ask for (tampered files must not make us allocate without bound). */
export const MAX_MEMLIMIT = 1024 * 1024 * 1024;
export const MAX_OPSLIMIT = 16;

/** Argon2id moderate limits: ~0.9 s and 256 MiB on the lab machine. */
export function moderateParams(): Argon2Params {
  return { opslimit: 3, memlimit: 256 * 1024 * 1024 }; // crypto_pwhash_OPSLIMIT/MEMLIMIT_MODERATE
}

/** Minimum limits: only for tests (fast); never use for real files. */
export function insecureTestParams(): Argon2Params {
  return { opslimit: 1, memlimit: 8192 }; // crypto_pwhash_OPSLIMIT/MEMLIMIT_MIN
}

function kek(passphrase: string, salt: Uint8Array, p: Argon2Params): Promise<Uint8Array> {
  return argon2id(utf8(passphrase), salt, p.opslimit, p.memlimit);
}

/** Wraps the storage key under Argon2id(passphrase); parameters and salt travel in the blob. */
export class PassphraseWrapper implements KeyWrapper {
  readonly id = WRAPPER_PASSPHRASE;
  constructor(
    private passphrase: string,
    private readonly params?: Argon2Params,
  ) {
    if (typeof passphrase !== 'string' || passphrase.length === 0) throw new ParleyError('KEYSTORE_BAD_PASSPHRASE', 'empty passphrase');
    // NFKC so that the same passphrase typed through different input methods derives the same key.
    this.passphrase = passphrase.normalize('NFKC');
  }

  async wrap(key: Uint8Array): Promise<Uint8Array> {
    const s = await initCrypto();
    const p = this.params ?? moderateParams();
    const salt = random(SALT_LEN);
    const nonce = random(NONCE_LEN);
    const head = concat(u8(BLOB_VERSION), u8(ALG_ARGON2ID13), u32(p.opslimit), u32(p.memlimit), salt);
    const k = await kek(this.passphrase, salt, p);
    const ct = s.crypto_aead_xchacha20poly1305_ietf_encrypt(key, head, null, nonce, k);
    wipe(k);
    return concat(head, nonce, ct);
  }

  async unwrap(blob: Uint8Array): Promise<Uint8Array> {
    const s = await initCrypto();
    const r = new Reader(blob, 'KEYSTORE_CORRUPT');
    if (r.u8() !== BLOB_VERSION) throw new ParleyError('KEYSTORE_CORRUPT', 'unknown passphrase blob version');
    if (r.u8() !== ALG_ARGON2ID13) throw new ParleyError('KEYSTORE_CORRUPT', 'unknown KDF algorithm');
    const opslimit = r.u32();
    const memlimit = r.u32();
    if (
      opslimit < s.crypto_pwhash_OPSLIMIT_MIN ||
      opslimit > MAX_OPSLIMIT ||
      memlimit < s.crypto_pwhash_MEMLIMIT_MIN ||
      memlimit > MAX_MEMLIMIT
    ) {
      throw new ParleyError('KEYSTORE_CORRUPT', 'KDF parameters out of range', { opslimit, memlimit });
    }
    const salt = r.bytes(SALT_LEN);
    const head = blob.subarray(0, r.off);
    const nonce = r.bytes(NONCE_LEN);
    const ct = r.bytes(48);
    r.end();
    const k = await kek(this.passphrase, salt, { opslimit, memlimit });
    try {
      return s.crypto_aead_xchacha20poly1305_ietf_decrypt(null, ct, head, nonce, k);
    } catch {
      throw new ParleyError('KEYSTORE_BAD_PASSPHRASE', 'wrong passphrase');
    } finally {
      wipe(k);
    }
  }
}
