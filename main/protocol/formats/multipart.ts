// MIME multipart bodies (RFC 2046 s5.1) and Content-Type parameter parsing (RFC 2045 s5.1), binary-safe.
import { ParleyError, type ErrorCode } from '../../base/errors';
import type { MimeHeader } from './cpim';

export interface MultipartLimits {
  maxParts: number;
  maxBytes: number;
  maxPartHeaderBytes: number;
}
export const MULTIPART_LIMITS: MultipartLimits = { maxParts: 32, maxBytes: 16 * 1024 * 1024, maxPartHeaderBytes: 8 * 1024 };
export const MULTIPART_BOUNDARY_BYTES = 18; // 144 random bits

export interface MimePart {
  headers: MimeHeader[];
  body: Uint8Array;
}
export interface ContentType {
  type: string;
  subtype: string;
  params: Record<string, string>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BCHARS = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;

function err(code: ErrorCode, msg: string, details?: Record<string, unknown>): never {
  throw new ParleyError(code, `multipart: ${msg}`, details);
}

/** Parses `type/subtype; name=value; name="quoted"` (type, subtype and parameter names lower-cased). */
export function parseContentType(value: string): ContentType {
  const m = /^\s*([^\s/;]+)\s*\/\s*([^\s;]+)\s*(.*)$/s.exec(value);
  if (!m || !TOKEN.test(m[1]) || !TOKEN.test(m[2]))
    throw new ParleyError('CONTENT_TYPE_INVALID', `invalid Content-Type ${JSON.stringify(value.slice(0, 100))}`);
  const params: Record<string, string> = {};
  let rest = m[3];
  while (rest.trim()) {
    const p = /^\s*;\s*([^\s=;]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^\s;"]+)\s*/s.exec(rest);
    if (!p || !TOKEN.test(p[1])) {
      if (/^\s*;\s*$/.test(rest)) break; // tolerate a trailing ';'
      throw new ParleyError('CONTENT_TYPE_INVALID', `invalid parameter in Content-Type ${JSON.stringify(value.slice(0, 100))}`);
    }
    params[p[1].toLowerCase()] = p[3] !== undefined ? p[3].replace(/\\(.)/gs, '$1') : p[2];
    rest = rest.slice(p[0].length);
  }
  return { type: m[1].toLowerCase(), subtype: m[2].toLowerCase(), params };
}

/** Formats a Content-Type, quoting parameter values that are not tokens. */
export function formatContentType(ct: ContentType): string {
  let s = `${ct.type}/${ct.subtype}`;
  for (const [k, v] of Object.entries(ct.params)) {
    if (!TOKEN.test(k) || /[\u0000-\u001f\u007f]/.test(v)) err('MULTIPART_BAD_INPUT', `invalid parameter ${k}`);
    s += `;${k}=${TOKEN.test(v) ? v : `"${v.replace(/(["\\])/g, '\\$1')}"`}`;
  }
  return s;
}

/** Random boundary using only RFC 2046 bchars. `random` is injectable for tests. */
export function newBoundary(random: (n: number) => Uint8Array = (n) => globalThis.crypto.getRandomValues(new Uint8Array(n))): string {
  return 'parley-' + Buffer.from(random(MULTIPART_BOUNDARY_BYTES)).toString('base64url');
}

const enc = new TextEncoder();

/** Serializes parts. Throws MULTIPART_BOUNDARY_COLLISION if a body contains the delimiter. */
export function buildMultipart(
  parts: MimePart[],
  opts: { subtype?: string; boundary?: string } = {},
): { contentType: string; body: Uint8Array } {
  const boundary = opts.boundary ?? newBoundary();
  if (!BCHARS.test(boundary)) err('MULTIPART_BAD_INPUT', `invalid boundary ${JSON.stringify(boundary)}`);
  if (!parts.length) err('MULTIPART_BAD_INPUT', 'a multipart body needs at least one part');
  const delim = Buffer.from('--' + boundary);
  const chunks: Uint8Array[] = [];
  parts.forEach((p, i) => {
    if (Buffer.from(p.body.buffer, p.body.byteOffset, p.body.byteLength).includes(delim))
      err('MULTIPART_BOUNDARY_COLLISION', `part ${i} contains the boundary`);
    let head = (i === 0 ? '' : '\r\n') + `--${boundary}\r\n`;
    for (const h of p.headers) {
      if (!TOKEN.test(h.name) || /[\u0000-\u001f\u007f]/.test(h.value))
        err('MULTIPART_BAD_INPUT', `invalid part header ${JSON.stringify(h.name)}`);
      head += `${h.name}: ${h.value}\r\n`;
    }
    chunks.push(enc.encode(head + '\r\n'), p.body);
  });
  chunks.push(enc.encode(`\r\n--${boundary}--\r\n`));
  const out = Buffer.concat(chunks);
  return {
    contentType: formatContentType({ type: 'multipart', subtype: opts.subtype ?? 'mixed', params: { boundary } }),
    body: new Uint8Array(out.buffer, out.byteOffset, out.length),
  };
}

function parsePartHeaders(b: Buffer, lim: MultipartLimits): { headers: MimeHeader[]; bodyStart: number } {
  const headers: MimeHeader[] = [];
  let pos = 0;
  for (;;) {
    const lf = b.indexOf(0x0a, pos);
    if ((lf < 0 ? b.length : lf) > lim.maxPartHeaderBytes)
      err('MULTIPART_HEADER_TOO_LARGE', `part headers exceed ${lim.maxPartHeaderBytes} bytes`);
    if (lf < 0) {
      if (pos === b.length) return { headers, bodyStart: b.length }; // headers only, empty body
      err('MULTIPART_MALFORMED', 'part headers not terminated by an empty line');
    }
    const end = lf > pos && b[lf - 1] === 0x0d ? lf - 1 : lf;
    if (end === pos) return { headers, bodyStart: lf + 1 };
    const line = b.toString('utf8', pos, end);
    if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(line)) err('MULTIPART_MALFORMED', 'control character in part header');
    if (/^[ \t]/.test(line) && headers.length) headers[headers.length - 1].value += ' ' + line.trim();
    else {
      const c = line.indexOf(':');
      if (c <= 0 || !TOKEN.test(line.slice(0, c))) err('MULTIPART_MALFORMED', `malformed part header ${JSON.stringify(line.slice(0, 80))}`);
      headers.push({ name: line.slice(0, c), value: line.slice(c + 1).trim() });
    }
    pos = lf + 1;
  }
}

/** Parses a multipart body given its Content-Type (which must carry a boundary). Preamble and epilogue are ignored. */
export function parseMultipart(body: Uint8Array, contentType: string, limits: Partial<MultipartLimits> = {}): MimePart[] {
  const lim = { ...MULTIPART_LIMITS, ...limits };
  const ct = parseContentType(contentType);
  if (ct.type !== 'multipart') err('MULTIPART_NOT_MULTIPART', `Content-Type ${ct.type}/${ct.subtype} is not multipart`);
  const boundary = ct.params.boundary;
  if (!boundary || !BCHARS.test(boundary)) err('MULTIPART_BAD_BOUNDARY', 'missing or invalid boundary parameter');
  if (body.length > lim.maxBytes) err('MULTIPART_TOO_LARGE', `body of ${body.length} bytes exceeds ${lim.maxBytes}`, { max: lim.maxBytes });
  const b = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const dash = Buffer.from('--' + boundary);
  // A delimiter line starts at offset 0 or after LF, and is followed by '--' (close) or optional LWSP then (CR)LF.
  const delimiterAt = (from: number): { at: number; close: boolean; next: number } | undefined => {
    for (let at = b.indexOf(dash, from); at >= 0; at = b.indexOf(dash, at + 1)) {
      if (at !== 0 && b[at - 1] !== 0x0a) continue;
      let q = at + dash.length;
      if (b[q] === 0x2d && b[q + 1] === 0x2d) return { at, close: true, next: q + 2 };
      while (b[q] === 0x20 || b[q] === 0x09) q++;
      if (b[q] === 0x0d && b[q + 1] === 0x0a) return { at, close: false, next: q + 2 };
      if (b[q] === 0x0a) return { at, close: false, next: q + 1 };
      if (q >= b.length) return undefined; // truncated delimiter line
    }
    return undefined;
  };
  let d = delimiterAt(0);
  if (!d) err('MULTIPART_TRUNCATED', 'no boundary delimiter found');
  if (d.close) err('MULTIPART_MALFORMED', 'close delimiter before any part');
  const parts: MimePart[] = [];
  for (;;) {
    const start = d.next;
    const n = delimiterAt(Math.max(start - 1, 0));
    if (!n) err('MULTIPART_TRUNCATED', 'missing close delimiter');
    let end = n.at > start ? n.at - 1 : start; // drop the LF before the delimiter
    if (end > start && b[end - 1] === 0x0d) end--;
    if (parts.length >= lim.maxParts) err('MULTIPART_TOO_MANY_PARTS', `more than ${lim.maxParts} parts`, { max: lim.maxParts });
    const raw = b.subarray(start, Math.max(end, start));
    const { headers, bodyStart } = parsePartHeaders(raw, lim);
    parts.push({ headers, body: new Uint8Array(raw.subarray(bodyStart)) });
    if (n.close) return parts;
    d = n;
  }
}

/** First header of a part by name (case-insensitive). */
export function partHeader(p: MimePart, name: string): string | undefined {
  return p.headers.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value;
}
