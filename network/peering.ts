// Two lab networks side by side (docs/lab.md "Two networks"): the peer description each Kamailio gets, and the TLS
// domains (Kamailio tls module config file) that authenticate the proxy-to-proxy hop with the lab CA.
import { writeFile } from 'node:fs/promises';

/** The other network, as one lab's Kamailio needs to know it: a static route over TLS, no DNS. */
export interface LabPeer {
  domain: string;
  /** Loopback address of the peer's proxy and relay, e.g. 127.0.0.2. */
  host: string;
  /** The peer proxy's SIP TLS port (the only way requests travel between the networks). */
  tls: number;
  /** The peer's MSRP relay (RFC 4976 relay to relay): TCP and TLS ports. */
  msrp: number;
  msrps: number;
}

export interface TlsDomainFiles {
  certFile: string;
  keyFile: string;
  caFile: string;
}

/**
 * Kamailio tls.cfg for a lab with a peer:
 * - our SIP TLS port asks for (does not require) a client certificate and verifies one against the lab CA, so the
 *   routing script can tell the peer proxy (certificate CN = peer domain) from clients (no certificate);
 * - connections we open to the peer's SIP TLS and MSRP TLS ports present our certificate and verify the peer's: the
 *   script selects that client domain by `$xavp(tls=>server_id) = "peer"` (Kamailio 5.6 matches `[client:ip:port]`
 *   against the local address of an outgoing connection, so an address-based client domain is never used);
 * - everything else keeps the single-network behaviour (no client certificates; the relay may connect to a client's
 *   self-signed msrps listener, which RFC 4975/4572 fingerprints authenticate, not the lab CA).
 */
/** The TLS client domain of connections to the peer network (parley.cfg sets `$xavp(tls=>server_id)` to it). */
export const PEER_SERVER_ID = 'peer';

export function peerTlsConfig(own: { host: string; tls: number }, peer: LabPeer, files: TlsDomainFiles): string {
  const common = ['method = TLSv1.2+'];
  const ours = [`certificate = ${files.certFile}`, `private_key = ${files.keyFile}`];
  const verify = [`ca_list = ${files.caFile}`, 'verify_certificate = yes'];
  const section = (name: string, lines: string[]) => [`[${name}]`, ...common, ...lines, ''];
  return [
    '# Written by network/lab.ts for a lab with a peer network (docs/lab.md "Two networks").',
    ...section('server:default', [...ours, 'verify_certificate = no', 'require_certificate = no']),
    ...section(`server:${own.host}:${own.tls}`, [...ours, ...verify, 'require_certificate = no']),
    ...section('client:default', ['verify_certificate = no', 'require_certificate = no']),
    ...section('client:any', [
      `server_id = ${PEER_SERVER_ID}`,
      `server_name = ${peer.domain}`,
      ...ours,
      ...verify,
      'require_certificate = yes',
    ]),
  ].join('\n');
}

export async function writePeerTlsConfig(
  file: string,
  own: { host: string; tls: number },
  peer: LabPeer,
  files: TlsDomainFiles,
): Promise<void> {
  await writeFile(file, peerTlsConfig(own, peer, files));
}

/** Kamailio -A definitions for the peer routes of parley.cfg (PEER_IN, PEER_OUT, DSTCHECK, the MSRP relay). */
export function peerDefines(peer: LabPeer, tlsCfg: string): Record<string, string | number> {
  return {
    PEER_DOMAIN: `"${peer.domain}"`,
    PEER_IP_STR: `"${peer.host}"`,
    PEER_TLS_PORT: peer.tls,
    PEER_MSRP_PORT: peer.msrp,
    PEER_MSRPS_PORT: peer.msrps,
    TLS_CFG: `"${tlsCfg}"`,
  };
}
