// RFC 3428 page-mode MESSAGE bodies: binary-safe encoding (base64 + Content-Transfer-Encoding), Content-Encoding (RFC 3261 s.20.12), acceptance policy (s.7, s.11). Sans-IO.
import { createGunzip, createInflate, createInflateRaw, type Gunzip, type Inflate, type InflateRaw } from 'node:zlib';
import { ParleyError } from '../../base/errors';
import { reasonPhrase } from './response';

/** RFC 3428 s.7: without congestion control (UDP), a MESSAGE must stay under 1300 bytes (path MTU minus headroom). */
export const UDP_MESSAGE_BODY_LIMIT = 1300;
/** Default largest page-mode body over TCP/TLS/WS (larger content belongs in an MSRP session). */
export const DEFAULT_STREAM_BODY_LIMIT = 64 * 1024;
/** The header Parley sets when a body was base64-armoured for transport (JsSIP bodies are JS strings). */
export const CTE_HEADER = 'Content-Transfer-Encoding';
/** RFC 3261 s.20.12 (linphonec 5.1 deflates MESSAGE bodies). */
export const CONTENT_ENCODING_HEADER = 'Content-Encoding';
/** Content codings we decode, advertised in Accept-Encoding on 415 (RFC 3261 s.21.4.19). */
export const SUPPORTED_CONTENT_ENCODINGS: readonly string[] = ['deflate', 'gzip', 'identity'];

export const DEFAULT_ACCEPT_TYPES: readonly string[] = [
  'text/*',
  'message/cpim',
  'message/imdn+xml',
  'application/im-iscomposing+xml',
  'application/json',
  'application/octet-stream',
  'application/pdf',
  'image/*',
  'audio/*',
  'video/*',
];

const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Lower-case type/subtype without parameters ('Text/Plain; charset=utf-8' -> 'text/plain'). */
export function mediaType(contentType: string): string {
  return contentType.split(';')[0].trim().toLowerCase();
}

/** Types whose bodies are text and can be shown as such (when they are valid UTF-8). */
export function isTextualType(contentType: string): boolean {
  const t = mediaType(contentType);
  return t.startsWith('text/') || t === 'message/cpim' || t === 'application/json' || t.endsWith('+xml') || t === 'application/xml';
}

export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8Strict.decode(bytes);
  } catch {
    return undefined;
  }
}

export interface EncodedBody {
  /** The JS string JsSIP sends (its Content-Length is the UTF-8 length of this string). */
  text: string;
  /** Extra headers to send with it. */
  headers: string[];
  /** Bytes the body occupies on the wire. */
  wireBytes: number;
}

/** Textual types that are valid UTF-8 go as they are; anything else is base64 with `Content-Transfer-Encoding: base64`. */
export function encodeBody(contentType: string, body: Uint8Array | string): EncodedBody {
  if (typeof body === 'string') return { text: body, headers: [], wireBytes: Buffer.byteLength(body, 'utf8') };
  const asText = isTextualType(contentType) ? decodeUtf8(body) : undefined;
  if (asText !== undefined) return { text: asText, headers: [], wireBytes: body.length };
  const b64 = Buffer.from(body).toString('base64');
  return { text: b64, headers: [`${CTE_HEADER}: base64`], wireBytes: b64.length };
}

/** Inverse of encodeBody, given the received Content-Transfer-Encoding header (if any). */
export function decodeBody(wire: Uint8Array, transferEncoding: string | undefined): Uint8Array {
  const cte = transferEncoding?.trim().toLowerCase();
  if (!cte || cte === '8bit' || cte === 'binary' || cte === '7bit') return wire;
  if (cte !== 'base64') throw new ParleyError('PAGE_BAD_TRANSFER_ENCODING', `unsupported Content-Transfer-Encoding ${cte}`);
  const s = Buffer.from(wire)
    .toString('latin1')
    .replace(/[\r\n\t ]/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) {
    throw new ParleyError('PAGE_BAD_TRANSFER_ENCODING', 'body is not valid base64');
  }
  return new Uint8Array(Buffer.from(s, 'base64'));
}

/**
 * Undo Content-Encoding (applied in the listed order, so decoded in reverse). `maxBytes` bounds every decoded
 * stage (decompression-bomb guard). Errors: PAGE_UNSUPPORTED_CONTENT_ENCODING (-> 415), PAGE_DECODED_TOO_LARGE
 * (-> 413), PAGE_BAD_CONTENT_ENCODING (corrupt data -> 400). "deflate" is the zlib format (RFC 1950); raw
 * deflate (RFC 1951), which some senders use under the same name, is accepted too.
 * Decoding uses zlib streams that are closed on every outcome: the sync zlib calls leaked their native state on
 * corrupt input (~9 KB per body, issue 12).
 */
export async function decodeContentEncoding(body: Uint8Array, contentEncoding: string | undefined, maxBytes: number): Promise<Uint8Array> {
  const codings = (contentEncoding ?? '')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c.length > 0);
  const unknown = codings.find((c) => !SUPPORTED_CONTENT_ENCODINGS.includes(c) && c !== 'x-gzip');
  if (unknown !== undefined) {
    throw new ParleyError('PAGE_UNSUPPORTED_CONTENT_ENCODING', `unsupported Content-Encoding ${unknown}`, { coding: unknown });
  }
  if (codings.length > MAX_CONTENT_CODINGS) {
    throw new ParleyError('PAGE_BAD_CONTENT_ENCODING', `more than ${MAX_CONTENT_CODINGS} content codings`, { count: codings.length });
  }
  let out = body;
  for (const c of [...codings].reverse()) {
    if (c === 'identity') continue;
    const make = c === 'gzip' || c === 'x-gzip' ? createGunzip : isZlibHeader(out) ? createInflate : createInflateRaw;
    out = await inflateBounded(make, out, maxBytes, c);
  }
  return out;
}

/** Content-Encoding lists longer than this are refused (each stage is a full decode). */
export const MAX_CONTENT_CODINGS = 4;

/** One decode stage through a zlib stream, stopped as soon as the output passes maxBytes; the stream is always closed. */
function inflateBounded(
  make: () => Gunzip | Inflate | InflateRaw,
  input: Uint8Array,
  maxBytes: number,
  coding: string,
): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const z = make();
    const parts: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (error: ParleyError | null) => {
      if (settled) return;
      settled = true;
      z.close(); // frees the native zlib state whatever happened
      if (error) reject(error);
      else {
        const b = parts.length === 1 ? parts[0] : Buffer.concat(parts, size);
        resolve(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
      }
    };
    z.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        settle(
          new ParleyError('PAGE_DECODED_TOO_LARGE', `${coding} body decodes to more than ${maxBytes} bytes`, { coding, limit: maxBytes }),
        );
      } else parts.push(chunk);
    });
    z.on('error', (e) => settle(new ParleyError('PAGE_BAD_CONTENT_ENCODING', `corrupt ${coding} body`, { coding }, { cause: e })));
    z.on('end', () => settle(null));
    z.end(input);
  });
}

/** RFC 1950 s.2.2: CMF method 8 and (CMF*256 + FLG) a multiple of 31. */
function isZlibHeader(b: Uint8Array): boolean {
  return b.length >= 2 && (b[0] & 0x0f) === 8 && b[0] >> 4 <= 7 && ((b[0] << 8) | b[1]) % 31 === 0;
}

export function typeAccepted(contentType: string, accept: readonly string[]): boolean {
  const t = mediaType(contentType);
  return accept.some((a) => {
    const p = a.toLowerCase();
    return p === '*/*' || p === t || (p.endsWith('/*') && t.startsWith(p.slice(0, -1)));
  });
}

export interface IncomingPolicy {
  accept: readonly string[];
  /** Body limit over UDP (RFC 3428 s.7) and over congestion-controlled transports. */
  maxUdpBytes: number;
  maxStreamBytes: number;
}

export const DEFAULT_POLICY: IncomingPolicy = {
  accept: DEFAULT_ACCEPT_TYPES,
  maxUdpBytes: UDP_MESSAGE_BODY_LIMIT,
  maxStreamBytes: DEFAULT_STREAM_BODY_LIMIT,
};

export interface Verdict {
  code: number;
  reason: string;
  headers: string[];
}

/** The answer to an incoming MESSAGE before its body is interpreted (RFC 3428 s.7 / s.8, RFC 3261 s.21.4.16, s.21.4.19). */
export function judgeIncoming(
  m: { contentType: string | undefined; wireBytes: number; transport: string | undefined; blocked: boolean },
  policy: IncomingPolicy,
): Verdict | null {
  if (m.blocked) return { code: 603, reason: reasonPhrase(603), headers: [] };
  const udp = (m.transport ?? '').toUpperCase() === 'UDP';
  const limit = udp ? policy.maxUdpBytes : policy.maxStreamBytes;
  if (m.wireBytes > limit) return { code: 413, reason: reasonPhrase(413), headers: [] };
  const type = m.contentType ?? 'text/plain'; // RFC 3261 s.7.4.1: an absent type on a body is treated leniently
  if (!typeAccepted(type, policy.accept)) {
    return { code: 415, reason: reasonPhrase(415), headers: [`Accept: ${policy.accept.join(', ')}`] };
  }
  return null;
}

/** Normalizes a SIP URI for comparisons (block lists): lower-case scheme and host, no parameters or headers. */
export function normalizeSipUri(uri: string): string {
  const m = /^\s*<?(sips?):([^@;>?]+@)?([^;>?]+)/i.exec(uri);
  if (!m) return uri.trim().toLowerCase();
  return `${m[1].toLowerCase()}:${m[2] ?? ''}${m[3].toLowerCase()}`;
}
