// SDP file transfer attributes: file-selector, file-transfer-id, file-disposition, file-date, file-icon, file-range (RFC 5547 s5, s6, s7).
import { ParleyError, type ErrorCode } from '../../base/errors';

export interface FileHash {
  algorithm: string;
  digest: Uint8Array;
} // algorithm as in RFC 4572 hash-func, e.g. 'sha-256'
export interface FileSelector {
  name?: string;
  type?: string;
  size?: number;
  hashes?: FileHash[];
}
export interface FileDates {
  creation?: string;
  modification?: string;
  read?: string;
} // RFC 5322 date-time strings
export interface FileRange {
  start: number;
  stop: number | '*';
} // 1-based, inclusive
export interface FileAttributes {
  selector?: FileSelector;
  transferId?: string;
  disposition?: string; // 'render' | 'attachment' | other token
  date?: FileDates;
  icon?: string; // cid: URL
  range?: FileRange;
}
export const FILE_NAME_MAX_BYTES = 1024;

const DIGEST_BYTES: Record<string, number> = { md5: 16, 'sha-1': 20, 'sha-224': 28, 'sha-256': 32, 'sha-384': 48, 'sha-512': 64 };
const TOKEN = /^[!#$%&'*+\-.^_`{|}~0-9A-Za-z]+$/;
const TYPE_RE =
  /^[!#$%&'*+\-.^_`{|}~0-9A-Za-z]+\/[!#$%&'*+\-.^_`{|}~0-9A-Za-z]+(;[!#$%&'*+\-.^_`{|}~0-9A-Za-z]+=("[^"\r\n]*"|[!#$%&'*+\-.^_`{|}~0-9A-Za-z]+))*$/;
const DATE_5322 = /^(?:[A-Z][a-z]{2}, )?\d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}(?::\d{2})? (?:[+-]\d{4}|[A-Z]{1,5})$/;

function err(code: ErrorCode, msg: string): never {
  throw new ParleyError(code, `file-selector: ${msg}`);
}

/** Uppercase colon-separated hex (RFC 4572 style) <-> bytes. */
export function formatHashHex(digest: Uint8Array): string {
  return Array.from(digest, (b) => b.toString(16).toUpperCase().padStart(2, '0')).join(':');
}
export function parseHashHex(s: string): Uint8Array {
  if (!/^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2})*$/.test(s)) err('FILE_SELECTOR_BAD_HASH', `invalid hash value ${JSON.stringify(s.slice(0, 40))}`);
  return Uint8Array.from(s.split(':'), (h) => parseInt(h, 16));
}

/** File names are UTF-8 with %, DQUOTE, CR, LF, NUL and other controls percent-encoded (RFC 5547 s5 filename-string). */
function encodeName(name: string): string {
  if (!name || Buffer.byteLength(name) > FILE_NAME_MAX_BYTES) err('FILE_SELECTOR_BAD_INPUT', 'file name empty or too long');
  return name.replace(/[%"\u0000-\u001f\u007f]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'));
}
function decodeName(s: string): string {
  const bytes: number[] = [];
  const raw = Buffer.from(s, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === 0x25 && i + 2 < raw.length && /^[0-9A-Fa-f]{2}$/.test(raw.toString('latin1', i + 1, i + 3))) {
      bytes.push(parseInt(raw.toString('latin1', i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(raw[i]);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
  } catch {
    err('FILE_SELECTOR_BAD_NAME', 'file name is not valid UTF-8 after percent-decoding');
  }
}

export function formatFileSelector(s: FileSelector): string {
  const out: string[] = [];
  if (s.name !== undefined) out.push(`name:"${encodeName(s.name)}"`);
  if (s.type !== undefined) {
    if (!TYPE_RE.test(s.type)) err('FILE_SELECTOR_BAD_INPUT', `invalid type ${JSON.stringify(s.type)}`);
    out.push(`type:${s.type}`);
  }
  if (s.size !== undefined) {
    if (!Number.isSafeInteger(s.size) || s.size < 0) err('FILE_SELECTOR_BAD_INPUT', 'invalid size');
    out.push(`size:${s.size}`);
  }
  for (const h of s.hashes ?? []) {
    const want = DIGEST_BYTES[h.algorithm.toLowerCase()];
    if (!TOKEN.test(h.algorithm) || !h.digest.length || (want !== undefined && want !== h.digest.length))
      err('FILE_SELECTOR_BAD_INPUT', 'invalid hash');
    out.push(`hash:${h.algorithm.toLowerCase()}:${formatHashHex(h.digest)}`);
  }
  return out.join(' ');
}

/** Splits on spaces outside double quotes. */
function words(v: string): string[] {
  const out: string[] = [];
  let cur = '',
    q = false;
  for (const ch of v) {
    if (ch === '"') q = !q;
    if (ch === ' ' && !q) {
      if (cur) out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (q) err('FILE_SELECTOR_MALFORMED', 'unterminated quoted string');
  if (cur) out.push(cur);
  return out;
}

export function parseFileSelector(value: string): FileSelector {
  if (value.length > 4 * FILE_NAME_MAX_BYTES) err('FILE_SELECTOR_MALFORMED', 'file-selector too long');
  const s: FileSelector = {};
  for (const w of words(value.trim())) {
    const c = w.indexOf(':');
    const key = c > 0 ? w.slice(0, c).toLowerCase() : '';
    const v = w.slice(c + 1);
    if (key === 'name') {
      if (!/^"[^"]*"$/.test(v)) err('FILE_SELECTOR_MALFORMED', 'name must be a quoted string');
      s.name = decodeName(v.slice(1, -1));
    } else if (key === 'type') {
      if (!TYPE_RE.test(v)) err('FILE_SELECTOR_MALFORMED', `invalid type ${JSON.stringify(v)}`);
      s.type = v;
    } else if (key === 'size') {
      if (!/^[0-9]{1,16}$/.test(v) || !Number.isSafeInteger(Number(v))) err('FILE_SELECTOR_MALFORMED', `invalid size ${JSON.stringify(v)}`);
      s.size = Number(v);
    } else if (key === 'hash') {
      const hc = v.indexOf(':');
      if (hc <= 0 || !TOKEN.test(v.slice(0, hc))) err('FILE_SELECTOR_BAD_HASH', 'invalid hash selector');
      const h = { algorithm: v.slice(0, hc).toLowerCase(), digest: parseHashHex(v.slice(hc + 1)) };
      if (DIGEST_BYTES[h.algorithm] !== undefined && DIGEST_BYTES[h.algorithm] !== h.digest.length)
        err('FILE_SELECTOR_BAD_HASH', `${h.algorithm} digest must be ${DIGEST_BYTES[h.algorithm]} bytes`);
      (s.hashes ??= []).push(h);
    } else err('FILE_SELECTOR_MALFORMED', `unknown selector ${JSON.stringify(w.slice(0, 40))}`);
  }
  return s;
}

/** RFC 5322 date-time for a Date, e.g. 'Thu, 26 Nov 2026 14:00:00 +0000'. */
export function formatRfc5322Date(d: Date): string {
  return d.toUTCString().replace(/GMT$/, '+0000');
}
export function formatFileDate(d: FileDates): string {
  const out: string[] = [];
  for (const k of ['creation', 'modification', 'read'] as const) {
    const v = d[k];
    if (v === undefined) continue;
    if (!DATE_5322.test(v)) err('FILE_SELECTOR_BAD_INPUT', `invalid ${k} date ${JSON.stringify(v)}`);
    out.push(`${k}:"${v}"`);
  }
  return out.join(' ');
}
export function parseFileDate(value: string): FileDates {
  const d: FileDates = {};
  for (const w of words(value.trim())) {
    const m = /^(creation|modification|read):"([^"]*)"$/i.exec(w);
    if (!m || !DATE_5322.test(m[2])) err('FILE_SELECTOR_MALFORMED', `invalid file-date parameter ${JSON.stringify(w.slice(0, 60))}`);
    d[m[1].toLowerCase() as keyof FileDates] = m[2];
  }
  return d;
}
export function formatFileRange(r: FileRange): string {
  if (!Number.isSafeInteger(r.start) || r.start < 1 || (r.stop !== '*' && (!Number.isSafeInteger(r.stop) || r.stop < r.start)))
    err('FILE_SELECTOR_BAD_INPUT', 'invalid file-range');
  return `${r.start}-${r.stop}`;
}
export function parseFileRange(value: string): FileRange {
  const m = /^([0-9]{1,16})-([0-9]{1,16}|\*)$/.exec(value.trim());
  if (!m) err('FILE_SELECTOR_MALFORMED', `invalid file-range ${JSON.stringify(value.slice(0, 40))}`);
  const r: FileRange = { start: Number(m[1]), stop: m[2] === '*' ? '*' : Number(m[2]) };
  if (
    r.start < 1 ||
    (r.stop !== '*' && r.stop < r.start) ||
    !Number.isSafeInteger(r.start) ||
    (r.stop !== '*' && !Number.isSafeInteger(r.stop))
  )
    err('FILE_SELECTOR_MALFORMED', 'file-range out of order');
  return r;
}

/** The SDP attributes (name, value) carrying `f`, in RFC 5547 order. */
export function fileAttributesToSdp(f: FileAttributes): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  if (f.selector) out.push({ name: 'file-selector', value: formatFileSelector(f.selector) });
  if (f.transferId !== undefined) {
    if (!TOKEN.test(f.transferId)) err('FILE_SELECTOR_BAD_INPUT', 'invalid file-transfer-id');
    out.push({ name: 'file-transfer-id', value: f.transferId });
  }
  if (f.disposition !== undefined) {
    if (!TOKEN.test(f.disposition)) err('FILE_SELECTOR_BAD_INPUT', 'invalid file-disposition');
    out.push({ name: 'file-disposition', value: f.disposition });
  }
  if (f.date) out.push({ name: 'file-date', value: formatFileDate(f.date) });
  if (f.icon !== undefined) {
    if (!/^cid:[^\s<>"]+$/.test(f.icon)) err('FILE_SELECTOR_BAD_INPUT', 'file-icon must be a cid: URL');
    out.push({ name: 'file-icon', value: f.icon });
  }
  if (f.range) out.push({ name: 'file-range', value: formatFileRange(f.range) });
  return out;
}

/** Reads RFC 5547 attributes from a media section's attributes; undefined when none is present. */
export function fileAttributesFromSdp(attrs: { name: string; value?: string }[]): FileAttributes | undefined {
  const f: FileAttributes = {};
  let any = false;
  for (const a of attrs) {
    const v = a.value ?? '';
    switch (a.name.toLowerCase()) {
      case 'file-selector':
        f.selector = parseFileSelector(v);
        break;
      case 'file-transfer-id':
        if (!TOKEN.test(v)) err('FILE_SELECTOR_MALFORMED', 'invalid file-transfer-id');
        f.transferId = v;
        break;
      case 'file-disposition':
        if (!TOKEN.test(v)) err('FILE_SELECTOR_MALFORMED', 'invalid file-disposition');
        f.disposition = v;
        break;
      case 'file-date':
        f.date = parseFileDate(v);
        break;
      case 'file-icon':
        if (!/^cid:[^\s<>"]+$/.test(v)) err('FILE_SELECTOR_MALFORMED', 'invalid file-icon');
        f.icon = v;
        break;
      case 'file-range':
        f.range = parseFileRange(v);
        break;
      default:
        continue;
    }
    any = true;
  }
  return any ? f : undefined;
}
