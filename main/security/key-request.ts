// Key discovery over SIP MESSAGE (RFC 3428): signed key request / key response bodies, v1 (docs/security.md s.5.3).
import { ParleyError, type ErrorCode } from '../base/errors';
import { concat, u64, lp16, utf8, h256, ctEqual, b64url, fromB64url, random } from './sodium';
import { normalizeAoR } from './aor';
import { verifySignature, type Identity } from './identity';

export const KEY_REQUEST_CONTENT_TYPE = 'application/vnd.parley.key-request+json';
export const KEY_RESPONSE_CONTENT_TYPE = 'application/vnd.parley.key-response+json';
/** A request/response older (or newer) than this is refused. */
export const KEY_MSG_MAX_AGE_MS = 10 * 60 * 1000;
export const KEY_MSG_MAX_BYTES = 4096;
const REQ_CTX = utf8('parley-keyreq-v1\0');
const RESP_CTX = utf8('parley-keyresp-v1\0');
const MAC_CTX = utf8('parley-keymac-v1\0');

export interface KeyRequestInfo {
  from: string;
  to: string;
  key: Uint8Array;
  nonce: Uint8Array;
  ts: number;
}

export interface KeyResponseInfo {
  from: string;
  to: string;
  key: Uint8Array;
  ts: number;
  /** True when a PSK MAC was present and verified. */
  pskAuthenticated: boolean;
}

/** What the requester keeps until the response arrives. */
export interface PendingKeyRequest {
  to: string;
  nonce: Uint8Array;
  ts: number;
}

function fail(code: ErrorCode, msg: string, details?: Record<string, unknown>): ParleyError {
  return new ParleyError(code, msg, details);
}

function parseJson(body: string, type: string): Record<string, unknown> {
  if (typeof body !== 'string' || body.length > KEY_MSG_MAX_BYTES) throw fail('KEY_MSG_BAD_FORMAT', 'key message missing or too large');
  let j: unknown;
  try {
    j = JSON.parse(body);
  } catch {
    throw fail('KEY_MSG_BAD_FORMAT', 'key message is not JSON');
  }
  if (!j || typeof j !== 'object' || Array.isArray(j)) throw fail('KEY_MSG_BAD_FORMAT', 'key message is not an object');
  const o = j as Record<string, unknown>;
  if (o.v !== 1) {
    // Not String(o.v): a peer's {"toString": []} would throw a TypeError instead of the typed error.
    const version = typeof o.v === 'number' ? o.v : typeof o.v;
    throw fail('KEY_MSG_BAD_FORMAT', `unsupported key message version ${version}`, { version });
  }
  if (o.type !== type) throw fail('KEY_MSG_BAD_FORMAT', `expected type ${type}`);
  if (typeof o.from !== 'string' || typeof o.to !== 'string' || !Number.isSafeInteger(o.ts) || (o.ts as number) < 0) {
    throw fail('KEY_MSG_BAD_FORMAT', 'from, to, ts required');
  }
  return o;
}

function aor(s: string): string {
  try {
    return normalizeAoR(s);
  } catch (e) {
    throw fail('KEY_MSG_BAD_FORMAT', 'bad AoR in key message', { cause: String(e) });
  }
}

function checkTs(ts: number, now: number): void {
  if (Math.abs(now - ts) > KEY_MSG_MAX_AGE_MS)
    throw fail('KEY_MSG_STALE', 'key message timestamp outside the accepted window', { ts, now });
}

function checkParties(from: string, to: string, sipFrom: string, me: string): void {
  if (from !== normalizeAoR(sipFrom)) throw fail('KEY_MSG_MISMATCH', 'key message "from" differs from the SIP From', { from, sipFrom });
  if (to !== normalizeAoR(me)) throw fail('KEY_MSG_MISMATCH', 'key message is not for this account', { to });
}

function reqTbs(from: string, to: string, key: Uint8Array, nonce: Uint8Array, ts: number): Uint8Array {
  return concat(REQ_CTX, lp16(from), lp16(to), key, nonce, u64(ts));
}
function respTbs(from: string, to: string, key: Uint8Array, rNonce: Uint8Array, rKey: Uint8Array, ts: number): Uint8Array {
  return concat(RESP_CTX, lp16(from), lp16(to), key, rNonce, rKey, u64(ts));
}

/** Build a key request from `me` to `to`. Keep `pending` to verify the response. */
export function createKeyRequest(
  me: Identity,
  to: string,
  now = Date.now(),
): { body: string; contentType: string; pending: PendingKeyRequest } {
  const from = normalizeAoR(me.aor);
  const t = normalizeAoR(to);
  const nonce = random(16);
  const sig = me.sign(reqTbs(from, t, me.publicKey, nonce, now));
  const body = JSON.stringify({
    v: 1,
    type: 'key-request',
    from,
    to: t,
    key: b64url(me.publicKey),
    nonce: b64url(nonce),
    ts: now,
    sig: b64url(sig),
  });
  return { body, contentType: KEY_REQUEST_CONTENT_TYPE, pending: { to: t, nonce, ts: now } };
}

/** Verify a received key request. `sipFrom` is the authenticated SIP From / P-Asserted-Identity. */
export function verifyKeyRequest(body: string, opts: { sipFrom: string; me: string; now?: number }): KeyRequestInfo {
  const o = parseJson(body, 'key-request');
  const from = aor(o.from as string);
  const to = aor(o.to as string);
  const key = fromB64url(o.key, 'KEY_MSG_BAD_FORMAT', 32);
  const nonce = fromB64url(o.nonce, 'KEY_MSG_BAD_FORMAT', 16);
  const sig = fromB64url(o.sig, 'KEY_MSG_BAD_FORMAT', 64);
  const ts = o.ts as number;
  if (!verifySignature(key, reqTbs(from, to, key, nonce, ts), sig))
    throw fail('KEY_MSG_BAD_SIGNATURE', 'key request signature does not verify');
  checkParties(from, to, opts.sipFrom, opts.me);
  checkTs(ts, opts.now ?? Date.now());
  return { from, to, key, nonce, ts };
}

/** Answer a verified request with my key; with a PSK the response also carries a MAC binding the key to the PSK. */
export function createKeyResponse(
  me: Identity,
  request: KeyRequestInfo,
  opts: { psk?: Uint8Array; now?: number } = {},
): { body: string; contentType: string } {
  const from = normalizeAoR(me.aor);
  const ts = opts.now ?? Date.now();
  const tbs = respTbs(from, request.from, me.publicKey, request.nonce, request.key, ts);
  const msg: Record<string, unknown> = {
    v: 1,
    type: 'key-response',
    from,
    to: request.from,
    key: b64url(me.publicKey),
    requestNonce: b64url(request.nonce),
    requestKey: b64url(request.key),
    ts,
    sig: b64url(me.sign(tbs)),
  };
  if (opts.psk) msg.mac = b64url(h256(concat(MAC_CTX, tbs), opts.psk));
  return { body: JSON.stringify(msg), contentType: KEY_RESPONSE_CONTENT_TYPE };
}

/**
 * Verify a key response against my outstanding request. With `psk`, the MAC is required (KEY_MAC_MISMATCH otherwise).
 * The caller then pins the key: PeerKeys.observe(info.from, info.key, 'key-response').
 */
export function verifyKeyResponse(
  body: string,
  opts: { sipFrom: string; me: Identity; pending: PendingKeyRequest; psk?: Uint8Array; now?: number },
): KeyResponseInfo {
  const o = parseJson(body, 'key-response');
  const from = aor(o.from as string);
  const to = aor(o.to as string);
  const key = fromB64url(o.key, 'KEY_MSG_BAD_FORMAT', 32);
  const rNonce = fromB64url(o.requestNonce, 'KEY_MSG_BAD_FORMAT', 16);
  const rKey = fromB64url(o.requestKey, 'KEY_MSG_BAD_FORMAT', 32);
  const sig = fromB64url(o.sig, 'KEY_MSG_BAD_FORMAT', 64);
  const ts = o.ts as number;
  const tbs = respTbs(from, to, key, rNonce, rKey, ts);
  if (!verifySignature(key, tbs, sig)) throw fail('KEY_MSG_BAD_SIGNATURE', 'key response signature does not verify');
  checkParties(from, to, opts.sipFrom, opts.me.aor);
  if (from !== opts.pending.to || !ctEqual(rNonce, opts.pending.nonce) || !ctEqual(rKey, opts.me.publicKey)) {
    throw fail('KEY_MSG_MISMATCH', 'key response does not answer the outstanding request');
  }
  checkTs(ts, opts.now ?? Date.now());
  let pskAuthenticated = false;
  if (opts.psk) {
    const mac = o.mac === undefined ? undefined : fromB64url(o.mac, 'KEY_MSG_BAD_FORMAT', 32);
    if (!mac || !ctEqual(mac, h256(concat(MAC_CTX, tbs), opts.psk)))
      throw fail('KEY_MAC_MISMATCH', 'key response is not authenticated by the pre-shared key');
    pskAuthenticated = true;
  }
  return { from, to, key, ts, pskAuthenticated };
}
