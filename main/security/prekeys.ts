// Signed prekey bundles and one-time prekeys for asynchronous first messages (PQXDH, docs/security.md s.5.7).
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { ParleyError } from '../base/errors';
import { S, Reader, concat, u8, u32, u64, lp16, utf8, ctEqual, random } from './sodium';
import { normalizeAoR } from './aor';
import { verifySignature, type Identity } from './identity';

export const BUNDLE_MAGIC = utf8('PPKB');
export const BUNDLE_VERSION = 1;
export const ONE_TIME_VERSION = 1;
export const KEM_PUBLIC_LEN = 1184;
export const KEM_SECRET_LEN = 2400;
export const KEM_CIPHERTEXT_LEN = 1088;
/** Largest encoded bundle any party accepts (a v1 bundle with a 256-byte AoR is 1,591 bytes). */
export const MAX_BUNDLE_BYTES = 2048;
/** Encoded one-time prekey record: u8 version, u32 id, X25519 key, Ed25519 signature. */
export const ONE_TIME_BYTES = 1 + 4 + 32 + 64;
const BUNDLE_SIG = utf8('parley-prekey-bundle-v1\0');
const ONE_TIME_SIG = utf8('parley-prekey-onetime-v1\0');

/** Random-byte source; tests pass a deterministic one to produce the vectors of docs/wire-formats.md. */
export type Rng = (n: number) => Uint8Array;

export interface PrekeyBundle {
  aor: string;
  identityKey: Uint8Array;
  created: number;
  signedPrekey: { id: number; publicKey: Uint8Array };
  kemPrekey: { id: number; publicKey: Uint8Array };
  signature: Uint8Array;
  /** The encoded bundle (what the directory stores and hands out). */
  bytes: Uint8Array;
}

export interface OneTimePrekey {
  id: number;
  publicKey: Uint8Array;
  signature: Uint8Array;
  bytes: Uint8Array;
}

function bad(msg: string, details?: Record<string, unknown>): ParleyError {
  return new ParleyError('PREKEY_BAD_FORMAT', `bad prekey data: ${msg}`, details);
}

/** X25519 key pair from 32 random bytes. */
export function x25519FromRng(rng: Rng = random): { publicKey: Uint8Array; privateKey: Uint8Array } {
  const privateKey = rng(32);
  return { publicKey: S().crypto_scalarmult_base(privateKey), privateKey };
}

/** ML-KEM-768 key pair (FIPS 203) from a 64-byte seed. */
export function kemKeyPair(rng: Rng = random): { publicKey: Uint8Array; secretKey: Uint8Array } {
  return ml_kem768.keygen(rng(64));
}

/** Encode and sign a bundle with the identity key. */
export function encodeBundle(
  me: Identity,
  b: { created: number; signedPrekey: { id: number; publicKey: Uint8Array }; kemPrekey: { id: number; publicKey: Uint8Array } },
): Uint8Array {
  if (b.signedPrekey.publicKey.length !== 32 || b.kemPrekey.publicKey.length !== KEM_PUBLIC_LEN) throw bad('key lengths');
  const body = concat(
    BUNDLE_MAGIC,
    u8(BUNDLE_VERSION),
    lp16(normalizeAoR(me.aor)),
    me.publicKey,
    u64(b.created),
    u32(b.signedPrekey.id),
    b.signedPrekey.publicKey,
    u32(b.kemPrekey.id),
    b.kemPrekey.publicKey,
  );
  return concat(body, me.sign(concat(BUNDLE_SIG, body)));
}

/** Parse a bundle's structure (no signature check). Throws PREKEY_BAD_FORMAT. */
export function parseBundle(bytes: Uint8Array): PrekeyBundle {
  if (bytes.length > MAX_BUNDLE_BYTES) throw bad(`bundle of ${bytes.length} bytes`);
  const r = new Reader(bytes, 'PREKEY_BAD_FORMAT');
  if (!ctEqual(r.bytes(4), BUNDLE_MAGIC)) throw bad('magic');
  const version = r.u8();
  if (version !== BUNDLE_VERSION) throw bad(`unsupported version ${version}`, { version });
  const aor = r.str16(256);
  const identityKey = r.bytes(32);
  const created = r.u64();
  if (created > BigInt(Number.MAX_SAFE_INTEGER)) throw bad('created out of range');
  const signedPrekey = { id: r.u32(), publicKey: r.bytes(32) };
  const kemPrekey = { id: r.u32(), publicKey: r.bytes(KEM_PUBLIC_LEN) };
  const signature = r.bytes(64);
  r.end();
  return { aor, identityKey, created: Number(created), signedPrekey, kemPrekey, signature, bytes };
}

/**
 * Parse and verify a bundle: signature by the identity key it carries, AoR as expected, and (when the caller has a pin)
 * identity key equal to the pinned one. The directory is not trusted for identity: a different key is PREKEY_IDENTITY_CHANGED
 * and goes through the key-change block like any other key change.
 */
export function verifyBundle(bytes: Uint8Array, expect: { aor?: string; pinnedKey?: Uint8Array } = {}): PrekeyBundle {
  const b = parseBundle(bytes);
  const body = bytes.subarray(0, bytes.length - 64);
  if (!verifySignature(b.identityKey, concat(BUNDLE_SIG, body), b.signature))
    throw new ParleyError('PREKEY_BAD_SIGNATURE', 'prekey bundle signature does not verify');
  if (expect.aor !== undefined && normalizeAoR(expect.aor) !== b.aor)
    throw new ParleyError('PREKEY_AOR_MISMATCH', 'bundle published for another AoR', { expected: normalizeAoR(expect.aor), got: b.aor });
  if (expect.pinnedKey && !ctEqual(expect.pinnedKey, b.identityKey))
    throw new ParleyError('PREKEY_IDENTITY_CHANGED', 'bundle identity key differs from the pinned key', { aor: b.aor });
  return b;
}

function oneTimeSigned(aor: string, id: number, pk: Uint8Array): Uint8Array {
  return concat(ONE_TIME_SIG, lp16(normalizeAoR(aor)), u32(id), pk);
}

export function encodeOneTime(me: Identity, id: number, publicKey: Uint8Array): Uint8Array {
  if (publicKey.length !== 32) throw bad('one-time key length');
  return concat(u8(ONE_TIME_VERSION), u32(id), publicKey, me.sign(oneTimeSigned(me.aor, id, publicKey)));
}

export function parseOneTime(bytes: Uint8Array): OneTimePrekey {
  const r = new Reader(bytes, 'PREKEY_BAD_FORMAT');
  const v = r.u8();
  if (v !== ONE_TIME_VERSION) throw bad(`unsupported one-time version ${v}`, { version: v });
  const id = r.u32();
  const publicKey = r.bytes(32);
  const signature = r.bytes(64);
  r.end();
  return { id, publicKey, signature, bytes };
}

/** Verify a one-time prekey against the bundle owner's AoR and identity key. */
export function verifyOneTime(bytes: Uint8Array, aor: string, identityKey: Uint8Array): OneTimePrekey {
  const o = parseOneTime(bytes);
  if (!verifySignature(identityKey, oneTimeSigned(aor, o.id, o.publicKey), o.signature))
    throw new ParleyError('PREKEY_BAD_SIGNATURE', 'one-time prekey signature does not verify', { id: o.id });
  return o;
}
