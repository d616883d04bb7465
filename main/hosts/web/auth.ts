// Web host access control: a random per-run token (presented by the renderer as a WebSocket subprotocol, compared in
// constant time), an exact Origin match and an exact Host match (DNS-rebinding defence). Pure except for randomBytes.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const WS_PATH = '/ipc';
export const WS_PROTOCOL = 'parley.v1';
/** The token travels as a second offered subprotocol `parley.token.<token>` (never in a URL the server logs). */
export const TOKEN_PROTOCOL_PREFIX = 'parley.token.';
const TOKEN_BYTES = 32;
const TOKEN_RE = /^[A-Za-z0-9_-]{16,128}$/;

export function newToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

export function isWellFormedToken(t: string): boolean {
  return TOKEN_RE.test(t);
}

/** Constant-time comparison (both sides hashed first so lengths never leak through timing). */
export function tokenEquals(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b) && presented.length === expected.length;
}

/** Splits a Sec-WebSocket-Protocol header into the offered protocols. */
export function offeredProtocols(header: string | string[] | undefined): string[] {
  const raw = Array.isArray(header) ? header.join(',') : (header ?? '');
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .slice(0, 8);
}

export function tokenFromProtocols(offered: string[]): string | null {
  const t = offered.find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX));
  return t === undefined ? null : t.slice(TOKEN_PROTOCOL_PREFIX.length);
}

export interface UpgradeExpectations {
  token: string;
  /** 'http://127.0.0.1:PORT' */
  origin: string;
  /** '127.0.0.1:PORT' */
  host: string;
}

export interface UpgradeRequestLike {
  url?: string;
  headers: Record<string, string | string[] | undefined>;
}

export type UpgradeDecision = { ok: true } | { ok: false; status: 400 | 401 | 403 | 404; reason: string };

/** Decides whether a WebSocket upgrade may proceed. Every check must pass; reasons are for the host's log only. */
export function checkUpgrade(req: UpgradeRequestLike, exp: UpgradeExpectations): UpgradeDecision {
  const path = (req.url ?? '').split('?')[0];
  if (path !== WS_PATH) return { ok: false, status: 404, reason: 'wrong path' };
  if (req.headers.host !== exp.host) return { ok: false, status: 403, reason: 'wrong Host header' };
  const origin = req.headers.origin;
  if (typeof origin !== 'string' || origin !== exp.origin) return { ok: false, status: 403, reason: 'wrong or missing Origin' };
  const offered = offeredProtocols(req.headers['sec-websocket-protocol']);
  if (!offered.includes(WS_PROTOCOL)) return { ok: false, status: 400, reason: 'missing subprotocol' };
  const token = tokenFromProtocols(offered);
  if (token === null) return { ok: false, status: 401, reason: 'missing token' };
  if (!tokenEquals(token, exp.token)) return { ok: false, status: 401, reason: 'wrong token' };
  return { ok: true };
}
