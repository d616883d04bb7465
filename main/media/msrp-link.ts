// The MSRP connection every feature derives from offer + answer (chat sessions in msrp-media.ts, file transfers in
// main/features/transfer): our a=path and a=fingerprint (RFC 4975 s.8, RFC 4976 s.6 relay paths, RFC 8122), who connects
// (RFC 6135 setup), CEMA (RFC 6714), and putting a session on its transport within the setup deadline.
import { ParleyError, isParleyError } from '../base/errors';
import { msrpConnectsActively, type MsrpMedia, type MsrpTransport as SdpTransport } from '../protocol/sdp/msrp-sdp';
import { formatMsrpUri, parseMsrpUri, type MsrpUri } from '../protocol/msrp/uri';
import type { MsrpSession } from '../protocol/msrp/session';
import type { MsrpTransport } from '../net/msrp/transport';

/** MSRP connection setup (connect + binding SEND, or waiting for the peer) after the SIP session is up. */
export const MSRP_SETUP_TIMEOUT_MS = 30_000;

/** What a feature's media needs from the account's MSRP endpoint. */
export interface MsrpLinkContext {
  /** Transport for msrp (secure false) or msrps (true); undefined when not enabled. */
  transport(secure: boolean): MsrpTransport | undefined;
  /** Use-Path of our relay when one serves this scheme. */
  relayPath(secure: boolean): MsrpUri[] | undefined;
  /** Our a=fingerprint value ("sha-256 AB:..") for direct msrps. */
  fingerprint(secure: boolean): string | undefined;
}

/** The connection decided by offer + answer. */
export interface MsrpLink {
  transport: MsrpTransport;
  secure: boolean;
  localUri: MsrpUri;
  /** Our relay's Use-Path, then the peer's a=path. */
  toPath: MsrpUri[];
  role: 'active' | 'passive';
  remoteFingerprint?: string;
  cema: boolean;
  /** A relay on either side. */
  relayed: boolean;
  /** Our own relay is the first hop (the session rides on the relay connection). */
  viaRelay: boolean;
}

export function sdpTransportOf(secure: boolean): SdpTransport {
  return secure ? 'TCP/TLS/MSRP' : 'TCP/MSRP';
}

/** The c= address of an MSRP URI's host (IPv6 without brackets). */
export function sdpAddress(u: MsrpUri): string {
  return u.host.replace(/^\[|\]$/g, '');
}

/** Our a=path: our relay's Use-Path, then our own URI. */
export function pathOf(ctx: MsrpLinkContext, secure: boolean, own: MsrpUri): string[] {
  return [...(ctx.relayPath(secure) ?? []), own].map((u) => formatMsrpUri(u));
}

/** Our a=fingerprint: only for direct msrps (behind a relay the peer checks the relay's certificate chain). */
export function offerFingerprints(ctx: MsrpLinkContext, secure: boolean): { algorithm: string; value: string }[] {
  const relayed = (ctx.relayPath(secure) ?? []).length > 0;
  const fp = ctx.fingerprint(secure);
  return secure && !relayed && fp ? [{ algorithm: 'sha-256', value: fp.replace(/^sha-256\s+/i, '') }] : [];
}

/** What a link is decided from: our media and the peer's, on the transport of the negotiated scheme. */
export interface LinkInput {
  secure: boolean;
  transport: MsrpTransport;
  localUri: MsrpUri;
  local: MsrpMedia;
  remote: MsrpMedia;
  /** We sent the offer (RFC 6135 s.4.2: decides who connects when both say actpass/active). */
  weOffered: boolean;
}

/** The connection from our media and the peer's; SESSION_NO_FINGERPRINT for a direct msrps peer without one. */
export function decideMsrpLink(ctx: MsrpLinkContext, o: LinkInput): MsrpLink {
  const { secure, transport, localUri, local, remote } = o;
  const ourRelay = ctx.relayPath(secure) ?? [];
  const peerPath = remote.path.map((u) => parseMsrpUri(u));
  const relayed = ourRelay.length > 0 || peerPath.length > 1;
  // Fingerprints authenticate a direct TLS peer; relays are validated against their CA instead (RFC 4976 s.6.3).
  const fp = secure && !relayed ? remote.fingerprints.find((f) => f.algorithm === 'sha-256') : undefined;
  if (secure && !relayed && !fp) throw new ParleyError('SESSION_NO_FINGERPRINT', 'msrps peer without a sha-256 a=fingerprint');
  return {
    transport,
    secure,
    localUri,
    toPath: [...ourRelay, ...peerPath],
    role: msrpConnectsActively(local, remote, o.weOffered) ? 'active' : 'passive',
    remoteFingerprint: fp ? `sha-256 ${fp.value}` : undefined,
    cema: local.cema && remote.cema,
    relayed,
    viaRelay: ourRelay.length > 0,
  };
}

/** Put `session` on the link's transport (passive: registers synchronously; active: connects and binds). */
export function attachLink(link: MsrpLink, session: MsrpSession): Promise<void> {
  return link.transport.attach(session, { role: link.role, remoteFingerprint: link.remoteFingerprint, viaRelay: link.viaRelay });
}

/** `setup` within the deadline: MSRP_CONNECT_TIMEOUT after it, any failure that is not a ParleyError as MSRP_CONNECT_FAILED. */
export function withinSetupDeadline(setup: Promise<void>, timeoutMs = MSRP_SETUP_TIMEOUT_MS): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ParleyError('MSRP_CONNECT_TIMEOUT', `MSRP connection not up within ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
  });
  return Promise.race([setup, timeout])
    .catch((e: unknown) => {
      throw isParleyError(e) ? e : new ParleyError('MSRP_CONNECT_FAILED', String(e));
    })
    .finally(() => clearTimeout(timer));
}
