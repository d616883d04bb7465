// Encryption at rest for the history store: XChaCha20-Poly1305 rows bound to their identity, key check value, FTS token hashing.
// Format v1 is documented in docs/store.md ("Encryption at rest").
import sodium from 'libsodium-wrappers-sumo';
import { randomFillSync } from 'node:crypto';
import { ParleyError } from '../base/errors';

export const DATA_KEY_BYTES = 32;
export const SALT_BYTES = 16;
export const KCV_BYTES = 32;
/** First byte of every sealed blob. */
export const SEAL_FORMAT_V1 = 1;
/** Token hashes are truncated to this many bytes (collisions only cost a post-filter decrypt, never a false hit). */
export const TOKEN_HASH_BYTES = 8;
const NONCE_BYTES = 24;
const TAG_BYTES = 16;
/** Plaintexts are zero-padded to a multiple of this, hiding exact lengths. */
export const PAD_BLOCK = 32;

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: false });

function label(name: string, salt?: Uint8Array): Uint8Array {
  const l = enc.encode(`parley-store/v1/${name}`);
  if (!salt) return l;
  const out = new Uint8Array(l.length + salt.length);
  out.set(l);
  out.set(salt, l.length);
  return out;
}

/** Additional data for a sealed field: an unambiguous JSON array naming the table, row id and immutable columns. */
export function rowAd(parts: readonly (string | number | null)[]): Uint8Array {
  return enc.encode(JSON.stringify(parts));
}

// Nonces come from Node's CSPRNG in pooled 4 KiB refills: libsodium.js randombytes_buf costs ~70 us per call here and a
// 24-byte randomFillSync ~8 us, both more than the encryption itself. Each pool byte is handed out exactly once.
const pool = new Uint8Array(4096);
let poolAt = pool.length;
function randomNonce(): Uint8Array {
  if (poolAt + NONCE_BYTES > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const n = pool.slice(poolAt, poolAt + NONCE_BYTES);
  pool.fill(0, poolAt, poolAt + NONCE_BYTES);
  poolAt += NONCE_BYTES;
  return n;
}

/** Holds the subkeys derived from the caller's 32-byte data key and the per-database salt. */
export class StoreCrypto {
  private constructor(
    private readonly encKey: Uint8Array,
    private readonly tokenKey: Uint8Array,
    readonly kcv: Uint8Array,
  ) {}

  static async create(dataKey: Uint8Array, salt: Uint8Array): Promise<StoreCrypto> {
    await sodium.ready;
    if (!(dataKey instanceof Uint8Array) || dataKey.length !== DATA_KEY_BYTES) {
      throw new ParleyError('STORE_BAD_KEY', `data key must be ${DATA_KEY_BYTES} bytes`, { length: (dataKey as Uint8Array)?.length });
    }
    if (salt.length !== SALT_BYTES) throw new ParleyError('STORE_CORRUPT', 'store salt has the wrong length', { length: salt.length });
    // Keyed BLAKE2b as a PRF: independent subkeys per purpose.
    const encKey = sodium.crypto_generichash(32, label('enc'), dataKey);
    const tokenKey = sodium.crypto_generichash(32, label('fts', salt), dataKey);
    const kcv = sodium.crypto_generichash(KCV_BYTES, label('kcv', salt), dataKey);
    return new StoreCrypto(encKey, tokenKey, kcv);
  }

  static newSalt(): Uint8Array {
    return randomFillSync(new Uint8Array(SALT_BYTES));
  }

  /** Constant-time comparison of a stored key check value with ours. */
  matchesKcv(stored: Uint8Array): boolean {
    return stored.length === this.kcv.length && sodium.memcmp(stored, this.kcv);
  }

  /** version(1) || nonce(24) || ciphertext+tag; plaintext padded to PAD_BLOCK with its length inside. */
  seal(plain: Uint8Array, ad: Uint8Array): Uint8Array {
    const padded = new Uint8Array(Math.ceil((plain.length + 4) / PAD_BLOCK) * PAD_BLOCK);
    new DataView(padded.buffer).setUint32(0, plain.length);
    padded.set(plain, 4);
    const nonce = randomNonce();
    const ct = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(padded, ad, null, nonce, this.encKey);
    const out = new Uint8Array(1 + NONCE_BYTES + ct.length);
    out[0] = SEAL_FORMAT_V1;
    out.set(nonce, 1);
    out.set(ct, 1 + NONCE_BYTES);
    return out;
  }

  /** Returns the plaintext, or null when the blob is not authentic for this AD and key (tampered, swapped or foreign). */
  open(blob: Uint8Array, ad: Uint8Array): Uint8Array | null {
    if (blob.length < 1 + NONCE_BYTES + TAG_BYTES + 4 || blob[0] !== SEAL_FORMAT_V1) return null;
    let padded: Uint8Array;
    try {
      padded = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
        null,
        blob.subarray(1 + NONCE_BYTES),
        ad,
        blob.subarray(1, 1 + NONCE_BYTES),
        this.encKey,
      );
    } catch {
      return null;
    }
    const n = new DataView(padded.buffer, padded.byteOffset, padded.byteLength).getUint32(0);
    if (n > padded.length - 4) return null;
    return padded.slice(4, 4 + n);
  }

  sealText(text: string, ad: Uint8Array): Uint8Array {
    return this.seal(enc.encode(text), ad);
  }

  openText(blob: Uint8Array, ad: Uint8Array): string | null {
    const p = this.open(blob, ad);
    return p === null ? null : dec.decode(p);
  }

  /** FTS token for a normalized word or prefix: 't' + hex(BLAKE2b-64 keyed with the token key). */
  token(term: string): string {
    return 't' + sodium.to_hex(sodium.crypto_generichash(TOKEN_HASH_BYTES, enc.encode(term), this.tokenKey));
  }
}

// Message payload (inside the seal): flags(1) | nickLen(2) | nick | body. flags bit0 = body is binary.
export interface MessagePayload {
  nickname: string | null;
  body: string | Uint8Array;
}

export function encodePayload(nickname: string | null, bodyBytes: Uint8Array, binary: boolean): Uint8Array {
  const nick = enc.encode(nickname ?? '');
  const out = new Uint8Array(3 + nick.length + bodyBytes.length);
  out[0] = (binary ? 1 : 0) | (nickname === null ? 2 : 0);
  new DataView(out.buffer).setUint16(1, nick.length);
  out.set(nick, 3);
  out.set(bodyBytes, 3 + nick.length);
  return out;
}

export function decodePayload(p: Uint8Array): MessagePayload | null {
  if (p.length < 3) return null;
  const nlen = new DataView(p.buffer, p.byteOffset, p.byteLength).getUint16(1);
  if (3 + nlen > p.length) return null;
  const nickname = p[0] & 2 ? null : dec.decode(p.subarray(3, 3 + nlen));
  const raw = p.subarray(3 + nlen);
  return { nickname, body: p[0] & 1 ? raw.slice() : dec.decode(raw) };
}
