// Minimal SIP message codec and digest (RFC 3261 §7, RFC 2617/7616 MD5) for lab tests. Not the product's SIP stack.
import { createHash, randomBytes } from 'node:crypto';
import { inflateRawSync, inflateSync, gunzipSync } from 'node:zlib';
import { fullHeaderName } from '../../main/protocol/sip/headers';

export interface SipMessage {
  startLine: string;
  method?: string; // requests
  uri?: string; // requests
  status?: number; // responses
  reason?: string; // responses
  headers: Array<[string, string]>;
  body: string;
  raw: string;
}

/** Largest message the helper accepts on a stream before it gives up (Kamailio's own limit is 64 KB). */
export const MAX_SIP_MESSAGE = 65536;

export function header(m: SipMessage, name: string): string | undefined {
  const n = name.toLowerCase();
  return m.headers.find(([k]) => k.toLowerCase() === n)?.[1];
}

export function headers(m: SipMessage, name: string): string[] {
  const n = name.toLowerCase();
  return m.headers.filter(([k]) => k.toLowerCase() === n).map(([, v]) => v);
}

/** Parse one complete SIP message (head + body). */
export function parseSip(raw: string): SipMessage {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) throw new Error('SIP message without header terminator');
  const lines = raw.slice(0, end).split('\r\n');
  const startLine = lines[0] ?? '';
  const hs: Array<[string, string]> = [];
  for (const line of lines.slice(1)) {
    if (/^[ \t]/.test(line) && hs.length > 0) {
      hs[hs.length - 1][1] += ' ' + line.trim();
      continue;
    }
    const i = line.indexOf(':');
    if (i < 0) throw new Error(`bad SIP header line ${JSON.stringify(line)}`);
    const k = line.slice(0, i).trim();
    hs.push([fullHeaderName(k), line.slice(i + 1).trim()]);
  }
  const m: SipMessage = { startLine, headers: hs, body: raw.slice(end + 4), raw };
  const st = /^SIP\/2\.0 (\d{3}) ?(.*)$/.exec(startLine);
  if (st) {
    m.status = Number(st[1]);
    m.reason = st[2];
  } else {
    const rq = /^([A-Z]+) (\S+) SIP\/2\.0$/.exec(startLine);
    if (!rq) throw new Error(`bad SIP start line ${JSON.stringify(startLine)}`);
    m.method = rq[1];
    m.uri = rq[2];
  }
  return m;
}

/**
 * Parse a message from bytes: the head as UTF-8, the body decoded per Content-Encoding (deflate/gzip, as
 * linphone 5 sends IMDN bodies; after base64 Content-Transfer-Encoding when both are present) and then as UTF-8.
 */
export function parseSipBytes(buf: Buffer): SipMessage {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) throw new Error('SIP message without header terminator');
  const m = parseSip(`${buf.subarray(0, end).toString('utf8')}\r\n\r\n`);
  let body = buf.subarray(end + 4);
  if (header(m, 'Content-Transfer-Encoding')?.trim().toLowerCase() === 'base64' && header(m, 'Content-Encoding')) {
    body = Buffer.from(body.toString('latin1'), 'base64'); // a compressed body armoured by the lab's msilo
  }
  const enc = header(m, 'Content-Encoding')?.toLowerCase();
  if (enc === 'deflate') {
    try {
      body = inflateSync(body);
    } catch {
      body = inflateRawSync(body);
    }
  } else if (enc === 'gzip') body = gunzipSync(body);
  m.body = body.toString('utf8');
  m.raw = buf.toString('utf8');
  return m;
}

/**
 * Stream framer: returns complete messages and the unconsumed rest. CRLF keep-alives ("\r\n\r\n" pings and single
 * "\r\n" pongs) between messages are skipped.
 */
export function frameStream(buf: Buffer): { messages: Buffer[]; rest: Buffer } {
  const messages: Buffer[] = [];
  let off = 0;
  for (;;) {
    while (off + 1 < buf.length && buf[off] === 13 && buf[off + 1] === 10) off += 2;
    const end = buf.indexOf('\r\n\r\n', off);
    if (end < 0) break;
    const head = buf.subarray(off, end).toString('utf8');
    const cl = /^(?:content-length|l)[ \t]*:[ \t]*(\d+)/im.exec(head);
    const len = cl ? Number(cl[1]) : 0;
    if (end + 4 + len > buf.length) break;
    messages.push(buf.subarray(off, end + 4 + len));
    off = end + 4 + len;
  }
  if (buf.length - off > MAX_SIP_MESSAGE) throw new Error('SIP message larger than MAX_SIP_MESSAGE');
  return { messages, rest: buf.subarray(off) };
}

export function serialize(startLine: string, hs: Array<[string, string]>, body = ''): string {
  const all = hs.filter(([k]) => k.toLowerCase() !== 'content-length');
  all.push(['Content-Length', String(Buffer.byteLength(body))]);
  return `${startLine}\r\n${all.map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${body}`;
}

/** Like serialize, with a binary body (e.g. a deflated MESSAGE body). */
export function serializeBytes(startLine: string, hs: Array<[string, string]>, body: Uint8Array): Buffer {
  return Buffer.concat([
    Buffer.from(serialize(startLine, hs).replace(/Content-Length: 0\r\n\r\n$/, `Content-Length: ${body.length}\r\n\r\n`)),
    body,
  ]);
}

export const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
export const randomToken = (n = 8): string => randomBytes(n).toString('hex');

export interface DigestChallenge {
  realm: string;
  nonce: string;
  qop?: string;
  opaque?: string;
  algorithm?: string;
}

/** Parse `Digest realm="x", nonce="y", qop="auth"` (WWW-Authenticate / Proxy-Authenticate). */
export function parseChallenge(value: string): DigestChallenge {
  if (!/^digest\s/i.test(value)) throw new Error(`not a Digest challenge: ${value}`);
  const params: Record<string, string> = {};
  for (const m of value.slice(7).matchAll(/([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|([^\s,]+))/g)) {
    params[m[1].toLowerCase()] = m[2] ?? m[3];
  }
  if (!params.realm || !params.nonce) throw new Error(`Digest challenge without realm/nonce: ${value}`);
  return { realm: params.realm, nonce: params.nonce, qop: params.qop, opaque: params.opaque, algorithm: params.algorithm };
}

export interface DigestInput {
  challenge: DigestChallenge;
  method: string;
  uri: string;
  username: string;
  password: string;
  nc?: number;
  cnonce?: string;
}

/** RFC 2617 §3.2.2: response = MD5(HA1:nonce[:nc:cnonce:qop]:HA2), HA2 = MD5(method:uri). */
export function digestAuthorization(d: DigestInput): string {
  const { challenge: c } = d;
  const ha1 = md5(`${d.username}:${c.realm}:${d.password}`);
  const ha2 = md5(`${d.method}:${d.uri}`);
  const qop = c.qop
    ?.split(',')
    .map((s) => s.trim())
    .includes('auth')
    ? 'auth'
    : undefined;
  const parts = [`Digest username="${d.username}"`, `realm="${c.realm}"`, `nonce="${c.nonce}"`, `uri="${d.uri}"`];
  if (qop) {
    const nc = (d.nc ?? 1).toString(16).padStart(8, '0');
    const cnonce = d.cnonce ?? randomToken();
    parts.push(`response="${md5(`${ha1}:${c.nonce}:${nc}:${cnonce}:${qop}:${ha2}`)}"`, `qop=${qop}`, `nc=${nc}`, `cnonce="${cnonce}"`);
  } else {
    parts.push(`response="${md5(`${ha1}:${c.nonce}:${ha2}`)}"`);
  }
  parts.push('algorithm=MD5');
  if (c.opaque !== undefined) parts.push(`opaque="${c.opaque}"`);
  return parts.join(', ');
}
