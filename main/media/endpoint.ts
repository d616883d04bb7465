// The MSRP side of a UA's session layer: listeners for msrp and msrps (RFC 4975 s.6) and AUTH at the relay (RFC 4976 s.5),
// shared by chat sessions (this folder) and file transfer (../transfer).
import type { ParleyError } from '../base/errors';
import { MsrpTransport } from '../net/msrp/transport';
import { MsrpRelayClient } from '../net/msrp/relay';
import { fingerprintAttribute } from '../net/msrp/tls-cert';
import type { MsrpUri } from '../protocol/msrp/uri';
import type { RelayConfig } from './types';

export interface MsrpEndpointOptions {
  host: string;
  relay?: RelayConfig;
  /** The account: relay user defaults to its user part, the relay password to the SIP password. */
  aor: string;
  password: string;
  onRefreshFailed: (e: ParleyError) => void;
}

export interface MsrpRelayBinding {
  client: MsrpRelayClient;
  /** Whether the relay is msrps (then relayed sessions use the TLS transport). */
  secure: boolean;
  usePath: MsrpUri[];
}

/**
 * Listens on a plain and a TLS transport (filling `transports` and the TLS `fingerprints`), then AUTHs at the relay when
 * one is configured. On a failed AUTH the transports are closed and the error is rethrown.
 */
export async function openMsrpEndpoints(
  o: MsrpEndpointOptions,
  transports: Map<boolean, MsrpTransport>,
  fingerprints: Map<boolean, string>,
): Promise<MsrpRelayBinding | undefined> {
  const relayTls = o.relay ? /^msrps:/i.test(o.relay.uri) : false;
  for (const secure of [false, true]) {
    const ca = secure && relayTls ? o.relay?.ca : undefined;
    const t = new MsrpTransport({ host: o.host, tls: secure ? (ca ? { ca } : true) : false });
    await t.listen();
    transports.set(secure, t);
    if (secure) fingerprints.set(true, fingerprintAttribute((await t.certificate()).cert));
  }
  if (!o.relay) return undefined;
  const r = o.relay;
  const client = new MsrpRelayClient(transports.get(relayTls)!, {
    relayUri: r.uri,
    username: r.username ?? /^sips?:([^@]+)@/i.exec(o.aor)?.[1] ?? '',
    password: r.password ?? o.password,
    onRefreshFailed: o.onRefreshFailed,
  });
  try {
    return { client, secure: relayTls, usePath: (await client.authenticate()).usePath };
  } catch (e) {
    client.close();
    await Promise.all([...transports.values()].map((t) => t.close()));
    transports.clear();
    throw e;
  }
}
