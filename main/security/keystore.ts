// Per-account encrypted key store: identity key, pinned peers, replay cache, PSKs, data keys (format v1, docs/security.md s.3).
import { readFile, stat } from 'node:fs/promises';
import { ParleyError } from '../base/errors';
import { S, Reader, initCrypto, concat, u8, u16, utf8, fromUtf8, h256, ctEqual, b64url, fromB64url, wipe, random } from './sodium';
import { writeFileAtomic } from './atomic-file';
import { LocalIdentity, type Identity, type IdentityInfo } from './identity';
import { normalizeAoR } from './aor';
import type { KeyWrapper } from './key-wrapper';

export const KEYSTORE_MAGIC = utf8('PARLEYKS');
export const KEYSTORE_VERSION = 1;
const NONCE_LEN = 24;
const CHECKSUM_LEN = 32;
/** Refuse to read key store files beyond this size (the replay cache is bounded well below it). */
export const KEYSTORE_MAX_BYTES = 16 * 1024 * 1024;

/** Names of the JSON sections other security modules keep inside the encrypted file. */
export type SectionName = 'peers' | 'replay' | 'ratchet';

interface StoreState {
  v: 1;
  aor: string;
  created: number;
  identitySeed: string;
  dataKeys: Record<string, string>;
  psks: Record<string, string>;
  peers?: unknown;
  replay?: unknown;
  /** Prekey secrets and Double Ratchet sessions (peer-ratchets.ts). */
  ratchet?: unknown;
}

interface ParsedFile {
  wrapperId: number;
  blob: Uint8Array;
  ad: Uint8Array;
  nonce: Uint8Array;
  ct: Uint8Array;
}

function corrupt(msg: string, details?: Record<string, unknown>): ParleyError {
  return new ParleyError('KEYSTORE_CORRUPT', `key store file is corrupt: ${msg}`, details);
}

/** Parse the outer file layout and verify the checksum. Pure; throws KEYSTORE_CORRUPT. */
export function parseKeyStoreFile(bytes: Uint8Array): ParsedFile {
  if (bytes.length < 8 + 4 + NONCE_LEN + 16 + CHECKSUM_LEN) throw corrupt('too short', { length: bytes.length });
  const body = bytes.subarray(0, bytes.length - CHECKSUM_LEN);
  if (!ctEqual(h256(body), bytes.subarray(bytes.length - CHECKSUM_LEN))) throw corrupt('checksum mismatch (truncated or modified)');
  const r = new Reader(body, 'KEYSTORE_CORRUPT');
  if (!ctEqual(r.bytes(8), KEYSTORE_MAGIC)) throw corrupt('bad magic');
  const version = r.u8();
  if (version !== KEYSTORE_VERSION) throw corrupt(`unsupported version ${version}`, { version });
  const wrapperId = r.u8();
  const blob = r.lp16();
  const nonce = r.bytes(NONCE_LEN);
  const ad = body.subarray(0, r.off);
  if (r.remaining < 16) throw corrupt('ciphertext too short');
  return { wrapperId, blob, ad, nonce, ct: r.bytes(r.remaining) };
}

function buildFile(wrapperId: number, blob: Uint8Array, storageKey: Uint8Array, state: StoreState): Uint8Array {
  const s = S();
  const nonce = random(NONCE_LEN);
  const ad = concat(KEYSTORE_MAGIC, u8(KEYSTORE_VERSION), u8(wrapperId), u16(blob.length), blob, nonce);
  const ct = s.crypto_aead_xchacha20poly1305_ietf_encrypt(utf8(JSON.stringify(state)), ad, null, nonce, storageKey);
  const body = concat(ad, ct);
  return concat(body, h256(body));
}

function parseState(pt: Uint8Array): StoreState {
  let st: StoreState;
  try {
    st = JSON.parse(fromUtf8(pt, 'KEYSTORE_CORRUPT'));
  } catch (e) {
    throw corrupt('body is not JSON', { cause: String(e) });
  }
  if (
    !st ||
    st.v !== 1 ||
    typeof st.aor !== 'string' ||
    typeof st.identitySeed !== 'string' ||
    typeof st.dataKeys !== 'object' ||
    typeof st.psks !== 'object'
  ) {
    throw corrupt('body lacks required fields');
  }
  return st;
}

export class KeyStore {
  #path: string;
  #wrapper: KeyWrapper;
  #blob: Uint8Array;
  #storageKey: Uint8Array;
  #state: StoreState;
  #identity: LocalIdentity;
  #writes: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(path: string, wrapper: KeyWrapper, blob: Uint8Array, storageKey: Uint8Array, state: StoreState) {
    this.#path = path;
    this.#wrapper = wrapper;
    this.#blob = blob;
    this.#storageKey = storageKey;
    this.#state = state;
    const seed = fromB64url(state.identitySeed, 'KEYSTORE_CORRUPT', 32);
    this.#identity = new LocalIdentity(state.aor, seed);
    wipe(seed);
  }

  /** Create a new key store with a fresh identity for `aor`. Refuses to overwrite (KEYSTORE_EXISTS). */
  static async create(path: string, wrapper: KeyWrapper, opts: { aor: string; now?: number }): Promise<KeyStore> {
    await initCrypto();
    const exists = await stat(path).then(
      () => true,
      () => false,
    );
    if (exists) throw new ParleyError('KEYSTORE_EXISTS', `key store already exists: ${path}`, { path });
    const storageKey = random(32);
    const seed = random(32);
    const state: StoreState = {
      v: 1,
      aor: normalizeAoR(opts.aor),
      created: opts.now ?? Date.now(),
      identitySeed: b64url(seed),
      dataKeys: { history: b64url(random(32)) },
      psks: {},
    };
    wipe(seed);
    const blob = await wrapper.wrap(storageKey);
    await writeFileAtomic(path, buildFile(wrapper.id, blob, storageKey, state));
    return new KeyStore(path, wrapper, blob, storageKey, state);
  }

  /** Open an existing key store. Never writes. Errors: KEYSTORE_NOT_FOUND, KEYSTORE_CORRUPT, KEYSTORE_BAD_PASSPHRASE, KEYSTORE_UNWRAP_FAILED, KEYSTORE_WRONG_WRAPPER. */
  static async open(path: string, wrapper: KeyWrapper): Promise<KeyStore> {
    const s = await initCrypto();
    let bytes: Uint8Array;
    try {
      const st = await stat(path);
      if (st.size > KEYSTORE_MAX_BYTES) throw corrupt('file too large', { size: st.size });
      bytes = new Uint8Array(await readFile(path));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ParleyError('KEYSTORE_NOT_FOUND', `no key store at ${path}`, { path });
      throw e;
    }
    const f = parseKeyStoreFile(bytes);
    if (f.wrapperId !== wrapper.id && !wrapper.legacyIds?.includes(f.wrapperId)) {
      throw new ParleyError('KEYSTORE_WRONG_WRAPPER', `file is wrapped by wrapper ${f.wrapperId}, not ${wrapper.id}`, {
        fileWrapper: f.wrapperId,
      });
    }
    let storageKey: Uint8Array;
    try {
      storageKey = await wrapper.unwrap(f.blob);
    } catch (e) {
      if (e instanceof ParleyError && e.code.startsWith('KEYSTORE_')) throw e;
      throw new ParleyError('KEYSTORE_UNWRAP_FAILED', 'the key wrapper could not unwrap the storage key', undefined, { cause: e });
    }
    if (storageKey.length !== 32) throw new ParleyError('KEYSTORE_UNWRAP_FAILED', 'unwrapped storage key has the wrong length');
    let pt: Uint8Array;
    try {
      pt = s.crypto_aead_xchacha20poly1305_ietf_decrypt(null, f.ct, f.ad, f.nonce, storageKey);
    } catch {
      throw corrupt('body authentication failed');
    }
    return new KeyStore(path, wrapper, f.blob.slice(), storageKey, parseState(pt));
  }

  get path(): string {
    return this.#path;
  }

  /** Public information only. */
  identity(): IdentityInfo {
    this.#check();
    return this.#identity.info();
  }

  /** Signing / agreement with the account's identity key (the secret stays inside). */
  signer(): Identity {
    this.#check();
    return this.#identity;
  }

  /** A random 32-byte key for another module (e.g. 'history'), created and persisted on first use. main/ only. */
  async getDataKey(name: string): Promise<Uint8Array> {
    this.#check();
    if (!/^[a-z0-9-]{1,32}$/.test(name)) throw new ParleyError('KEYSTORE_BAD_NAME', `bad data key name ${name}`);
    if (this.#state.dataKeys[name] === undefined) {
      const fresh = b64url(random(32));
      await this.#mutate((st) => void (st.dataKeys[name] ??= fresh));
    }
    return fromB64url(this.#state.dataKeys[name], 'KEYSTORE_CORRUPT', 32);
  }

  getSection<T>(name: SectionName): T | undefined {
    this.#check();
    return this.#state[name] as T | undefined;
  }

  /**
   * Replace a section and persist atomically; resolves when on disk. The value must be JSON-serializable and is owned by
   * the store afterwards (callers pass a fresh object and never mutate it again; getSection returns it read-only).
   */
  async setSection(name: SectionName, value: unknown): Promise<void> {
    this.#check();
    await this.#mutate((st) => void (st[name] = value));
  }

  getPsk(aor: string): Uint8Array | undefined {
    this.#check();
    const v = this.#state.psks[normalizeAoR(aor)];
    return v === undefined ? undefined : fromB64url(v, 'KEYSTORE_CORRUPT', 32);
  }

  async setPsk(aor: string, psk: Uint8Array): Promise<void> {
    if (psk.length !== 32) throw new ParleyError('SEC_BAD_KEY', 'PSK must be 32 bytes');
    const k = normalizeAoR(aor);
    const v = b64url(psk);
    await this.#mutate((st) => void (st.psks[k] = v));
  }

  async deletePsk(aor: string): Promise<void> {
    const k = normalizeAoR(aor);
    await this.#mutate((st) => void delete st.psks[k]);
  }

  /** Re-wrap under another wrapper (change passphrase, move to OS key storage); also rotates the storage key. */
  async rewrap(wrapper: KeyWrapper): Promise<void> {
    this.#check();
    const run = async () => {
      const key = random(32);
      const blob = await wrapper.wrap(key);
      await writeFileAtomic(this.#path, buildFile(wrapper.id, blob, key, this.#state));
      wipe(this.#storageKey);
      this.#storageKey = key;
      this.#blob = blob;
      this.#wrapper = wrapper;
    };
    const p = this.#writes.then(run);
    this.#writes = p.catch(() => {});
    await p;
  }

  /** Wait for pending writes, then zero in-memory keys. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#writes;
    this.#closed = true;
    this.#identity.destroy();
    wipe(this.#storageKey);
  }

  #check(): void {
    if (this.#closed) throw new ParleyError('KEYSTORE_CLOSED', 'key store is closed');
  }

  /** Apply a change to a copy of the state, write it, and only then make it current (a failed write changes nothing). */
  async #mutate(fn: (st: StoreState) => void): Promise<void> {
    this.#check();
    const run = async () => {
      // Sections are replaced wholesale, never mutated in place, so a shallow copy is enough.
      const next: StoreState = { ...this.#state, dataKeys: { ...this.#state.dataKeys }, psks: { ...this.#state.psks } };
      fn(next);
      await writeFileAtomic(this.#path, buildFile(this.#wrapper.id, this.#blob, this.#storageKey, next));
      this.#state = next;
    };
    const p = this.#writes.then(run);
    this.#writes = p.catch(() => {});
    await p;
  }
}
