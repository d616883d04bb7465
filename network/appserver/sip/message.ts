// SIP message model, parser and serializer for the app server (RFC 3261 s.7, s.20 compact forms, s.25 grammar subset). Sans-IO.
import { ParleyError } from '../../../main/base/errors';
import { fullHeaderName, type SipHeaderList } from '../../../main/protocol/sip/headers';
import { reasonPhrase, responseHeaders } from '../../../main/protocol/sip/response';

export type Headers = SipHeaderList;
export interface SipRequest {
  kind: 'request';
  method: string;
  uri: string;
  headers: Headers;
  body: Buffer;
}
export interface SipResponse {
  kind: 'response';
  status: number;
  reason: string;
  headers: Headers;
  body: Buffer;
}
export type SipMsg = SipRequest | SipResponse;

/** Header count cap per message (the framer already caps header bytes). */
export const MAX_HEADERS = 128;

const TOKEN = /^[A-Za-z0-9.!%*_+`'~-]+$/;
const dec = new TextDecoder('utf-8');

function bad(msg: string): never {
  throw new ParleyError('SIP_PARSE_ERROR', `SIP: ${msg}`);
}

/**
 * Parse one complete message (as framed by main/protocol/sip/stream-framer.ts). The body is everything after the blank line;
 * a Content-Length that disagrees with it is an error (s.18.3 framing was done by Content-Length already).
 */
export function parseSipMessage(bytes: Uint8Array): SipMsg {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) bad('no blank line after the headers');
  const lines = dec.decode(buf.subarray(0, end)).split('\r\n');
  const start = lines[0];
  const headers: Headers = [];
  for (const line of lines.slice(1)) {
    if (/^[ \t]/.test(line)) {
      // s.7.3.1 line folding
      if (!headers.length) bad('continuation line before any header');
      headers[headers.length - 1][1] += ' ' + line.trim();
      continue;
    }
    const i = line.indexOf(':');
    if (i <= 0) bad(`malformed header line ${JSON.stringify(line.slice(0, 80))}`);
    const name = line.slice(0, i).trim();
    if (!TOKEN.test(name)) bad(`invalid header name ${JSON.stringify(name.slice(0, 40))}`);
    headers.push([fullHeaderName(name), line.slice(i + 1).trim()]);
    if (headers.length > MAX_HEADERS) throw new ParleyError('SIP_TOO_MANY_HEADERS', `SIP: more than ${MAX_HEADERS} headers`);
  }
  const body = Buffer.from(buf.subarray(end + 4));
  const cl = headers.find(([k]) => k.toLowerCase() === 'content-length')?.[1];
  if (cl !== undefined && (!/^\d+$/.test(cl) || Number(cl) !== body.length))
    bad(`Content-Length ${cl} does not match body of ${body.length} bytes`);
  const st = /^SIP\/2\.0 ([1-6]\d\d) ?(.*)$/.exec(start);
  if (st) return { kind: 'response', status: Number(st[1]), reason: st[2], headers, body };
  const rq = /^([A-Za-z0-9.!%*_+`'~-]+) (\S+) SIP\/2\.0$/.exec(start);
  if (!rq) bad(`bad start line ${JSON.stringify(start.slice(0, 80))}`);
  const msg: SipRequest = { kind: 'request', method: rq[1].toUpperCase(), uri: rq[2], headers, body };
  for (const req of ['Via', 'From', 'To', 'Call-ID', 'CSeq']) if (getHeader(msg, req) === undefined) bad(`request without ${req}`);
  const cseq = parseCSeq(getHeader(msg, 'CSeq')!);
  if (cseq.method !== msg.method) bad(`CSeq method ${cseq.method} differs from ${msg.method}`);
  return msg;
}

/** Serialize with a correct Content-Length (any given one is replaced). */
export function serializeSipMessage(m: SipMsg): Buffer {
  const start = m.kind === 'request' ? `${m.method} ${m.uri} SIP/2.0` : `SIP/2.0 ${m.status} ${m.reason}`;
  const lines = [start];
  for (const [k, v] of m.headers) {
    if (k.toLowerCase() === 'content-length') continue;
    if (/[\r\n]/.test(v) || !TOKEN.test(k)) throw new ParleyError('SIP_BAD_HEADER', `SIP: header ${k} cannot be serialized`);
    lines.push(`${k}: ${v}`);
  }
  lines.push(`Content-Length: ${m.body.length}`, '', '');
  return Buffer.concat([Buffer.from(lines.join('\r\n')), m.body]);
}

export function getHeader(m: { headers: Headers }, name: string): string | undefined {
  const n = name.toLowerCase();
  return m.headers.find(([k]) => k.toLowerCase() === n)?.[1];
}

/** All values of a header, comma-separated lists split (s.7.3.1), commas inside quotes or <> kept. */
export function getHeaders(m: { headers: Headers }, name: string): string[] {
  const n = name.toLowerCase();
  return m.headers.filter(([k]) => k.toLowerCase() === n).flatMap(([, v]) => splitList(v));
}

export function splitList(v: string): string[] {
  const out: string[] = [];
  let cur = '',
    quote = false,
    angle = false;
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (c === '"' && v[i - 1] !== '\\') quote = !quote;
    else if (!quote && c === '<') angle = true;
    else if (!quote && c === '>') angle = false;
    if (c === ',' && !quote && !angle) {
      if (cur.trim()) out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += c;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

export interface NameAddr {
  display?: string;
  uri: string;
  params: Record<string, string>;
}

/** name-addr / addr-spec with header parameters (s.20.10, s.20.20, s.20.39). */
export function parseNameAddr(v: string): NameAddr {
  const s = v.trim();
  let display: string | undefined;
  let uri: string;
  let rest: string;
  const lt = s.indexOf('<');
  if (lt >= 0) {
    const gt = s.indexOf('>', lt);
    if (gt < 0) bad(`unterminated <> in ${JSON.stringify(s.slice(0, 80))}`);
    const d = s.slice(0, lt).trim();
    if (d) display = d.replace(/^"(.*)"$/, '$1').replace(/\\(.)/g, '$1');
    uri = s.slice(lt + 1, gt).trim();
    rest = s.slice(gt + 1);
  } else {
    const semi = s.indexOf(';');
    uri = semi < 0 ? s : s.slice(0, semi);
    rest = semi < 0 ? '' : s.slice(semi);
  }
  if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$/.test(uri)) bad(`invalid URI ${JSON.stringify(uri.slice(0, 80))}`);
  return { display, uri, params: parseParams(rest) };
}

export function parseParams(rest: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const p of rest
    .split(';')
    .map((x) => x.trim())
    .filter(Boolean)) {
    const eq = p.indexOf('=');
    params[(eq < 0 ? p : p.slice(0, eq)).toLowerCase()] = eq < 0 ? '' : p.slice(eq + 1).replace(/^"(.*)"$/, '$1');
  }
  return params;
}

export function formatNameAddr(a: NameAddr): string {
  const d = a.display ? `"${a.display.replace(/(["\\])/g, '\\$1')}" ` : '';
  const p = Object.entries(a.params)
    .map(([k, v]) => (v === '' ? `;${k}` : `;${k}=${v}`))
    .join('');
  return `${d}<${a.uri}>${p}`;
}

export const tagOf = (v: string | undefined): string | undefined => (v === undefined ? undefined : parseNameAddr(v).params.tag);

export interface SipUri {
  scheme: string;
  user?: string;
  host: string;
  port?: number;
  params: Record<string, string>;
}

/** sip:/sips: URI (s.19.1): user, host, port, uri-parameters (headers part ignored). */
export function parseSipUri(u: string): SipUri {
  const m = /^(sips?):(?:([^@;?]+)@)?(\[[^\]]+\]|[^:;?]+)(?::(\d+))?((?:;[^?]*)?)(?:\?.*)?$/i.exec(u.trim());
  if (!m) bad(`invalid SIP URI ${JSON.stringify(u.slice(0, 80))}`);
  return {
    scheme: m[1].toLowerCase(),
    user: m[2] ? decodeURIComponent(m[2].split(':')[0]) : undefined,
    host: m[3].toLowerCase(),
    port: m[4] ? Number(m[4]) : undefined,
    params: parseParams(m[5]),
  };
}

/** AoR form sip:user@host of a URI (parameters and port dropped), for identity comparison. */
export function aorOf(u: string): string {
  const p = parseSipUri(u);
  return `${p.scheme}:${p.user ? `${p.user}@` : ''}${p.host}`;
}

export interface Via {
  transport: string;
  host: string;
  port?: number;
  params: Record<string, string>;
}
export function parseVia(v: string): Via {
  const m = /^SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z]+)\s+(\[[^\]]+\]|[^\s:;]+)(?:\s*:\s*(\d+))?\s*((?:;.*)?)$/i.exec(v.trim());
  if (!m) bad(`invalid Via ${JSON.stringify(v.slice(0, 80))}`);
  return { transport: m[1].toUpperCase(), host: m[2].toLowerCase(), port: m[3] ? Number(m[3]) : undefined, params: parseParams(m[4]) };
}

export function parseCSeq(v: string): { seq: number; method: string } {
  const m = /^(\d{1,10})\s+([A-Za-z0-9.!%*_+`'~-]+)$/.exec(v.trim());
  if (!m || Number(m[1]) > 0xffffffff) bad(`invalid CSeq ${JSON.stringify(v.slice(0, 40))}`);
  return { seq: Number(m[1]), method: m[2].toUpperCase() };
}

/** Top Via branch (s.8.1.1.7 magic cookie z9hG4bK expected; older branches are matched literally). */
export function topBranch(m: { headers: Headers }): string {
  const v = getHeaders(m, 'Via')[0];
  return v ? (parseVia(v).params.branch ?? '') : '';
}

/**
 * Response to a request (s.8.2.6, main/protocol/sip/response.ts): Via, From, Call-ID, CSeq copied, To copied with `toTag`
 * added when it has none; Record-Route copied for dialog-forming 2xx/1xx (s.12.1.1).
 */
export function buildResponse(
  req: SipRequest,
  status: number,
  opts: { reason?: string; toTag?: string; headers?: Headers; body?: Buffer; contentType?: string } = {},
): SipResponse {
  const hs: Headers = responseHeaders(req.headers, status, opts.toTag);
  hs.push(...(opts.headers ?? []));
  if (opts.body && opts.body.length) hs.push(['Content-Type', opts.contentType ?? 'application/octet-stream']);
  return { kind: 'response', status, reason: opts.reason ?? reasonPhrase(status), headers: hs, body: opts.body ?? Buffer.alloc(0) };
}

/**
 * s.21.4.1 400 for a request we cannot parse, when its Via/From/To/Call-ID/CSeq lines can still be copied (otherwise
 * there is nobody to answer: the message is only logged). Responses and keep-alives are never answered.
 */
export function badRequest(bytes: Uint8Array, why: string): Buffer | undefined {
  const text = Buffer.from(bytes).toString('utf8');
  const head = text.slice(0, Math.max(0, text.indexOf('\r\n\r\n')));
  const lines = head.split('\r\n');
  if (!lines.length || lines[0].startsWith('SIP/2.0 ') || !/ SIP\/2\.0$/.test(lines[0])) return undefined;
  const keep = lines.slice(1).filter((l) => /^(via|v|from|f|to|t|call-id|i|cseq)\s*:/i.test(l));
  for (const n of [/^(via|v)\s*:/i, /^(from|f)\s*:/i, /^(to|t)\s*:/i, /^(call-id|i)\s*:/i, /^cseq\s*:/i])
    if (!keep.some((l) => n.test(l))) return undefined;
  const reason = `Bad Request - ${why.replace(/[\r\n]/g, ' ').slice(0, 120)}`;
  return Buffer.from(`SIP/2.0 400 ${reason}\r\n${keep.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`);
}
