// Double Ratchet (Signal's specification, without header encryption) as pure functions over a serialisable state,
// docs/security.md s.5.9. Every function returns a new state; callers commit it only after the message authenticated.
import { ParleyError } from '../base/errors';
import { u8, utf8, hkdf, h256, x25519, b64url, fromB64url, ctEqual, random } from './sodium';
import { x25519FromRng, type Rng } from './prekeys';
import type { PqxdhInit } from './pqxdh';

/** Most message keys derived for one gap (a sender more than this far ahead is refused). */
export const MAX_SKIP = 1000;
/** Most skipped-message keys held per session; the oldest go first. */
export const MAX_SKIPPED_KEYS = 2000;
/** A skipped-message key is dropped after this long (longer than msilo's 3-day store plus a week offline). */
export const SKIPPED_KEY_TTL_MS = 10 * 24 * 3600 * 1000;
/** Receiving chains remembered (by their DH key) to tell a replay from a new ratchet step. */
export const OLD_CHAINS_KEPT = 16;
const RK_INFO = utf8('parley-dr-v1 root');

export interface RatchetHeader {
  dh: Uint8Array;
  pn: number;
  n: number;
}

export interface SkippedKey {
  dh: Uint8Array;
  n: number;
  mk: Uint8Array;
  at: number;
}

export interface RatchetState {
  sessionId: Uint8Array;
  /** Party binding from PQXDH (initiator AoR/key, responder AoR/key). */
  ad: Uint8Array;
  rk: Uint8Array;
  dhs: { publicKey: Uint8Array; privateKey: Uint8Array };
  dhr: Uint8Array | null;
  cks: Uint8Array | null;
  ckr: Uint8Array | null;
  ns: number;
  nr: number;
  pn: number;
  skipped: SkippedKey[];
  oldChains: Uint8Array[];
  /** Initiator only: attached to every message until the first message from the responder arrives. */
  pendingInit: PqxdhInit | null;
}

function kdfRk(rk: Uint8Array, dhOut: Uint8Array): [Uint8Array, Uint8Array] {
  const out = hkdf(dhOut, rk, RK_INFO, 64);
  return [out.slice(0, 32), out.slice(32)];
}

/** Symmetric-key ratchet step: (next chain key, message key). */
export function kdfCk(ck: Uint8Array): [Uint8Array, Uint8Array] {
  return [h256(u8(2), ck), h256(u8(1), ck)];
}

export function initInitiator(
  sharedKey: Uint8Array,
  responderSpk: Uint8Array,
  x: { sessionId: Uint8Array; ad: Uint8Array; init: PqxdhInit },
  rng: Rng = random,
): RatchetState {
  const dhs = x25519FromRng(rng);
  const [rk, cks] = kdfRk(sharedKey, x25519(dhs.privateKey, responderSpk));
  return {
    sessionId: x.sessionId,
    ad: x.ad,
    rk,
    dhs,
    dhr: responderSpk,
    cks,
    ckr: null,
    ns: 0,
    nr: 0,
    pn: 0,
    skipped: [],
    oldChains: [],
    pendingInit: x.init,
  };
}

export function initResponder(
  sharedKey: Uint8Array,
  spk: { publicKey: Uint8Array; privateKey: Uint8Array },
  x: { sessionId: Uint8Array; ad: Uint8Array },
): RatchetState {
  return {
    sessionId: x.sessionId,
    ad: x.ad,
    rk: sharedKey,
    dhs: { publicKey: spk.publicKey.slice(), privateKey: spk.privateKey.slice() },
    dhr: null,
    cks: null,
    ckr: null,
    ns: 0,
    nr: 0,
    pn: 0,
    skipped: [],
    oldChains: [],
    pendingInit: null,
  };
}

/** Next sending message key. The state must be committed (persisted) before the message leaves. */
export function ratchetSend(st: RatchetState): { header: RatchetHeader; mk: Uint8Array; next: RatchetState } {
  if (!st.cks) throw new ParleyError('E2E_NO_SESSION', 'ratchet cannot send before it has received (responder state)');
  if (st.ns >= 0xffffffff) throw new ParleyError('E2E_SEQ_EXHAUSTED', 'sending chain exhausted');
  const [cks, mk] = kdfCk(st.cks);
  return { header: { dh: st.dhs.publicKey, pn: st.pn, n: st.ns }, mk, next: { ...st, cks, ns: st.ns + 1 } };
}

function skip(st: RatchetState, until: number, now: number): RatchetState {
  if (!st.ckr) return st;
  if (until - st.nr > MAX_SKIP)
    throw new ParleyError('E2E_TOO_MANY_SKIPPED', `message is ${until - st.nr} ahead of the chain (max ${MAX_SKIP})`);
  let ck = st.ckr;
  const added: SkippedKey[] = [];
  for (let n = st.nr; n < until; n++) {
    const [next, mk] = kdfCk(ck);
    added.push({ dh: st.dhr!, n, mk, at: now });
    ck = next;
  }
  return { ...st, ckr: ck, nr: until, skipped: [...st.skipped, ...added].slice(-MAX_SKIPPED_KEYS) };
}

/**
 * Message key for a received header. Returns the state to commit once the message authenticated; throws E2E_REPLAY for a
 * message number already used (or whose skipped key expired), E2E_TOO_MANY_SKIPPED beyond MAX_SKIP.
 */
export function ratchetReceive(
  st0: RatchetState,
  h: RatchetHeader,
  now: number,
  rng: Rng = random,
): { mk: Uint8Array; next: RatchetState } {
  const st = { ...st0, skipped: st0.skipped.filter((k) => now - k.at < SKIPPED_KEY_TTL_MS) };
  const i = st.skipped.findIndex((k) => k.n === h.n && ctEqual(k.dh, h.dh));
  if (i >= 0) return { mk: st.skipped[i].mk, next: { ...st, skipped: st.skipped.filter((_, j) => j !== i) } };
  let s = st;
  if (!s.dhr || !ctEqual(h.dh, s.dhr)) {
    if (s.oldChains.some((d) => ctEqual(d, h.dh)))
      throw new ParleyError('E2E_REPLAY', 'message of an earlier chain already read or its key expired', { n: h.n });
    // DH ratchet step: finish the current receiving chain (up to pn), then two root-key steps.
    s = skip(s, h.pn, now);
    const oldChains = s.dhr ? [...s.oldChains, s.dhr].slice(-OLD_CHAINS_KEPT) : s.oldChains;
    const [rk1, ckr] = kdfRk(s.rk, x25519(s.dhs.privateKey, h.dh));
    const dhs = x25519FromRng(rng);
    const [rk2, cks] = kdfRk(rk1, x25519(dhs.privateKey, h.dh));
    s = { ...s, oldChains, pn: s.ns, ns: 0, nr: 0, dhr: h.dh, ckr, cks, rk: rk2, dhs };
  } else if (h.n < s.nr) {
    throw new ParleyError('E2E_REPLAY', 'message number already read or its key expired', { n: h.n });
  }
  s = skip(s, h.n, now);
  const [ckr, mk] = kdfCk(s.ckr!);
  return { mk, next: { ...s, ckr, nr: s.nr + 1, pendingInit: null } };
}

// ---- versioned serialisation (inside the key store's encrypted body) ----

export interface RatchetStateJSON {
  v: 1;
  sid: string;
  ad: string;
  rk: string;
  dhs: [string, string];
  dhr: string | null;
  cks: string | null;
  ckr: string | null;
  ns: number;
  nr: number;
  pn: number;
  skipped: [string, number, string, number][];
  old: string[];
  init: null | { ek: string; spk: number; kem: number; otk: number; ct: string };
}

const b = (x: Uint8Array | null) => (x ? b64url(x) : null);

export function ratchetToJSON(s: RatchetState): RatchetStateJSON {
  const i = s.pendingInit;
  return {
    v: 1,
    sid: b64url(s.sessionId),
    ad: b64url(s.ad),
    rk: b64url(s.rk),
    dhs: [b64url(s.dhs.publicKey), b64url(s.dhs.privateKey)],
    dhr: b(s.dhr),
    cks: b(s.cks),
    ckr: b(s.ckr),
    ns: s.ns,
    nr: s.nr,
    pn: s.pn,
    skipped: s.skipped.map((k) => [b64url(k.dh), k.n, b64url(k.mk), k.at]),
    old: s.oldChains.map(b64url),
    init: i && {
      ek: b64url(i.ephemeralKey),
      spk: i.signedPrekeyId,
      kem: i.kemPrekeyId,
      otk: i.oneTimePrekeyId,
      ct: b64url(i.kemCiphertext),
    },
  };
}

export function ratchetFromJSON(j: RatchetStateJSON): RatchetState {
  const C = 'KEYSTORE_CORRUPT';
  if (!j || j.v !== 1) throw new ParleyError(C, 'unsupported ratchet state version', { version: (j as { v?: unknown })?.v });
  const k = (x: unknown, len?: number) => fromB64url(x, C, len);
  const n = (x: unknown) => {
    if (!Number.isInteger(x) || (x as number) < 0 || (x as number) > 0xffffffff) throw new ParleyError(C, 'bad ratchet counter');
    return x as number;
  };
  return {
    sessionId: k(j.sid, 16),
    ad: k(j.ad),
    rk: k(j.rk, 32),
    dhs: { publicKey: k(j.dhs[0], 32), privateKey: k(j.dhs[1], 32) },
    dhr: j.dhr === null ? null : k(j.dhr, 32),
    cks: j.cks === null ? null : k(j.cks, 32),
    ckr: j.ckr === null ? null : k(j.ckr, 32),
    ns: n(j.ns),
    nr: n(j.nr),
    pn: n(j.pn),
    skipped: j.skipped.map(([dh, sn, mk, at]) => ({ dh: k(dh, 32), n: n(sn), mk: k(mk, 32), at: Number(at) })),
    oldChains: j.old.map((d) => k(d, 32)),
    pendingInit: j.init && {
      ephemeralKey: k(j.init.ek, 32),
      signedPrekeyId: n(j.init.spk),
      kemPrekeyId: n(j.init.kem),
      oneTimePrekeyId: n(j.init.otk),
      kemCiphertext: k(j.init.ct),
    },
  };
}
