// Prekey bundle and one-time prekey layouts (structure only, no cryptography) and the prekey directory's JSON bodies
// (docs/wire-formats.md "Prekeys", docs/security.md s.5.7). Signing and verification live in main/security/prekeys.ts;
// the directory (network/appserver/keys) needs only this.
import { randomBytes } from 'node:crypto';
import { ParleyError } from '../../base/errors';

export const BUNDLE_MAGIC = new TextEncoder().encode('PPKB');
export const BUNDLE_VERSION = 1;
export const ONE_TIME_VERSION = 1;
export const KEM_PUBLIC_LEN = 1184;
export const KEM_SECRET_LEN = 2400;
export const KEM_CIPHERTEXT_LEN = 1088;
/** Largest encoded bundle any party accepts (a v1 bundle with a 256-byte AoR is 1,591 bytes). */
export const MAX_BUNDLE_BYTES = 2048;
/** Encoded one-time prekey record: u8 version, u32 id, X25519 key, Ed25519 signature. */
export const ONE_TIME_BYTES = 1 + 4 + 32 + 64;

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

const bad = (msg: string, details?: Record<string, unknown>) => new ParleyError('PREKEY_BAD_FORMAT', `bad prekey data: ${msg}`, details);

function reader(b: Uint8Array) {
  let off = 0;
  const take = (n: number) => {
    if (off + n > b.length) throw bad(`truncated at byte ${off}`);
    const out = b.subarray(off, off + n);
    off += n;
    return out;
  };
  const uint = (n: number) => take(n).reduce((a, x) => a * 256 + x, 0);
  return {
    take,
    u8: () => uint(1),
    u16: () => uint(2),
    u32: () => uint(4),
    u64: () => uint(8),
    end: () => {
      if (off !== b.length) throw bad(`${b.length - off} trailing bytes`);
    },
  };
}

/** Parse a bundle's structure (no signature check). Throws PREKEY_BAD_FORMAT. */
export function parseBundle(bytes: Uint8Array): PrekeyBundle {
  if (bytes.length > MAX_BUNDLE_BYTES) throw bad(`bundle of ${bytes.length} bytes`);
  const r = reader(bytes);
  if (!r.take(4).every((x, i) => x === BUNDLE_MAGIC[i])) throw bad('magic');
  const version = r.u8();
  if (version !== BUNDLE_VERSION) throw bad(`unsupported version ${version}`, { version });
  const n = r.u16();
  if (n > 256) throw bad('AoR too long');
  let aor: string;
  try {
    aor = new TextDecoder('utf-8', { fatal: true }).decode(r.take(n));
  } catch {
    throw bad('AoR is not UTF-8');
  }
  const identityKey = r.take(32);
  const created = r.u64();
  if (!Number.isSafeInteger(created)) throw bad('created out of range');
  const signedPrekey = { id: r.u32(), publicKey: r.take(32) };
  const kemPrekey = { id: r.u32(), publicKey: r.take(KEM_PUBLIC_LEN) };
  const signature = r.take(64);
  r.end();
  return { aor, identityKey, created, signedPrekey, kemPrekey, signature, bytes };
}

export function parseOneTime(bytes: Uint8Array): OneTimePrekey {
  const r = reader(bytes);
  const v = r.u8();
  if (v !== ONE_TIME_VERSION) throw bad(`unsupported one-time version ${v}`, { version: v });
  const id = r.u32();
  const publicKey = r.take(32);
  const signature = r.take(64);
  r.end();
  return { id, publicKey, signature, bytes };
}

// ---- the directory's request and reply bodies (SIP MESSAGE to and from sip:keys@<home domain>) ----

export const PREKEYS_CONTENT_TYPE = 'application/vnd.parley.prekeys+json';
/** The directory's service user in the home domain: sip:keys@<domain>. */
export const DIRECTORY_USER = 'keys';
/** One-time prekeys in one publish request. */
export const MAX_ONE_TIME_PER_PUBLISH = 100;
/** Largest request or reply body (a publish of 100 one-time prekeys is ~16 KiB). */
export const MAX_DIRECTORY_BODY = 64 * 1024;

export type DirectoryRequest =
  | { v: 1; op: 'publish'; id: string; bundle?: Uint8Array; oneTime: Uint8Array[]; replaceOneTime: boolean }
  | { v: 1; op: 'fetch'; id: string; aor: string }
  | { v: 1; op: 'status'; id: string };

export type DirectoryReply =
  | { v: 1; op: 'publish'; re: string; oneTimeCount: number }
  | { v: 1; op: 'fetch'; re: string; aor: string; bundle: Uint8Array; oneTime: Uint8Array | null }
  | { v: 1; op: 'status'; re: string; bundle: Uint8Array | null; oneTimeCount: number; updated: number | null };

const C = 'KEYDIR_BAD_REQUEST';
const fail = (m: string) => new ParleyError(C, `prekey directory body: ${m}`);
const b64 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length).toString('base64url');

function parseJson(body: string | Uint8Array): Record<string, unknown> {
  const size = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  if (size > MAX_DIRECTORY_BODY) throw new ParleyError('KEYDIR_TOO_LARGE', `body exceeds ${MAX_DIRECTORY_BODY} bytes`);
  let o: unknown;
  try {
    o = JSON.parse(typeof body === 'string' ? body : new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    throw fail('not UTF-8 JSON');
  }
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw fail('not an object');
  const r = o as Record<string, unknown>;
  if (r.v !== 1) throw fail(`unsupported version ${String(r.v)}`);
  return r;
}

const id = (x: unknown): string => {
  if (typeof x !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(x)) throw fail('bad id');
  return x;
};
const bytes = (x: unknown, max: number): Uint8Array => {
  if (typeof x !== 'string' || !/^[A-Za-z0-9_-]+$/.test(x) || x.length % 4 === 1) throw fail('bad base64url field');
  const b = new Uint8Array(Buffer.from(x, 'base64url'));
  if (b.length === 0 || b.length > max) throw fail('field length');
  return b;
};
const aorField = (x: unknown): string => {
  if (typeof x !== 'string' || x.length > 256 || !/^sips?:[^\s<>]+@[^\s<>]+$/i.test(x)) throw fail('bad aor');
  return x;
};
const count = (x: unknown) => {
  if (!Number.isSafeInteger(x) || (x as number) < 0) throw fail('bad count');
  return x as number;
};

export const newRequestId = (): string => randomBytes(12).toString('base64url');

export function encodeDirectoryRequest(r: DirectoryRequest): string {
  if (r.op === 'publish') {
    const bundle = r.bundle ? { bundle: b64(r.bundle) } : {};
    return JSON.stringify({ v: 1, op: 'publish', id: r.id, ...bundle, oneTime: r.oneTime.map(b64), replaceOneTime: r.replaceOneTime });
  }
  if (r.op === 'fetch') return JSON.stringify({ v: 1, op: 'fetch', id: r.id, aor: r.aor });
  return JSON.stringify({ v: 1, op: 'status', id: r.id });
}

export function parseDirectoryRequest(body: string | Uint8Array): DirectoryRequest {
  const o = parseJson(body);
  if (o.op === 'publish') {
    if (!Array.isArray(o.oneTime) || o.oneTime.length > MAX_ONE_TIME_PER_PUBLISH)
      throw fail(`oneTime must be an array of at most ${MAX_ONE_TIME_PER_PUBLISH}`);
    return {
      v: 1,
      op: 'publish',
      id: id(o.id),
      bundle: o.bundle === undefined ? undefined : bytes(o.bundle, MAX_BUNDLE_BYTES),
      oneTime: o.oneTime.map((x) => bytes(x, ONE_TIME_BYTES)),
      replaceOneTime: o.replaceOneTime === true,
    };
  }
  if (o.op === 'fetch') return { v: 1, op: 'fetch', id: id(o.id), aor: aorField(o.aor) };
  if (o.op === 'status') return { v: 1, op: 'status', id: id(o.id) };
  throw fail(`unknown op ${String(o.op)}`);
}

export function encodeDirectoryReply(r: DirectoryReply): string {
  if (r.op === 'fetch') return JSON.stringify({ ...r, bundle: b64(r.bundle), oneTime: r.oneTime ? b64(r.oneTime) : null });
  if (r.op === 'status') return JSON.stringify({ ...r, bundle: r.bundle ? b64(r.bundle) : null });
  return JSON.stringify(r);
}

export function parseDirectoryReply(body: string | Uint8Array): DirectoryReply {
  const o = parseJson(body);
  const re = id(o.re);
  if (o.op === 'publish') return { v: 1, op: 'publish', re, oneTimeCount: count(o.oneTimeCount) };
  if (o.op === 'fetch') {
    const oneTime = o.oneTime === null ? null : bytes(o.oneTime, ONE_TIME_BYTES);
    return { v: 1, op: 'fetch', re, aor: aorField(o.aor), bundle: bytes(o.bundle, MAX_BUNDLE_BYTES), oneTime };
  }
  if (o.op === 'status') {
    const bundle = o.bundle === null ? null : bytes(o.bundle, MAX_BUNDLE_BYTES);
    return { v: 1, op: 'status', re, bundle, oneTimeCount: count(o.oneTimeCount), updated: o.updated === null ? null : count(o.updated) };
  }
  throw fail(`unknown op ${String(o.op)}`);
}
