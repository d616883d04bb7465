// PQXDH-style initial agreement (X3DH + ML-KEM-768, after Signal's PQXDH), docs/security.md s.5.8.
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { ParleyError } from '../base/errors';
import { concat, lp16, utf8, hkdf, h256, x25519, edPkToX, wipe, random } from './sodium';
import { normalizeAoR } from './aor';
import { x25519FromRng, KEM_CIPHERTEXT_LEN, type PrekeyBundle, type OneTimePrekey, type Rng } from './prekeys';
import type { Identity } from './identity';

/** What the initiator attaches to its messages until the responder answers (the "init prefix"). */
export interface PqxdhInit {
  ephemeralKey: Uint8Array;
  signedPrekeyId: number;
  kemPrekeyId: number;
  /** 0 = no one-time prekey was available (the directory ran out). */
  oneTimePrekeyId: number;
  kemCiphertext: Uint8Array;
}

export interface PqxdhResult {
  /** 32-byte secret: the Double Ratchet's first root key. */
  sharedKey: Uint8Array;
  /** 16-byte session id carried in every message of this ratchet. */
  sessionId: Uint8Array;
  /** Binding of both parties: lp16(initiatorAoR) || IK_A || lp16(responderAoR) || IK_B. */
  ad: Uint8Array;
}

const F = new Uint8Array(32).fill(0xff);
const SALT = new Uint8Array(32);
const INFO = utf8('parley-pqxdh-v1\0');
const SID = utf8('parley-sid-v1\0');

export function pqxdhAd(initiatorAoR: string, initiatorKey: Uint8Array, responderAoR: string, responderKey: Uint8Array): Uint8Array {
  return concat(lp16(normalizeAoR(initiatorAoR)), initiatorKey, lp16(normalizeAoR(responderAoR)), responderKey);
}

function derive(dh: Uint8Array[], ss: Uint8Array, ad: Uint8Array, ek: Uint8Array): PqxdhResult {
  const ikm = concat(F, ...dh, ss);
  const sharedKey = hkdf(ikm, SALT, concat(INFO, ad), 32);
  wipe(ikm, ss, ...dh);
  return { sharedKey, sessionId: h256(concat(SID, ek, ad)).slice(0, 16), ad };
}

/**
 * Initiator side. `bundle` (and `oneTime`) must already be verified (verifyBundle / verifyOneTime) and the bundle's
 * identity key accepted under the pinning policy.
 */
export function pqxdhInitiate(
  me: Identity,
  bundle: PrekeyBundle,
  oneTime?: OneTimePrekey,
  rng: Rng = random,
): PqxdhResult & { init: PqxdhInit } {
  const ek = x25519FromRng(rng);
  const ikB = edPkToX(bundle.identityKey, 'PREKEY_BAD_FORMAT');
  const spk = bundle.signedPrekey.publicKey;
  const dh = [
    me.agree(spk),
    x25519(ek.privateKey, ikB, 'PREKEY_BAD_FORMAT'),
    x25519(ek.privateKey, spk, 'PREKEY_BAD_FORMAT'),
    ...(oneTime ? [x25519(ek.privateKey, oneTime.publicKey, 'PREKEY_BAD_FORMAT')] : []),
  ];
  wipe(ek.privateKey);
  const { cipherText, sharedSecret } = ml_kem768.encapsulate(bundle.kemPrekey.publicKey, rng(32));
  const ad = pqxdhAd(me.aor, me.publicKey, bundle.aor, bundle.identityKey);
  const init: PqxdhInit = {
    ephemeralKey: ek.publicKey,
    signedPrekeyId: bundle.signedPrekey.id,
    kemPrekeyId: bundle.kemPrekey.id,
    oneTimePrekeyId: oneTime?.id ?? 0,
    kemCiphertext: cipherText,
  };
  return { ...derive(dh, sharedSecret, ad, ek.publicKey), init };
}

/** Responder side: the secrets named by the init's ids (from PrekeySecrets). Missing ones -> E2E_NO_PREKEY. */
export function pqxdhRespond(
  me: Identity,
  initiator: { aor: string; identityKey: Uint8Array },
  init: PqxdhInit,
  secrets: { signedPrekey?: Uint8Array; kemSecret?: Uint8Array; oneTime?: Uint8Array },
): PqxdhResult {
  if (!secrets.signedPrekey || !secrets.kemSecret || (init.oneTimePrekeyId !== 0 && !secrets.oneTime)) {
    throw new ParleyError('E2E_NO_PREKEY', 'first message names a prekey this account no longer holds', {
      signedPrekeyId: init.signedPrekeyId,
      kemPrekeyId: init.kemPrekeyId,
      oneTimePrekeyId: init.oneTimePrekeyId,
    });
  }
  if (init.kemCiphertext.length !== KEM_CIPHERTEXT_LEN) throw new ParleyError('E2E_BAD_FORMAT', 'KEM ciphertext length');
  const ekA = init.ephemeralKey;
  const dh = [
    x25519(secrets.signedPrekey, edPkToX(initiator.identityKey)),
    me.agree(ekA),
    x25519(secrets.signedPrekey, ekA),
    ...(init.oneTimePrekeyId !== 0 ? [x25519(secrets.oneTime!, ekA)] : []),
  ];
  // ML-KEM decapsulation never fails (implicit rejection): a forged ciphertext yields a different key and the AEAD fails.
  const ss = ml_kem768.decapsulate(init.kemCiphertext, secrets.kemSecret);
  const ad = pqxdhAd(initiator.aor, initiator.identityKey, me.aor, me.publicKey);
  return derive(dh, ss, ad, ekA);
}
