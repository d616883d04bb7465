// Prekey directory requests and replies: JSON bodies of SIP MESSAGE to and from sip:keys@<home domain>
// (docs/security.md s.5.7, docs/wire-formats.md "Prekey directory"). Pure: builders and strict parsers with limits.
import { ParleyError } from '../base/errors';
import { b64url, fromB64url, random, utf8 } from './sodium';
import { normalizeAoR } from './aor';
import { MAX_BUNDLE_BYTES, ONE_TIME_BYTES } from './prekeys';

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

function parseJson(body: string | Uint8Array): Record<string, unknown> {
  const text = typeof body === 'string' ? body : new TextDecoder().decode(body);
  if (utf8(text).length > MAX_DIRECTORY_BODY) throw new ParleyError('KEYDIR_TOO_LARGE', `body exceeds ${MAX_DIRECTORY_BODY} bytes`);
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    throw fail('not JSON');
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
  const b = fromB64url(x, C);
  if (b.length === 0 || b.length > max) throw fail('field length');
  return b;
};

export const newRequestId = (): string => b64url(random(12));

export function encodeDirectoryRequest(r: DirectoryRequest): string {
  if (r.op === 'publish')
    return JSON.stringify({
      v: 1,
      op: 'publish',
      id: r.id,
      ...(r.bundle ? { bundle: b64url(r.bundle) } : {}),
      oneTime: r.oneTime.map(b64url),
      replaceOneTime: r.replaceOneTime,
    });
  if (r.op === 'fetch') return JSON.stringify({ v: 1, op: 'fetch', id: r.id, aor: normalizeAoR(r.aor) });
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
  if (o.op === 'fetch') {
    if (typeof o.aor !== 'string') throw fail('fetch needs aor');
    let aor: string;
    try {
      aor = normalizeAoR(o.aor);
    } catch {
      throw fail('bad aor');
    }
    return { v: 1, op: 'fetch', id: id(o.id), aor };
  }
  if (o.op === 'status') return { v: 1, op: 'status', id: id(o.id) };
  throw fail(`unknown op ${String(o.op)}`);
}

export function encodeDirectoryReply(r: DirectoryReply): string {
  if (r.op === 'fetch') return JSON.stringify({ ...r, bundle: b64url(r.bundle), oneTime: r.oneTime ? b64url(r.oneTime) : null });
  if (r.op === 'status') return JSON.stringify({ ...r, bundle: r.bundle ? b64url(r.bundle) : null });
  return JSON.stringify(r);
}

export function parseDirectoryReply(body: string | Uint8Array): DirectoryReply {
  const o = parseJson(body);
  const re = id(o.re);
  const count = (x: unknown) => {
    if (!Number.isInteger(x) || (x as number) < 0) throw fail('bad count');
    return x as number;
  };
  if (o.op === 'publish') return { v: 1, op: 'publish', re, oneTimeCount: count(o.oneTimeCount) };
  if (o.op === 'fetch') {
    if (typeof o.aor !== 'string') throw fail('fetch reply needs aor');
    return {
      v: 1,
      op: 'fetch',
      re,
      aor: o.aor,
      bundle: bytes(o.bundle, MAX_BUNDLE_BYTES),
      oneTime: o.oneTime === null ? null : bytes(o.oneTime, ONE_TIME_BYTES),
    };
  }
  if (o.op === 'status')
    return {
      v: 1,
      op: 'status',
      re,
      bundle: o.bundle === null ? null : bytes(o.bundle, MAX_BUNDLE_BYTES),
      oneTimeCount: count(o.oneTimeCount),
      updated: o.updated === null ? null : count(o.updated),
    };
  throw fail(`unknown op ${String(o.op)}`);
}
