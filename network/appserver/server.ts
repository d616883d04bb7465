// Messaging application server behind the lab's Kamailio: conference focus (RFC 4575/4975/7701), list server / group PSI
// (RFC 5365) and the prekey directory sip:keys@<domain> (docs/security.md s.5.7).
import { readFile } from 'node:fs/promises';
import { formatMsrpUri, type MsrpUri } from '../../main/protocol/msrp';
import { MsrpRelayClient, MsrpTransport, certFingerprint } from '../../main/net/msrp';
import { SipEndpoint, type Responder } from './sip/endpoint';
import { getHeaders, parseVia, type SipRequest } from './sip/message';
import { dialogIdOfRequest } from './sip/dialog';
import { DEFAULT_LIMITS, ruriUser, warning, type AppServerLimits, type AsContext } from './context';
import { ParleyError } from '../../main/base/errors';
import { ConferenceNotifier } from './conference/notifier';
import { FocusMedia } from './conference/media';
import { Focus, type RoomSummary } from './conference/focus';
import { ListServer, type DeliveryReport, type GroupConfig } from './list/exploder';
import { KeyDirectory, type DirectoryLimits } from './keys/directory';
import { KeyService } from './keys/service';
import { PREKEYS_CONTENT_TYPE } from '../../main/protocol/formats/prekeys';

export type { AppServerLimits } from './context';
export type { DeliveryReport, GroupConfig } from './list/exploder';
export type { RoomSummary } from './conference/focus';
export type { DirectoryLimits } from './keys/directory';
export { DEFAULT_LIMITS } from './context';

export interface AppServerOptions {
  /** SIP TCP port on `host` (the proxy's APPSRV_PORT); 0 = ephemeral. */
  port: number;
  /** Listening address, the lab network's own (default 127.0.0.1; 127.0.0.2 for the second network). */
  host?: string;
  domain?: string;
  /** Domains of peer networks whose users may join rooms and receive list copies (docs/lab.md "Two networks"). */
  peerDomains?: string[];
  proxy: { host: string; port: number };
  /** Predefined groups (sip:group-<name>@domain) or a JSON file with the same shape: {"team": {"members": ["sip:alice@..."]}}. */
  groups?: GroupConfig | string;
  limits?: Partial<AppServerLimits>;
  /** MSRP listener port of the focus (default ephemeral). */
  msrpPort?: number;
  /**
   * RFC 4976 relay the focus authenticates to (an account of its own): participants that use a relay are then
   * served relay to relay. Needed with the lab relay, which delivers a frame whose last hop follows it back to
   * the frame's own sender (docs/appserver.md). Participants without a relay are always served directly.
   */
  msrpRelay?: { uri: string; user: string; password: string };
  /**
   * Also accept TCP/TLS/MSRP offers on an msrps listener: true = self-signed certificate (generated with openssl),
   * or a PEM pair. Our a=fingerprint is in every TLS answer; the client's certificate is checked against its own.
   */
  msrpTls?: boolean | { cert: string; key: string; port?: number };
  /**
   * Identify requesters by P-Asserted-Identity (default false: by the From URI the lab proxy authenticated). Turn on only
   * behind a proxy that removes client-supplied P-Asserted-Identity and asserts the authenticated user itself.
   */
  trustAssertedIdentity?: boolean;
  /** Prekey directory (sip:keys@domain): persisted to `file` (e.g. <lab state dir>/keys.json), in memory without one. */
  keys?: { file?: string; limits?: Partial<DirectoryLimits> };
  log?: (line: string) => void;
  /** Called when every copy of a list/group MESSAGE has a final outcome. */
  onDeliveryReport?: (r: DeliveryReport) => void;
}

export interface AppServer {
  port: number;
  msrpPort: number;
  /** msrps listener port when msrpTls is on. */
  msrpsPort?: number;
  domain: string;
  rooms(): RoomSummary[];
  /** Replace the group configuration (e.g. after editing the JSON file). */
  setGroups(g: GroupConfig): void;
  stop(): Promise<void>;
}

export async function loadGroups(src: GroupConfig | string | undefined): Promise<GroupConfig> {
  if (src === undefined) return {};
  const g = typeof src === 'string' ? (JSON.parse(await readFile(src, 'utf8')) as unknown) : src;
  if (!g || typeof g !== 'object') throw new Error('groups: expected an object {name: {members: [...]}}');
  for (const [name, v] of Object.entries(g as Record<string, unknown>)) {
    const members = (v as { members?: unknown })?.members;
    if (!/^[a-z0-9._-]+$/i.test(name) || !Array.isArray(members) || !members.every((m) => typeof m === 'string')) {
      throw new Error(`groups: entry ${JSON.stringify(name)} needs a name of [a-z0-9._-] and members: string[]`);
    }
  }
  return g as GroupConfig;
}

/** Top Via is the proxy's (it relayed the request). A cheap guard, not authentication: see docs/appserver.md. */
function viaProxy(req: SipRequest, proxy: { host: string; port: number }): boolean {
  try {
    const v = parseVia(getHeaders(req, 'Via')[0] ?? '');
    return v.host === proxy.host && (v.port ?? 5060) === proxy.port;
  } catch {
    return false;
  }
}

export async function startAppServer(o: AppServerOptions): Promise<AppServer> {
  const domain = o.domain ?? 'parley.test';
  const limits = { ...DEFAULT_LIMITS, ...o.limits };
  const log = o.log ?? (() => {});
  const groups = await loadGroups(o.groups);
  const keyDirectory = await KeyDirectory.open(o.keys?.file, o.keys?.limits);
  const host = o.host ?? '127.0.0.1';
  const endpoint = new SipEndpoint({ host, port: o.port, proxy: o.proxy, bootstrapUri: `sip:conf-factory@${domain}`, log });
  const port = await endpoint.listen();
  const msrp = new MsrpTransport({ port: o.msrpPort ?? 0, connectTimeoutMs: 60_000 });
  const msrpPort = await msrp.listen();
  let relay: MsrpRelayClient | undefined;
  let relayPath: MsrpUri[] = [];
  if (o.msrpRelay) {
    relay = new MsrpRelayClient(msrp, {
      relayUri: o.msrpRelay.uri,
      username: o.msrpRelay.user,
      password: o.msrpRelay.password,
      onRefreshFailed: (e) => log(`MSRP relay refresh failed: ${e.message}`),
    });
    try {
      relayPath = (await relay.authenticate()).usePath;
    } catch (e) {
      await msrp.close();
      await endpoint.close();
      throw e;
    }
  }
  const ctx: AsContext = {
    domain,
    peerDomains: o.peerDomains ?? [],
    endpoint,
    limits,
    log,
    trustAssertedIdentity: o.trustAssertedIdentity ?? false,
    contact: (user, isFocus = false) => `<sip:${user}@${host}:${port};transport=tcp>${isFocus ? ';isfocus' : ''}`,
  };
  let tls: { transport: MsrpTransport; fingerprint: string } | undefined;
  if (o.msrpTls) {
    const t = typeof o.msrpTls === 'object' ? o.msrpTls : undefined;
    const transport = new MsrpTransport({ tls: t ? { cert: t.cert, key: t.key } : true, port: t?.port ?? 0, connectTimeoutMs: 60_000 });
    await transport.listen();
    tls = { transport, fingerprint: certFingerprint((await transport.certificate()).cert) };
  }
  const notifier = new ConferenceNotifier(ctx);
  const focus = new Focus(ctx, new FocusMedia(msrp, { maxMessageBytes: limits.maxMessageBytes, relayPath, tls }), notifier);
  const lists = new ListServer(ctx, groups, o.onDeliveryReport ?? (() => {}));
  const keys = new KeyService(ctx, keyDirectory);

  const route = (req: SipRequest, r: Responder): void => {
    if (!viaProxy(req, o.proxy)) {
      // identities are only trustworthy when the proxy authenticated the request (docs/appserver.md, "Trust")
      if (req.method !== 'ACK') r.respond(403, { reason: 'Forbidden - requests must come through the proxy' });
      return;
    }
    if (dialogIdOfRequest(req) !== undefined || req.method === 'ACK') {
      if (focus.inDialog(req, r) || notifier.inDialog(req, r)) return;
      if (req.method !== 'ACK') r.respond(481);
      return;
    }
    const user = ruriUser(req);
    if (req.method === 'OPTIONS') {
      r.respond(200, {
        headers: [
          ['Allow', 'INVITE, ACK, BYE, CANCEL, OPTIONS, SUBSCRIBE, MESSAGE'],
          ['Accept', `application/sdp, multipart/mixed, application/resource-lists+xml, ${PREKEYS_CONTENT_TYPE}`],
        ],
      });
      return;
    }
    if (user && Focus.handles(user)) return focus.onRequest(req, r, user);
    if (user && ListServer.handles(user)) return lists.onRequest(req, r, user);
    if (user && KeyService.handles(user)) return keys.onRequest(req, r);
    r.respond(404, { reason: 'Not Found - no such service' });
  };
  endpoint.onRequest = (req, r) => {
    try {
      route(req, r);
    } catch (e) {
      // malformed dialog data (no Contact, no From tag...) or a bug: answer rather than leave the proxy waiting
      const bad = e instanceof ParleyError && /^(SIP_|SDP_|RESOURCE_LISTS_|MULTIPART_)/.test(e.code);
      log(`${req.method} ${req.uri}: ${bad ? '' : 'internal error: '}${(e as Error).stack ?? e}`);
      if (req.method !== 'ACK') {
        try {
          r.respond(bad ? 400 : 500, { headers: [warning(domain, bad ? (e as Error).message : 'internal error')] });
        } catch {
          /* already answered */
        }
      }
    }
  };
  log(
    `app server: SIP tcp ${host}:${port}, MSRP 127.0.0.1:${msrpPort}${relayPath.length ? ` (relay ${relayPath.map(formatMsrpUri).join(' ')})` : ''}, proxy ${o.proxy.host}:${o.proxy.port}, domain ${domain}`,
  );

  return {
    port,
    msrpPort,
    domain,
    msrpsPort: tls?.transport.port,
    rooms: () => focus.roomSummaries(),
    setGroups: (g) => lists.setGroups(g),
    async stop() {
      await keyDirectory.persist();
      focus.stop();
      notifier.stop();
      // let the BYEs / terminated NOTIFYs leave before the sockets close
      await new Promise((r) => setTimeout(r, 50));
      await endpoint.close();
      relay?.close();
      await msrp.close();
      await tls?.transport.close();
    },
  };
}
