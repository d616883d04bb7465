// MSRP URIs: syntax (RFC 4975 s.9 / s.14.1), comparison (s.6.1), session ids (s.14.1: >= 80 bits of randomness).
import { randomBytes } from 'node:crypto';
import { ParleyError } from '../../base/errors';

export type MsrpScheme = 'msrp' | 'msrps';

export interface MsrpUri {
  scheme: MsrpScheme;
  user?: string;
  host: string; // IPv6 literals are kept with their brackets
  port?: number;
  sessionId?: string; // case-sensitive
  transport: string; // 'tcp' in practice, lower-cased
  params: string[]; // further ';name[=value]' parameters, verbatim
}

/** Default MSRP port (RFC 4975 s.15.5). */
export const MSRP_DEFAULT_PORT = 2855;
/** Longest URI we agree to parse (header fields are bounded by the parser anyway). */
export const MAX_URI_LENGTH = 2048;

const SESSION_ID_RE = /^[A-Za-z0-9\-._~+=/%!$&'()*,:;@]+$/;
const HOST_RE = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~%]+)$/;
const TRANSPORT_RE = /^[A-Za-z0-9]+$/;

function bad(text: string, why: string): ParleyError {
  return new ParleyError('MSRP_BAD_URI', `Invalid MSRP URI (${why}): ${text.slice(0, 120)}`, { uri: text.slice(0, 200) });
}

/** Parse one MSRP URI; throws ParleyError('MSRP_BAD_URI'). */
export function parseMsrpUri(text: string): MsrpUri {
  if (text.length > MAX_URI_LENGTH) throw bad(text, 'too long');
  const m = /^(msrps?):\/\/(.*)$/i.exec(text);
  if (!m) throw bad(text, 'scheme');
  const scheme = m[1].toLowerCase() as MsrpScheme;
  const rest = m[2];
  const semi = rest.indexOf(';');
  if (semi < 0) throw bad(text, 'missing transport');
  const hier = rest.slice(0, semi);
  const paramParts = rest.slice(semi + 1).split(';');
  const transport = paramParts[0].toLowerCase();
  if (!TRANSPORT_RE.test(transport)) throw bad(text, 'transport');
  const params = paramParts.slice(1);
  if (params.some((p) => p.length === 0)) throw bad(text, 'empty parameter');
  const slash = hier.indexOf('/');
  const authority = slash < 0 ? hier : hier.slice(0, slash);
  let sessionId: string | undefined;
  if (slash >= 0) {
    sessionId = hier.slice(slash + 1);
    if (!SESSION_ID_RE.test(sessionId)) throw bad(text, 'session-id');
  }
  let hostPort = authority;
  let user: string | undefined;
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    user = authority.slice(0, at);
    hostPort = authority.slice(at + 1);
  }
  let host = hostPort;
  let port: number | undefined;
  const portMatch = /^(.*?):(\d{1,5})$/.exec(hostPort);
  if (portMatch && !(hostPort.startsWith('[') && !portMatch[1].endsWith(']'))) {
    host = portMatch[1];
    port = Number(portMatch[2]);
    if (port < 1 || port > 65535) throw bad(text, 'port');
  }
  if (!host || !HOST_RE.test(host)) throw bad(text, 'host');
  return { scheme, user, host, port, sessionId, transport, params };
}

/** Parse, returning undefined instead of throwing. */
export function tryParseMsrpUri(text: string): MsrpUri | undefined {
  try {
    return parseMsrpUri(text);
  } catch {
    return undefined;
  }
}

export function formatMsrpUri(u: MsrpUri): string {
  let s = `${u.scheme}://`;
  if (u.user !== undefined) s += `${u.user}@`;
  s += u.host;
  if (u.port !== undefined) s += `:${u.port}`;
  if (u.sessionId !== undefined) s += `/${u.sessionId}`;
  s += `;${u.transport}`;
  for (const p of u.params) s += `;${p}`;
  return s;
}

/**
 * RFC 4975 s.6.1: scheme and host case-insensitive, ports must both be absent or equal, session-id case-sensitive
 * (present in both or neither), transport case-insensitive; userinfo and extra parameters are ignored.
 */
export function msrpUriEquals(a: MsrpUri | string, b: MsrpUri | string): boolean {
  const x = typeof a === 'string' ? tryParseMsrpUri(a) : a;
  const y = typeof b === 'string' ? tryParseMsrpUri(b) : b;
  if (!x || !y) return false;
  return (
    x.scheme === y.scheme &&
    x.host.toLowerCase() === y.host.toLowerCase() &&
    x.port === y.port &&
    x.sessionId === y.sessionId &&
    x.transport.toLowerCase() === y.transport.toLowerCase()
  );
}

/** A fresh session-id: 120 random bits, base64url (all unreserved characters). */
export function newSessionId(): string {
  return randomBytes(15).toString('base64url');
}

/** Build our own URI for a=path: msrp[s]://host:port/<new session id>;tcp */
export function makeLocalUri(host: string, port: number, secure = false, sessionId = newSessionId()): MsrpUri {
  return { scheme: secure ? 'msrps' : 'msrp', host, port, sessionId, transport: 'tcp', params: [] };
}

/** Parse a whitespace-separated path (a=path, To-Path, From-Path, Use-Path); throws MSRP_BAD_URI. */
export function parsePath(text: string): MsrpUri[] {
  const parts = text
    .trim()
    .split(/\s+/)
    .filter((p) => p.length > 0);
  if (parts.length === 0) throw new ParleyError('MSRP_BAD_URI', 'Empty MSRP path');
  return parts.map(parseMsrpUri);
}

export function formatPath(path: readonly (MsrpUri | string)[]): string {
  return path.map((u) => (typeof u === 'string' ? u : formatMsrpUri(u))).join(' ');
}
