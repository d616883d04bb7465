// Explicit bounds for everything the history store accepts, and the validators that enforce them.
import { ParleyError } from '../base/errors';

export const MAX_URI_CHARS = 512; // AoR, room URI
export const MAX_NICKNAME_CHARS = 128;
export const MAX_TITLE_CHARS = 256;
export const MAX_IMDN_ID_CHARS = 128;
export const MAX_CONTENT_TYPE_CHARS = 128;
export const MAX_REASON_CHARS = 256; // failure reason phrase
export const MAX_CODE_CHARS = 64; // security error code
export const MAX_BODY_BYTES = 1024 * 1024; // message body (files go to disk, not here)
export const MAX_FILE_NAME_CHARS = 255;
export const MAX_FILE_PATH_CHARS = 4096;
export const MAX_HASH_CHARS = 256;
export const MAX_TRANSFER_ID_CHARS = 128;
export const MAX_FILE_SIZE = Number.MAX_SAFE_INTEGER;
export const MAX_PAGE = 200; // messages per listMessages page
export const DEFAULT_PAGE = 50;
export const MAX_SEARCH_QUERY_CHARS = 256;
export const MAX_SEARCH_TERMS = 8;
export const MAX_SEARCH_LIMIT = 200;
export const MAX_CONVERSATION_LIST = 1000;

// C0 controls (including NUL) and DEL are never valid in identifiers, names or header-like fields.
const CONTROL = /[\u0000-\u001f\u007f]/;

function bad(field: string, why: string, details: Record<string, unknown> = {}): never {
  throw new ParleyError('STORE_BAD_INPUT', `${field}: ${why}`, { field, ...details });
}

/** A bounded single-line string; `optional` lets null/undefined through as null. */
export function str(field: string, v: unknown, max: number, optional: true): string | null;
export function str(field: string, v: unknown, max: number, optional?: false): string;
export function str(field: string, v: unknown, max: number, optional = false): string | null {
  if (v === undefined || v === null) {
    if (optional) return null;
    bad(field, 'is required');
  }
  if (typeof v !== 'string') bad(field, 'must be a string');
  if (v.length > max) {
    throw new ParleyError('STORE_INPUT_TOO_LARGE', `${field}: ${v.length} chars exceeds ${max}`, { field, max, length: v.length });
  }
  if (CONTROL.test(v)) bad(field, 'contains control characters');
  if (!wellFormed(v)) bad(field, 'contains a lone UTF-16 surrogate');
  if (!optional && v.length === 0) bad(field, 'is empty');
  return v;
}

/** A SIP/SIPS/TEL URI as stored (AoR or room URI): bounded, no controls or spaces, with a known scheme. */
export function uri(field: string, v: unknown): string {
  const s = str(field, v, MAX_URI_CHARS);
  if (!/^(sips?|tel|im):[^\s<>"]+$/i.test(s)) bad(field, 'is not a sip:, sips:, tel: or im: URI');
  return s;
}

export function oneOf<T extends string>(field: string, v: unknown, allowed: readonly T[], fallback?: T): T {
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) bad(field, `must be one of ${allowed.join('|')}`);
  return v as T;
}

export function int(field: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) bad(field, `must be an integer in [${min}, ${max}]`);
  return v;
}

export function optInt(field: string, v: unknown, min: number, max: number): number | null {
  return v === undefined || v === null ? null : int(field, v, min, max);
}

/** Millisecond timestamp (0 .. year 275760). */
export function time(field: string, v: unknown): number {
  return int(field, v, 0, 8.64e15);
}

export function optTime(field: string, v: unknown): number | null {
  return v === undefined || v === null ? null : time(field, v);
}

export function bool(field: string, v: unknown, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') bad(field, 'must be a boolean');
  return v;
}

/** False for strings with unpaired surrogates: they cannot be stored as UTF-8 and would come back altered. */
function wellFormed(s: string): boolean {
  return (s as string & { isWellFormed(): boolean }).isWellFormed();
}

/** A message body: text (any characters, NULs included) or bytes, at most MAX_BODY_BYTES once encoded. */
export function body(v: unknown): { bytes: Uint8Array; binary: boolean } {
  if (typeof v === 'string') {
    // UTF-8 is at most 3 bytes per UTF-16 unit: refuse obviously huge strings before encoding them.
    if (v.length > MAX_BODY_BYTES) tooBig(v.length);
    if (!wellFormed(v)) bad('body', 'contains a lone UTF-16 surrogate');
    const bytes = new TextEncoder().encode(v);
    if (bytes.length > MAX_BODY_BYTES) tooBig(bytes.length);
    return { bytes, binary: false };
  }
  if (v instanceof Uint8Array) {
    if (v.length > MAX_BODY_BYTES) tooBig(v.length);
    return { bytes: v, binary: true };
  }
  return bad('body', 'must be a string or Uint8Array');
}

function tooBig(n: number): never {
  throw new ParleyError('STORE_INPUT_TOO_LARGE', `body: ${n} bytes exceeds ${MAX_BODY_BYTES}`, {
    field: 'body',
    max: MAX_BODY_BYTES,
    length: n,
  });
}
