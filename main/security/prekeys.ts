// Signed prekey bundles and one-time prekeys for asynchronous first messages (PQXDH, docs/security.md s.5.7).
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { ParleyError } from '../base/errors';
import { S, concat, u8, u32, u64, lp16, utf8, ctEqual, random } from './sodium';
import {
  BUNDLE_MAGIC,
  BUNDLE_VERSION,
  ONE_TIME_VERSION,
  KEM_PUBLIC_LEN,
  parseBundle,
  parseOneTime,
  type PrekeyBundle,
  type OneTimePrekey,
} from '../protocol/formats/prekeys';
import { normalizeAoR } from './aor';
import { verifySignature, type Identity } from './identity';

// The layouts live with the other wire formats; the security API re-exports them (docs/security.md s.9).
export * from '../protocol/formats/prekeys';
const BUNDLE_SIG = utf8('parley-prekey-bundle-v1\0');
const ONE_TIME_SIG = utf8('parley-prekey-onetime-v1\0');

/** Random-byte source; tests pass a deterministic one to produce the vectors of docs/wire-formats.md. */
export type Rng = (n: number) => Uint8Array;

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

/** Verify a one-time prekey against the bundle owner's AoR and identity key. */
export function verifyOneTime(bytes: Uint8Array, aor: string, identityKey: Uint8Array): OneTimePrekey {
  const o = parseOneTime(bytes);
  if (!verifySignature(identityKey, oneTimeSigned(aor, o.id, o.publicKey), o.signature))
    throw new ParleyError('PREKEY_BAD_SIGNATURE', 'one-time prekey signature does not verify', { id: o.id });
  return o;
}
