// Safety numbers (60 digits, Signal-style iterated SHA-512) and the QR verification payload, v1 (docs/security.md s.4).
import { ParleyError } from '../base/errors';
import { S, Reader, concat, u8, u16, lp16, utf8, ctEqual, b64url, fromB64url } from './sodium';
import { normalizeAoR, compareAoR } from './aor';

export const SAFETY_NUMBER_VERSION = 1;
export const SAFETY_ITERATIONS = 5200;

export interface PartyKey {
  aor: string;
  /** Ed25519 identity public key. */
  key: Uint8Array;
}

function partyDigits(p: PartyKey): string {
  const s = S();
  let h = s.crypto_hash_sha512(concat(u16(0), p.key, utf8(p.aor)));
  for (let i = 0; i < SAFETY_ITERATIONS; i++) h = s.crypto_hash_sha512(concat(h, p.key));
  let out = '';
  for (let i = 0; i < 6; i++) {
    const c = h.subarray(5 * i, 5 * i + 5);
    const v = c[0] * 2 ** 32 + ((c[1] << 24) >>> 0) + (c[2] << 16) + (c[3] << 8) + c[4];
    out += String(v % 100000).padStart(5, '0');
  }
  return out;
}

function norm(p: PartyKey): PartyKey {
  if (p.key.length !== 32) throw new ParleyError('SEC_BAD_KEY', 'identity key must be 32 bytes');
  return { aor: normalizeAoR(p.aor), key: p.key };
}

function sortParties(a: PartyKey, b: PartyKey): [PartyKey, PartyKey] {
  const c = compareAoR(a.aor, b.aor) || Buffer.compare(Buffer.from(a.key), Buffer.from(b.key));
  return c <= 0 ? [a, b] : [b, a];
}

/** The 60 digits, identical on both sides whatever the argument order. */
export function safetyNumberDigits(a: PartyKey, b: PartyKey): string {
  const [x, y] = sortParties(norm(a), norm(b));
  return partyDigits(x) + partyDigits(y);
}

/** Display form: 12 groups of 5 digits separated by spaces. */
export function safetyNumber(a: PartyKey, b: PartyKey): string {
  return safetyNumberDigits(a, b).match(/.{5}/g)!.join(' ');
}

/** Compare what the user typed/read (any whitespace) with the expected number, in constant time. */
export function verifySafetyNumber(input: string, expected: string): boolean {
  const a = input.replace(/\s+/g, '');
  const b = expected.replace(/\s+/g, '');
  if (!/^[0-9]{60}$/.test(a)) throw new ParleyError('SAFETY_BAD_FORMAT', 'a safety number has 60 digits');
  if (!/^[0-9]{60}$/.test(b)) throw new ParleyError('SAFETY_BAD_FORMAT', 'expected safety number malformed');
  return ctEqual(utf8(a), utf8(b));
}

/** QR payload v1: base64url(u8 1 || lp16(ownAoR) || ownKey || lp16(peerAoR) || peerKey). */
export function encodeQrPayload(own: PartyKey, peer: PartyKey): string {
  const o = norm(own);
  const p = norm(peer);
  return b64url(concat(u8(SAFETY_NUMBER_VERSION), lp16(o.aor), o.key, lp16(p.aor), p.key));
}

export function decodeQrPayload(payload: string): { own: PartyKey; peer: PartyKey } {
  const r = new Reader(fromB64url(payload.trim(), 'SAFETY_BAD_FORMAT'), 'SAFETY_BAD_FORMAT');
  const v = r.u8();
  if (v !== SAFETY_NUMBER_VERSION) throw new ParleyError('SAFETY_BAD_FORMAT', `unsupported QR payload version ${v}`, { version: v });
  const own = { aor: r.str16(256), key: r.bytes(32).slice() };
  const peer = { aor: r.str16(256), key: r.bytes(32).slice() };
  r.end();
  return { own, peer };
}

/**
 * Scanning side: the QR shown by the peer must carry the peer's pinned key as "own" and my key as "peer".
 * Returns true on a full match; the caller then calls PeerKeys.markVerified(peer.aor, peer.key).
 */
export function verifyQrPayload(payload: string, me: PartyKey, pinnedPeer: PartyKey): boolean {
  const { own, peer } = decodeQrPayload(payload);
  const m = norm(me);
  const p = norm(pinnedPeer);
  const keysOk = ctEqual(own.key, p.key) && ctEqual(peer.key, m.key);
  return keysOk && own.aor === p.aor && peer.aor === m.aor;
}
