// Shared configuration and helpers of the app server's services (identity, contacts, limits, logging).
import type { SipEndpoint } from './sip/endpoint';
import { aorOf, getHeader, getHeaders, parseNameAddr, parseSipUri, type SipRequest } from './sip/message';

export interface AppServerLimits {
  /** Participants per room (SIP 486 with a Warning beyond). */
  maxParticipants: number;
  /** Live rooms (SIP 403 with a Warning beyond). */
  maxRooms: number;
  /** Largest MSRP message accepted from a participant (MSRP 413 beyond; also our a=max-size). */
  maxMessageBytes: number;
  /** A room ends this long after it was created, whoever is in it. */
  roomLifetimeMs: number;
  /** An empty room ends after this grace period (invitees may still be joining). */
  emptyRoomGraceMs: number;
  /** Recipients per URI-list MESSAGE (RFC 5365) and invitees per request. */
  maxRecipients: number;
  /** Conference subscriptions: default and maximum Expires (s), minimum (423 below). */
  subscribeExpiresS: number;
  subscribeMinExpiresS: number;
  /** Subscriptions per room. */
  maxSubscriptionsPerRoom: number;
  /** How long an invitation may ring before the focus CANCELs it. */
  inviteRingTimeoutMs: number;
}

export const DEFAULT_LIMITS: AppServerLimits = {
  maxParticipants: 50,
  maxRooms: 1000,
  maxMessageBytes: 64 * 1024,
  roomLifetimeMs: 24 * 3600 * 1000,
  emptyRoomGraceMs: 60 * 1000,
  maxRecipients: 50,
  subscribeExpiresS: 3600,
  subscribeMinExpiresS: 60,
  maxSubscriptionsPerRoom: 200,
  inviteRingTimeoutMs: 60_000,
};

export interface AsContext {
  domain: string;
  /**
   * Domains of peer networks (the lab's second network): their proxy authenticates their users and ours accepts their
   * requests only from it (docs/lab.md "Two networks"), so their From identities are as trustworthy as ours here.
   */
  peerDomains: readonly string[];
  /** Take P-Asserted-Identity from requests (only when the proxy removes it from client requests and sets it itself). */
  trustAssertedIdentity: boolean;
  endpoint: SipEndpoint;
  limits: AppServerLimits;
  log: (line: string) => void;
  /** Our Contact for a service URI user (conf-..., list, group-...). */
  contact(user: string, isFocus?: boolean): string;
}

/** Warning header (RFC 3261 s.20.43) with a human-readable explanation of a refusal. */
export const warning = (domain: string, text: string): [string, string] => ['Warning', `399 ${domain} "${text.replace(/["\\]/g, '')}"`];

/** Where a host belongs: our network, a peer network (authenticated hop by hop), or anywhere else. */
export type DomainKind = 'home' | 'peer' | 'foreign';

export function domainKind(ctx: Pick<AsContext, 'domain' | 'peerDomains'>, host: string): DomainKind {
  const h = host.toLowerCase();
  if (h === ctx.domain.toLowerCase()) return 'home';
  return ctx.peerDomains.some((d) => d.toLowerCase() === h) ? 'peer' : 'foreign';
}

export interface Identity {
  aor: string;
  kind: 'home' | 'peer';
}

/**
 * The requester's identity as established by the proxies. With `trustAssertedIdentity` (an IMS core: the P-CSCF strips
 * client-supplied P-Asserted-Identity and the S-CSCF sets it, RFC 3325) that header wins; otherwise the From URI, which
 * the lab's Kamailio has digest-authenticated for home-domain users and accepts for a peer network's users only over
 * that network's proxy connection (the lab proxy does not police P-Asserted-Identity, so a client could put anything
 * there). Anything outside the home and peer domains is not authenticated and is refused (undefined).
 */
export function assertedIdentity(
  req: SipRequest,
  ctx: Pick<AsContext, 'domain' | 'peerDomains' | 'trustAssertedIdentity'>,
): Identity | undefined {
  try {
    const pai = ctx.trustAssertedIdentity
      ? getHeaders(req, 'P-Asserted-Identity')
          .map((v) => parseNameAddr(v).uri)
          .find((u) => /^sips?:/i.test(u))
      : undefined;
    const uri = pai ?? parseNameAddr(getHeader(req, 'From') ?? '').uri;
    const p = parseSipUri(uri);
    const kind = domainKind(ctx, p.host);
    if (kind === 'foreign' || !p.user) return undefined;
    return { aor: aorOf(uri), kind };
  } catch {
    return undefined;
  }
}

/** R-URI user part (undefined when absent or unparseable). */
export function ruriUser(req: SipRequest): string | undefined {
  try {
    return parseSipUri(req.uri).user;
  } catch {
    return undefined;
  }
}
