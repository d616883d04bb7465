// Long-term Ed25519 identity (X25519 form for agreement) behind an interface that never exposes the secret key (docs/security.md s.2).
import { ParleyError } from '../base/errors';
import { S, concat, utf8, x25519, wipe, random } from './sodium';
import { normalizeAoR } from './aor';

/** What the rest of main/ may hold: public key plus operations that use the private key internally. */
export interface Identity {
  readonly aor: string;
  /** Ed25519 public key, 32 bytes. */
  readonly publicKey: Uint8Array;
  /** Ed25519 detached signature (64 bytes). */
  sign(message: Uint8Array): Uint8Array;
  /** X25519(my identity secret, theirs); rejects small-order keys. */
  agree(theirX25519: Uint8Array): Uint8Array;
}

/** Public view of an identity (safe for IPC). */
export interface IdentityInfo {
  aor: string;
  publicKey: Uint8Array;
  fingerprint: string;
}

/** hex(BLAKE2b-160("parley-fp-v1" || pk)) in groups of 4. */
export function fingerprint(publicKey: Uint8Array): string {
  const h = S().crypto_generichash(20, concat(utf8('parley-fp-v1'), publicKey), null);
  return S().to_hex(h).match(/.{4}/g)!.join(' ');
}

export function verifySignature(publicKey: Uint8Array, message: Uint8Array, sig: Uint8Array): boolean {
  if (publicKey.length !== 32 || sig.length !== 64) return false;
  try {
    return S().crypto_sign_verify_detached(sig, message, publicKey);
  } catch {
    return false;
  }
}

/** An identity held in memory; destroy() zeroes the secrets. Used by KeyStore and by tests. */
export class LocalIdentity implements Identity {
  readonly aor: string;
  readonly publicKey: Uint8Array;
  #sk: Uint8Array;
  #xsk: Uint8Array;

  constructor(aor: string, seed: Uint8Array) {
    if (seed.length !== 32) throw new ParleyError('SEC_BAD_KEY', 'identity seed must be 32 bytes');
    const kp = S().crypto_sign_seed_keypair(seed);
    this.aor = normalizeAoR(aor);
    this.publicKey = kp.publicKey;
    this.#sk = kp.privateKey;
    this.#xsk = S().crypto_sign_ed25519_sk_to_curve25519(kp.privateKey);
  }

  /** Fresh random identity (tests, benchmarks, new accounts). */
  static generate(aor: string): LocalIdentity {
    const seed = random(32);
    const id = new LocalIdentity(aor, seed);
    wipe(seed);
    return id;
  }

  info(): IdentityInfo {
    return { aor: this.aor, publicKey: this.publicKey.slice(), fingerprint: fingerprint(this.publicKey) };
  }

  sign(message: Uint8Array): Uint8Array {
    return S().crypto_sign_detached(message, this.#sk);
  }

  agree(theirX25519: Uint8Array): Uint8Array {
    return x25519(this.#xsk, theirX25519);
  }

  destroy(): void {
    wipe(this.#sk, this.#xsk);
  }
}
