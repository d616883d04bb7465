// MSRP media of one SIP session: SDP offer/answer (RFC 4975 s.8, RFC 6135 setup, RFC 8122 fingerprint, RFC 6714 CEMA),
// relay paths (RFC 4976 s.6), a=key-mgmt E2E agreement (RFC 4567 syntax, docs/security.md s.5.5) and connection roles.
import { ParleyError, isParleyError, type ErrorCode } from '../base/errors';
import {
  answerMsrpOffer,
  buildMsrpOffer,
  parseMsrpMedia,
  PARLEY_KEY_MGMT_PROTOCOL,
  type KeyMgmt,
  type MsrpMedia,
} from '../protocol/sdp/msrp-sdp';
import { MsrpSession } from '../protocol/msrp/session';
import type { MsrpTransport } from '../net/msrp/transport';
import { RELAY_CHUNK_SIZE } from '../net/msrp/relay';
import type { MsrpUri } from '../protocol/msrp/uri';
import { SessionOffer, acceptSessionOffer, type EstablishedSession } from '../security/session-keys';
import { MSRP_E2E_CONTENT_TYPE } from '../security/session-cipher';
import { normalizeAoR } from '../security/aor';
import type { PeerKeyState } from '../security/peers';
import type { SdpDriver } from './peer-connection';
import { CPIM_TYPE, IMDN_TYPE, ISCOMPOSING_TYPE, MAX_CHAT_MESSAGE_BYTES, TEXT_TYPE, type E2EPolicy } from './types';
import type { SecurityBundle } from '../security/bundle';
import {
  decideMsrpLink,
  offerFingerprints,
  pathOf,
  sdpAddress,
  sdpTransportOf,
  type LinkInput,
  type MsrpLink,
  type MsrpLinkContext,
} from './msrp-link';

/** a=accept-types we offer / accept: E2E frames, CPIM, bare text and is-composing for plaintext third-party clients. */
export const OFFER_ACCEPT_TYPES = [MSRP_E2E_CONTENT_TYPE, CPIM_TYPE, TEXT_TYPE, ISCOMPOSING_TYPE];
export const OFFER_WRAPPED_TYPES = [TEXT_TYPE, IMDN_TYPE, ISCOMPOSING_TYPE];
/**
 * Chunk size on direct connections. main/protocol/msrp defaults to 64 KiB, but its per-chunk cost (one transaction, one 200, one
 * Byte-Range) kept a 256 MiB transfer at ~40 % of a raw socket copy; 1 MiB chunks reach the 70 % target
 * (bench/msrp-transfer.ts) and still interleave other sessions' messages within ~1 ms on a shared connection.
 */
export const DIRECT_CHUNK_SIZE = 1024 * 1024;
/** Per-message size we accept on the wire (E2E frame overhead on top of the CPIM limit). */
export const MAX_WIRE_MESSAGE_BYTES = MAX_CHAT_MESSAGE_BYTES + 1024;

/** What the manager provides to every session's media. */
export interface MediaContext extends MsrpLinkContext {
  /** Scheme of our offers. */
  offerSecure: boolean;
  security?: SecurityBundle;
  policy: E2EPolicy;
  /** Host:port advertised in a=path instead of the listener (NAT/ALG or test proxies; needs CEMA on both sides). */
  advertise?: { host?: string; port?: number };
  /** Largest MSRP message we accept (a=max-size, 413 above it). */
  maxMessageBytes?: number;
}

/** Everything decided by offer + answer. */
export interface Negotiated extends MsrpLink {
  chunkSize: number;
  maxMessageBytes: number;
  local: MsrpMedia;
  remote: MsrpMedia;
  e2e?: EstablishedSession;
  peerKeyState?: PeerKeyState;
}

/** A refusal of an incoming offer: SIP status, stable code and human text (Warning: 399). */
export interface OfferRejection {
  status: 488 | 606;
  code: ErrorCode;
  reason: string;
}

function localUriFor(ctx: MediaContext, t: MsrpTransport): MsrpUri {
  const u = t.localUri();
  if (ctx.advertise?.host) u.host = ctx.advertise.host;
  if (ctx.advertise?.port) u.port = ctx.advertise.port;
  return u;
}

/** The session's MSRP endpoint after negotiation; the passive side registers with the transport at once. */
export function createMsrpSession(n: Negotiated): MsrpSession {
  const accept = n.e2e ? [MSRP_E2E_CONTENT_TYPE] : [CPIM_TYPE, TEXT_TYPE, ISCOMPOSING_TYPE, MSRP_E2E_CONTENT_TYPE];
  return new MsrpSession({
    localUri: n.localUri,
    toPath: n.toPath,
    cema: n.cema,
    acceptTypes: accept,
    chunkSize: n.chunkSize,
    maxMessageBytes: n.maxMessageBytes,
  });
}

function decide(ctx: MediaContext, o: LinkInput): Omit<Negotiated, 'e2e' | 'peerKeyState'> {
  const link = decideMsrpLink(ctx, o);
  return {
    ...link,
    chunkSize: link.relayed ? RELAY_CHUNK_SIZE : DIRECT_CHUNK_SIZE,
    maxMessageBytes: ctx.maxMessageBytes ?? MAX_WIRE_MESSAGE_BYTES,
    local: o.local,
    remote: o.remote,
  };
}

function findKeyMgmt(m: MsrpMedia): KeyMgmt | undefined {
  return m.keyMgmt.find((k) => k.protocol === PARLEY_KEY_MGMT_PROTOCOL);
}

/** Outgoing session media: builds the offer, consumes the answer. */
export class OfferMedia implements SdpDriver {
  private offerSdp: string | undefined;
  private keyOffer: SessionOffer | undefined;
  private readonly secure: boolean;
  private readonly transport: MsrpTransport;
  private readonly localUri: MsrpUri;
  negotiated: Negotiated | undefined;
  /** Called synchronously once the answer is accepted (the MSRP session must be registered before the ACK leaves). */
  onNegotiated: (n: Negotiated) => void = () => {};
  /** The error that made applyRemote refuse the answer (JsSIP only reports a generic media failure). */
  failure: ParleyError | undefined;
  closed = false;

  constructor(
    private readonly ctx: MediaContext,
    readonly peerAor: string,
  ) {
    this.secure = ctx.offerSecure;
    const t = ctx.transport(this.secure);
    if (!t) throw new ParleyError('SESSION_NO_TRANSPORT', `no ${this.secure ? 'msrps' : 'msrp'} transport configured`);
    this.transport = t;
    if (!ctx.security && ctx.policy === 'require') {
      throw new ParleyError('E2E_NO_IDENTITY', 'end-to-end encryption is required but no identity is configured');
    }
    this.localUri = localUriFor(ctx, t);
  }

  createOffer(): string {
    if (this.offerSdp) return this.offerSdp; // re-offer in a stable state: same media
    if (this.ctx.security) this.keyOffer = new SessionOffer(this.ctx.security.identity);
    this.offerSdp = buildMsrpOffer({
      port: this.localUri.port ?? 9,
      transport: sdpTransportOf(this.secure),
      path: pathOf(this.ctx, this.secure, this.localUri),
      acceptTypes: OFFER_ACCEPT_TYPES,
      acceptWrappedTypes: OFFER_WRAPPED_TYPES,
      maxSize: this.ctx.maxMessageBytes ?? MAX_WIRE_MESSAGE_BYTES,
      setup: 'actpass',
      cema: true,
      fingerprints: offerFingerprints(this.ctx, this.secure),
      keyMgmt: this.keyOffer ? [this.keyOffer.keyMgmt] : [],
      address: sdpAddress(this.localUri),
    });
    return this.offerSdp;
  }

  createAnswer(): string {
    throw new ParleyError('SESSION_UNSUPPORTED', 're-INVITE offers from the peer are not supported on an outgoing session yet');
  }

  async applyRemote(type: 'offer' | 'answer', sdp: string): Promise<void> {
    try {
      if (type === 'offer') {
        if (!this.negotiated) throw new ParleyError('SESSION_UNSUPPORTED', 'offer before our offer was answered');
        return; // re-INVITE: keep the media (createAnswer refuses changes)
      }
      if (this.negotiated) return; // 200 retransmission / same answer again
      if (!this.offerSdp) throw new ParleyError('SESSION_BAD_STATE', 'answer without an offer');
      const remote = parseMsrpMedia(sdp);
      const local = parseMsrpMedia(this.offerSdp);
      if (remote.transport !== local.transport)
        throw new ParleyError('SESSION_BAD_ANSWER', `answer uses ${remote.transport}, we offered ${local.transport}`);
      const base = decide(this.ctx, {
        secure: this.secure,
        transport: this.transport,
        localUri: this.localUri,
        local,
        remote,
        weOffered: true,
      });
      const n: Negotiated = { ...base };
      const km = findKeyMgmt(remote);
      if (this.keyOffer && km) {
        const sec = this.ctx.security!;
        const aor = normalizeAoR(this.peerAor);
        n.e2e = this.keyOffer.complete(km, { expectedPeerAoR: aor, psk: sec.psk?.(aor) });
        n.peerKeyState = await checkPeerKey(sec, n.e2e);
      } else if (this.ctx.policy === 'require') {
        throw new ParleyError(
          'E2E_REQUIRED',
          'the peer answered without end-to-end key agreement (a=key-mgmt:parley-x25519-v1) and the policy requires it',
        );
      }
      this.keyOffer?.destroy();
      if (this.closed) {
        n.e2e?.destroy();
        throw new ParleyError('SESSION_CLOSED', 'session closed during negotiation');
      }
      this.negotiated = n;
      this.onNegotiated(n);
    } catch (e) {
      this.keyOffer?.destroy();
      this.failure = isParleyError(e)
        ? e
        : new ParleyError('SESSION_BAD_ANSWER', `unusable SDP answer: ${(e as Error).message}`, undefined, { cause: e });
      throw this.failure;
    }
  }

  close(): void {
    this.closed = true;
    this.keyOffer?.destroy();
  }
}

/** Pin (TOFU) or check the identity key presented in a=key-mgmt; PEER_KEY_CHANGED destroys the keys and throws. */
export async function checkPeerKey(sec: SecurityBundle, e2e: EstablishedSession): Promise<PeerKeyState> {
  const state = await sec.peers.observe(e2e.peerAoR, e2e.peerIdentityKey, 'session');
  if (state === 'changed') {
    e2e.destroy();
    const info = sec.peers.get(e2e.peerAoR);
    throw new ParleyError(
      'PEER_KEY_CHANGED',
      `the identity key of ${e2e.peerAoR} changed since it was pinned; the session was refused (confirm the new key first)`,
      {
        aor: e2e.peerAoR,
        fingerprint: info.fingerprint,
        pendingFingerprint: info.pendingFingerprint,
      },
    );
  }
  return state;
}

/** Incoming session media: the offer was judged before ringing (prepareAnswer); JsSIP's answer() pulls the SDP. */
export class AnswerMedia implements SdpDriver {
  onNegotiated: (n: Negotiated) => void = () => {};
  private announced = false;
  closed = false;

  constructor(
    readonly offerSdp: string,
    readonly answerSdp: string,
    readonly negotiated: Negotiated,
  ) {}

  createOffer(): string {
    return this.answerSdp; // re-INVITE without SDP: offer our media again
  }

  createAnswer(): string {
    if (!this.announced) {
      this.announced = true;
      this.onNegotiated(this.negotiated); // passive answerer registers before the 200 leaves
    }
    return this.answerSdp;
  }

  async applyRemote(type: 'offer' | 'answer', sdp: string): Promise<void> {
    if (type === 'offer' && (sdp === this.offerSdp || this.announced)) return; // initial offer, or a re-INVITE keeping media
    if (type === 'answer') return;
    throw new ParleyError('SESSION_BAD_STATE', 'unexpected SDP');
  }

  close(): void {
    this.closed = true;
    if (!this.announced) this.negotiated.e2e?.destroy();
  }
}

/**
 * Judge an incoming offer before ringing: an MSRP m= line we can serve, E2E per policy (verified signature, AoR bound to
 * the SIP From, pinned key unchanged). Returns the answer media or the 488 to send.
 */
export async function prepareAnswer(ctx: MediaContext, offerSdp: string, peerAor: string): Promise<AnswerMedia | OfferRejection> {
  let remote: MsrpMedia;
  try {
    remote = parseMsrpMedia(offerSdp);
  } catch (e) {
    return {
      status: 488,
      code: isParleyError(e) ? e.code : 'SDP_MALFORMED',
      reason: isParleyError(e) ? e.message : 'unparseable SDP offer',
    };
  }
  const secure = remote.transport === 'TCP/TLS/MSRP';
  const transport = ctx.transport(secure);
  if (!transport) return { status: 488, code: 'SDP_MSRP_BAD_TRANSPORT', reason: `${remote.transport} is not enabled here` };
  const km = findKeyMgmt(remote);
  const sec = ctx.security;
  if (!km && ctx.policy === 'require') {
    return { status: 488, code: 'E2E_REQUIRED', reason: 'end-to-end encryption required: the offer has no a=key-mgmt:parley-x25519-v1' };
  }
  if (km && !sec && ctx.policy === 'require')
    return { status: 488, code: 'E2E_NO_IDENTITY', reason: 'no local identity for end-to-end encryption' };
  let e2e: EstablishedSession | undefined;
  let keyAttr: KeyMgmt | undefined;
  let peerKeyState: PeerKeyState | undefined;
  if (km && sec) {
    const aor = normalizeAoR(peerAor);
    try {
      const r = acceptSessionOffer(sec.identity, km, { expectedPeerAoR: aor, psk: sec.psk?.(aor) });
      e2e = r.session;
      keyAttr = r.keyMgmt;
      peerKeyState = await checkPeerKey(sec, e2e);
    } catch (e) {
      const err = isParleyError(e) ? e : new ParleyError('E2E_BAD_FORMAT', String(e));
      return { status: 488, code: err.code, reason: err.message };
    }
  }
  const localUri = localUriFor(ctx, transport);
  const relayed = (ctx.relayPath(secure) ?? []).length > 0;
  const ans = answerMsrpOffer(offerSdp, {
    endpoints: [{ transport: remote.transport, port: localUri.port ?? 9, path: pathOf(ctx, secure, localUri) }],
    acceptTypes: e2e ? [MSRP_E2E_CONTENT_TYPE, CPIM_TYPE] : OFFER_ACCEPT_TYPES.filter((t) => t !== MSRP_E2E_CONTENT_TYPE),
    acceptWrappedTypes: OFFER_WRAPPED_TYPES,
    maxSize: ctx.maxMessageBytes ?? MAX_WIRE_MESSAGE_BYTES,
    cema: true,
    // behind our relay the peer should connect to it (RFC 4976 s.6); otherwise we connect (RFC 6135 s.4.2 preference)
    setup: relayed ? 'passive' : 'active',
    fingerprints: offerFingerprints(ctx, secure),
    keyMgmt: keyAttr ? [keyAttr] : [],
    address: sdpAddress(localUri),
  });
  if ('reject' in ans) {
    e2e?.destroy();
    return { status: 488, code: 'SDP_NOT_ACCEPTABLE', reason: ans.reason };
  }
  try {
    const base = decide(ctx, { secure, transport, localUri, local: ans.local, remote: ans.remote, weOffered: false });
    return new AnswerMedia(offerSdp, ans.sdp, { ...base, e2e, peerKeyState });
  } catch (e) {
    e2e?.destroy();
    const err = isParleyError(e) ? e : new ParleyError('SDP_NOT_ACCEPTABLE', String(e));
    return { status: 488, code: err.code, reason: err.message };
  }
}
