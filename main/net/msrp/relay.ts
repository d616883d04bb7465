// RFC 4976 relay client: AUTH with HTTP digest (s.5.2, RFC 2617 qop=auth), Use-Path, Expires refresh, 423 Min-Expires.
import { createHash, randomBytes } from 'node:crypto';
import { ParleyError } from '../../base/errors';
import { getHeader, type Header } from '../../protocol/msrp/message';
import { MsrpSession } from '../../protocol/msrp/session';
import type { MsrpTransport } from './transport';
import type { TransactionResult } from '../../protocol/msrp/transactions';
import { systemClock, type Clock } from '../../base/clock';
import { parseMsrpUri, parsePath, type MsrpUri } from '../../protocol/msrp/uri';

/** Chunk size through relays: Kamailio 5.6 refuses frames >= 14,337 bytes and hides >= 11,239 from its script (lab notes). */
export const RELAY_CHUNK_SIZE = 4096;
/** Expires we ask for (RFC 4976 leaves it to the relay; Kamailio defaults to 600). */
export const RELAY_DEFAULT_EXPIRES_S = 600;
/** Refresh the AUTH when this fraction of the granted Expires has elapsed. */
export const RELAY_REFRESH_FRACTION = 0.8;
/** AUTH rounds before giving up (401 -> authorized, 423 -> longer Expires). */
const MAX_AUTH_ROUNDS = 4;

export interface RelayClientOptions {
  relayUri: string; // msrp://127.0.0.1:2855;tcp or msrps://...
  username: string;
  password: string;
  expires?: number;
  remoteFingerprint?: string; // msrps relay checked by a=fingerprint-style pin instead of CA
  clock?: Clock;
  onRefreshFailed?: (e: ParleyError) => void;
}

export interface RelayGrant {
  usePath: MsrpUri[];
  expires: number;
}

/** Parse `Digest realm="x", nonce="y", qop="auth", algorithm=MD5` into lower-cased keys. */
export function parseDigestChallenge(v: string): Record<string, string> {
  const m = /^\s*Digest\s+(.*)$/is.exec(v);
  if (!m) throw new ParleyError('MSRP_BAD_AUTH_CHALLENGE', `Not a Digest challenge: ${v.slice(0, 60)}`);
  const out: Record<string, string> = {};
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?/g;
  for (const x of m[1].matchAll(re)) out[x[1].toLowerCase()] = x[2] !== undefined ? x[2].replace(/\\(.)/g, '$1') : x[3];
  if (!out.realm || !out.nonce) throw new ParleyError('MSRP_BAD_AUTH_CHALLENGE', 'Digest challenge without realm or nonce');
  return out;
}

const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

/** Authorization value for AUTH (RFC 4976 s.5.2): uri = relay URI, HA2 = MD5("AUTH:" + uri), qop=auth with nc/cnonce. */
export function digestAuthorization(
  challenge: Record<string, string>,
  a: { username: string; password: string; uri: string; nc?: number; cnonce?: string; method?: string },
): string {
  const alg = (challenge.algorithm ?? 'MD5').toUpperCase();
  if (alg !== 'MD5') throw new ParleyError('MSRP_BAD_AUTH_CHALLENGE', `Unsupported digest algorithm ${alg}`);
  const qops = (challenge.qop ?? '').split(',').map((q) => q.trim().toLowerCase());
  const useQop = qops.includes('auth');
  const nc = (a.nc ?? 1).toString(16).padStart(8, '0');
  const cnonce = a.cnonce ?? randomBytes(8).toString('hex');
  const ha1 = md5(`${a.username}:${challenge.realm}:${a.password}`);
  const ha2 = md5(`${a.method ?? 'AUTH'}:${a.uri}`);
  const response = useQop ? md5(`${ha1}:${challenge.nonce}:${nc}:${cnonce}:auth:${ha2}`) : md5(`${ha1}:${challenge.nonce}:${ha2}`);
  let v = `Digest username="${a.username}", realm="${challenge.realm}", nonce="${challenge.nonce}", uri="${a.uri}", response="${response}", algorithm=MD5`;
  if (useQop) v += `, qop=auth, nc=${nc}, cnonce="${cnonce}"`;
  if (challenge.opaque !== undefined) v += `, opaque="${challenge.opaque}"`;
  return v;
}

/**
 * Keeps an authenticated, pinned connection to one relay. Sessions that put grant.usePath first in their To-Path share
 * this connection (same authority) and are reached by the relay over it.
 */
export class MsrpRelayClient {
  private readonly session: MsrpSession;
  private readonly clock: Clock;
  private grant: RelayGrant | undefined;
  private timer: unknown;
  private nc = 0;
  private closed = false;

  constructor(
    private readonly transport: MsrpTransport,
    private readonly opts: RelayClientOptions,
  ) {
    this.clock = opts.clock ?? systemClock;
    const relay = parseMsrpUri(opts.relayUri);
    this.session = new MsrpSession({ localUri: transport.localUri(), toPath: [relay], checkFromPath: false, clock: this.clock });
  }

  get usePath(): MsrpUri[] | undefined {
    return this.grant?.usePath;
  }

  /** Connect (once), AUTH, and schedule refreshes. */
  async authenticate(): Promise<RelayGrant> {
    if (!this.grant) {
      await this.transport.attach(this.session, {
        role: 'active',
        bind: false,
        viaRelay: true,
        remoteFingerprint: this.opts.remoteFingerprint,
      });
      this.transport.pin(this.session);
    }
    let expires = this.opts.expires ?? RELAY_DEFAULT_EXPIRES_S;
    let authorization: string | undefined;
    for (let round = 0; round < MAX_AUTH_ROUNDS; round++) {
      const headers: Header[] = [];
      if (authorization) headers.push(['Authorization', authorization]);
      headers.push(['Expires', String(expires)]);
      const r = await new Promise<TransactionResult>((resolve) => this.session.request('AUTH', headers, resolve));
      if (r.status === 200) {
        const up = getHeader(r.headers, 'Use-Path');
        if (!up) throw new ParleyError('MSRP_RELAY_AUTH_FAILED', 'AUTH 200 without Use-Path');
        const granted = Number(getHeader(r.headers, 'Expires') ?? expires);
        this.grant = { usePath: parsePath(up), expires: Number.isFinite(granted) && granted > 0 ? granted : expires };
        this.schedule(this.grant.expires);
        return this.grant;
      }
      if (r.status === 401 && !authorization) {
        const ch = parseDigestChallenge(getHeader(r.headers, 'WWW-Authenticate') ?? '');
        authorization = digestAuthorization(ch, {
          username: this.opts.username,
          password: this.opts.password,
          uri: this.opts.relayUri,
          nc: ++this.nc,
        });
        continue;
      }
      if (r.status === 401 && authorization) {
        // stale nonce or wrong credentials: one fresh challenge answer, then give up
        const ch = getHeader(r.headers, 'WWW-Authenticate');
        if (ch && /stale\s*=\s*"?true/i.test(ch)) {
          authorization = digestAuthorization(parseDigestChallenge(ch), {
            username: this.opts.username,
            password: this.opts.password,
            uri: this.opts.relayUri,
            nc: ++this.nc,
          });
          continue;
        }
        throw new ParleyError('MSRP_RELAY_AUTH_FAILED', 'Relay refused the credentials', { status: 401 });
      }
      if (r.status === 423) {
        const min = Number(getHeader(r.headers, 'Min-Expires'));
        if (!Number.isFinite(min) || min <= expires) throw new ParleyError('MSRP_RELAY_AUTH_FAILED', '423 without a usable Min-Expires');
        expires = min;
        continue;
      }
      throw new ParleyError('MSRP_RELAY_AUTH_FAILED', `AUTH answered ${r.status} ${r.comment ?? ''}`, { status: r.status });
    }
    throw new ParleyError('MSRP_RELAY_AUTH_FAILED', 'Too many AUTH rounds');
  }

  private schedule(expires: number): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    if (this.closed) return;
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = undefined;
        this.authenticate().catch((e: unknown) =>
          this.opts.onRefreshFailed?.(e instanceof ParleyError ? e : new ParleyError('MSRP_RELAY_AUTH_FAILED', String(e))),
        );
      },
      Math.max(1, Math.floor(expires * 1000 * RELAY_REFRESH_FRACTION)),
    );
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.transport.detach(this.session);
  }
}
