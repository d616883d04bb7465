// MSRP session key agreement carried in SDP `a=key-mgmt:parley-x25519-v1` (RFC 4567 syntax, RFC 4975 s.8), v1 (docs/security.md s.5.5).
import { ParleyError } from '../base/errors';
import { Reader, concat, u8, lp16, utf8, hkdf, h256, x25519, ctEqual, toB64, fromB64, wipe, random, x25519KeyPair } from './sodium';
import { normalizeAoR } from './aor';
import { verifySignature, type Identity } from './identity';
import { SessionCipher, DIR_OFFERER_TO_ANSWERER, DIR_ANSWERER_TO_OFFERER } from './session-cipher';

export const KEY_MGMT_PROTOCOL = 'parley-x25519-v1';
export const KEY_MGMT_VERSION = 1;
const SIG_CTX = utf8('parley-keymgmt-v1\0');
const ROLE_OFFER = 1;
const ROLE_ANSWER = 2;
const MAX_PAYLOAD = 1024;

export interface KeyMgmtPayload {
  role: 'offer' | 'answer';
  ephemeralKey: Uint8Array;
  identityKey: Uint8Array;
  aor: string;
  nonce: Uint8Array;
  transcript: Uint8Array;
  bytes: Uint8Array;
}

/** `key-mgmt:parley-x25519-v1 <base64>` (the SDP attribute without `a=`). */
export function formatKeyMgmtAttribute(payload: Uint8Array): string {
  return `key-mgmt:${KEY_MGMT_PROTOCOL} ${toB64(payload)}`;
}

/** The `{protocol, data}` pair main/protocol/sdp's KeyMgmt carries (RFC 4567 s.3.1). */
export interface KeyMgmtValue {
  protocol: string;
  data: string;
}

export type KeyMgmtInput = string | KeyMgmtValue;

export function toKeyMgmtValue(payload: Uint8Array): KeyMgmtValue {
  return { protocol: KEY_MGMT_PROTOCOL, data: toB64(payload) };
}

/** Accepts `a=key-mgmt:...`, `key-mgmt:...`, `parley-x25519-v1 <b64>` or `{protocol, data}`; returns the payload bytes. */
export function parseKeyMgmtAttribute(input: KeyMgmtInput): Uint8Array {
  const attr = typeof input === 'string' ? input : `${input.protocol} ${input.data}`;
  if (typeof attr !== 'string') throw new ParleyError('E2E_BAD_FORMAT', 'key-mgmt must be a string');
  const m = /^(?:a=)?(?:key-mgmt:)?\s*([A-Za-z0-9._-]+)\s+([A-Za-z0-9+/=]+)\s*$/.exec(attr.trim());
  if (!m) throw new ParleyError('E2E_BAD_FORMAT', 'malformed key-mgmt attribute');
  if (m[1] !== KEY_MGMT_PROTOCOL) throw new ParleyError('E2E_UNSUPPORTED', `unsupported key-mgmt protocol ${m[1]}`, { protocol: m[1] });
  if (m[2].length > (MAX_PAYLOAD * 4) / 3 + 4) throw new ParleyError('E2E_BAD_FORMAT', 'key-mgmt payload too large');
  return fromB64(m[2], 'E2E_BAD_FORMAT');
}

function buildPayload(me: Identity, role: number, eph: Uint8Array, transcript: Uint8Array): Uint8Array {
  const body = concat(u8(KEY_MGMT_VERSION), u8(role), eph, me.publicKey, lp16(normalizeAoR(me.aor)), random(16), transcript);
  return concat(body, me.sign(concat(SIG_CTX, body)));
}

/** Parse and verify the signature of a key-mgmt payload (E2E_BAD_FORMAT, E2E_TAMPERED). */
export function parseKeyMgmtPayload(bytes: Uint8Array): KeyMgmtPayload {
  const r = new Reader(bytes, 'E2E_BAD_FORMAT');
  const v = r.u8();
  if (v !== KEY_MGMT_VERSION) throw new ParleyError('E2E_BAD_FORMAT', `unsupported key-mgmt version ${v}`, { version: v });
  const role = r.u8();
  if (role !== ROLE_OFFER && role !== ROLE_ANSWER) throw new ParleyError('E2E_BAD_FORMAT', 'bad key-mgmt role');
  const ephemeralKey = r.bytes(32);
  const identityKey = r.bytes(32);
  const aor = r.str16(256);
  const nonce = r.bytes(16);
  const transcript = r.bytes(32);
  const body = bytes.subarray(0, r.off);
  const sig = r.bytes(64);
  r.end();
  if (!verifySignature(identityKey, concat(SIG_CTX, body), sig))
    throw new ParleyError('E2E_TAMPERED', 'key-mgmt signature does not verify');
  return { role: role === ROLE_OFFER ? 'offer' : 'answer', ephemeralKey, identityKey, aor, nonce, transcript, bytes };
}

/** An established end-to-end session: the cipher plus what the caller must check against pins and the SIP identity. */
export interface EstablishedSession {
  peerAoR: string;
  peerIdentityKey: Uint8Array;
  cipher: SessionCipher;
  /** Whether a PSK was mixed in. */
  psk: boolean;
  /** 32-byte root for secretstream transfers: H256k(streamRoot, "parley-stream-v1" || lp16(transferId)). */
  streamKey(transferId: string): Uint8Array;
  /** Zero all session secrets (forward secrecy once both ends did so). */
  destroy(): void;
}

export interface SessionOptions {
  psk?: Uint8Array;
  /** If given, the peer's AoR in the payload must equal it (E2E_PEER_MISMATCH). */
  expectedPeerAoR?: string;
}

function establish(
  myEph: Uint8Array,
  offer: KeyMgmtPayload,
  answer: KeyMgmtPayload,
  iAmOfferer: boolean,
  opts: SessionOptions,
): EstablishedSession {
  const peer = iAmOfferer ? answer : offer;
  if (opts.expectedPeerAoR !== undefined && normalizeAoR(opts.expectedPeerAoR) !== peer.aor) {
    throw new ParleyError('E2E_PEER_MISMATCH', 'key-mgmt AoR differs from the SIP peer', { peer: peer.aor });
  }
  const dh = x25519(myEph, peer.ephemeralKey);
  const ikm = concat(dh, ...(opts.psk ? [opts.psk] : []));
  const salt = h256(concat(offer.bytes, answer.bytes));
  const o2a = hkdf(ikm, salt, utf8('parley-msrp-v1 offerer->answerer'));
  const a2o = hkdf(ikm, salt, utf8('parley-msrp-v1 answerer->offerer'));
  const root = hkdf(ikm, salt, utf8('parley-msrp-v1 stream'));
  wipe(dh, ikm);
  const cipher = iAmOfferer ? new SessionCipher(o2a, a2o, DIR_OFFERER_TO_ANSWERER) : new SessionCipher(a2o, o2a, DIR_ANSWERER_TO_OFFERER);
  wipe(o2a, a2o);
  return {
    peerAoR: peer.aor,
    peerIdentityKey: peer.identityKey.slice(),
    cipher,
    psk: !!opts.psk,
    streamKey(transferId: string): Uint8Array {
      if (cipher.destroyed) throw new ParleyError('E2E_SESSION_CLOSED', 'session destroyed');
      return h256(concat(utf8('parley-stream-v1'), lp16(transferId)), root);
    },
    destroy(): void {
      cipher.destroy();
      wipe(root);
    },
  };
}

/** Offerer side: put `attribute` in the SDP offer; call complete() with the answer's attribute. */
export class SessionOffer {
  readonly payload: Uint8Array;
  #eph: Uint8Array;
  #done = false;

  constructor(private readonly me: Identity) {
    const kp = x25519KeyPair();
    this.#eph = kp.privateKey;
    this.payload = buildPayload(me, ROLE_OFFER, kp.publicKey, new Uint8Array(32));
  }

  get attribute(): string {
    return formatKeyMgmtAttribute(this.payload);
  }

  /** For main/protocol/sdp: `{protocol: 'parley-x25519-v1', data: base64}`. */
  get keyMgmt(): KeyMgmtValue {
    return toKeyMgmtValue(this.payload);
  }

  complete(answerAttribute: KeyMgmtInput, opts: SessionOptions = {}): EstablishedSession {
    if (this.#done) throw new ParleyError('E2E_SESSION_CLOSED', 'offer already completed or destroyed');
    const answer = parseKeyMgmtPayload(parseKeyMgmtAttribute(answerAttribute));
    if (answer.role !== 'answer') throw new ParleyError('E2E_BAD_FORMAT', 'expected a key-mgmt answer');
    if (!ctEqual(answer.transcript, h256(this.payload)))
      throw new ParleyError('E2E_TAMPERED', 'answer does not bind to our offer (transcript mismatch)');
    const offer = parseKeyMgmtPayload(this.payload);
    try {
      return establish(this.#eph, offer, answer, true, opts);
    } finally {
      this.destroy();
    }
  }

  /** Zero the ephemeral secret (also on INVITE failure/cancel). */
  destroy(): void {
    wipe(this.#eph);
    this.#done = true;
  }
}

/** Answerer side: verify the offer, produce the answer attribute and the established session. */
export function acceptSessionOffer(
  me: Identity,
  offerAttribute: KeyMgmtInput,
  opts: SessionOptions = {},
): { attribute: string; keyMgmt: KeyMgmtValue; session: EstablishedSession } {
  const offer = parseKeyMgmtPayload(parseKeyMgmtAttribute(offerAttribute));
  if (offer.role !== 'offer') throw new ParleyError('E2E_BAD_FORMAT', 'expected a key-mgmt offer');
  const kp = x25519KeyPair();
  const bytes = buildPayload(me, ROLE_ANSWER, kp.publicKey, h256(offer.bytes));
  const answer = parseKeyMgmtPayload(bytes);
  try {
    return {
      attribute: formatKeyMgmtAttribute(bytes),
      keyMgmt: toKeyMgmtValue(bytes),
      session: establish(kp.privateKey, offer, answer, false, opts),
    };
  } finally {
    wipe(kp.privateKey);
  }
}
