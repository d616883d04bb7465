// The MSRP endpoint of one account: listeners for msrp and msrps (RFC 4975 s.6) and AUTH at the relay (RFC 4976 s.5).
// One per account, created by the composition root (main/ue/) and shared by every feature that opens MSRP sessions
// (chat sessions, file transfer, conferences); whoever creates it closes it.
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { ParleyError } from '../base/errors';
import { MsrpTransport } from '../net/msrp/transport';
import { MsrpRelayClient } from '../net/msrp/relay';
import { fingerprintAttribute } from '../net/msrp/tls-cert';
import type { MsrpUri } from '../protocol/msrp/uri';
import type { RelayConfig } from './types';

export interface MsrpEndpointOptions {
  /** The account: the relay user defaults to its user part, the relay password to the SIP password. */
  aor: string;
  password: string;
  /** Bind/advertise host of the listeners (default 127.0.0.1). */
  host?: string;
  /** Use an RFC 4976 relay for every session of the relay's scheme. */
  relay?: RelayConfig;
  /**
   * The account's CA (SipAccount.ca, or caFile), trusted beside the public roots for msrps hops that come without an
   * a=fingerprint, i.e. a peer's relay (relays are checked against their certificate chain, RFC 4976). A relay config's
   * own `ca` wins.
   */
  ca?: string;
  caFile?: string;
}

interface RelayBinding {
  client: MsrpRelayClient;
  /** Whether the relay is msrps (then relayed sessions use the TLS transport). */
  secure: boolean;
  usePath: MsrpUri[];
}

export class MsrpEndpoint extends EventEmitter<{ error: [ParleyError] }> {
  readonly #transports = new Map<boolean, MsrpTransport>();
  readonly #fingerprints = new Map<boolean, string>();
  #relay: RelayBinding | undefined;
  #opening: Promise<void> | undefined;

  constructor(private readonly opts: MsrpEndpointOptions) {
    super();
  }

  /** A relay is configured: sessions of its scheme go through it. */
  get relayed(): boolean {
    return !!this.opts.relay;
  }

  /** The relay's scheme is msrps. */
  get relaySecure(): boolean {
    return this.opts.relay ? /^msrps:/i.test(this.opts.relay.uri) : false;
  }

  /**
   * Listens on a plain and a TLS transport, then AUTHs at the relay when one is configured. Idempotent (callers share
   * one attempt); after a failure everything opened is closed again and the next call tries anew.
   */
  open(): Promise<void> {
    this.#opening ??= this.#open().catch(async (e: unknown) => {
      this.#opening = undefined;
      await this.#closeAll();
      throw e;
    });
    return this.#opening;
  }

  /** Transport for msrp (secure false) or msrps (true); undefined before open(). */
  transport(secure: boolean): MsrpTransport | undefined {
    return this.#transports.get(secure);
  }

  /** Our a=fingerprint value ("sha-256 AB:..") for direct msrps. */
  fingerprint(secure: boolean): string | undefined {
    return this.#fingerprints.get(secure);
  }

  /** Use-Path of our relay when one serves this scheme (a fresh copy). */
  relayPath(secure: boolean): MsrpUri[] | undefined {
    const r = this.#relay;
    return r && secure === r.secure ? r.usePath.map((u) => ({ ...u, params: [...u.params] })) : undefined;
  }

  /** Scheme of our offers: the relay's when one is configured, else msrps when the feature asks for TLS. */
  offerSecure(tls: boolean): boolean {
    return this.relayed ? this.relaySecure : tls;
  }

  /** Drops the relay binding and the listeners (their connections, hence every MSRP session on them). */
  async close(): Promise<void> {
    const opening = this.#opening;
    this.#opening = undefined;
    await opening?.catch(() => {});
    await this.#closeAll();
  }

  async #open(): Promise<void> {
    const o = this.opts;
    const relayTls = this.relaySecure;
    for (const secure of [false, true]) {
      // the account's CA is added to the public roots (a peer's relay may be anywhere), a relay CA is the only anchor for it
      const own = secure ? accountCa(o) : undefined;
      const ca = secure ? ((relayTls ? o.relay?.ca : undefined) ?? (own ? [...rootCertificates, own] : undefined)) : undefined;
      const t = new MsrpTransport({ host: o.host ?? '127.0.0.1', tls: secure ? (ca ? { ca } : true) : false });
      this.#transports.set(secure, t);
      await t.listen();
      if (secure) this.#fingerprints.set(true, fingerprintAttribute((await t.certificate()).cert));
    }
    if (!o.relay) return;
    const r = o.relay;
    const client = new MsrpRelayClient(this.#transports.get(relayTls)!, {
      relayUri: r.uri,
      username: r.username ?? /^sips?:([^@]+)@/i.exec(o.aor)?.[1] ?? '',
      password: r.password ?? o.password,
      onRefreshFailed: (e) => this.#report(e),
    });
    try {
      this.#relay = { client, secure: relayTls, usePath: (await client.authenticate()).usePath };
    } catch (e) {
      client.close();
      throw e;
    }
  }

  async #closeAll(): Promise<void> {
    this.#relay?.client.close();
    this.#relay = undefined;
    const all = [...this.#transports.values()];
    this.#transports.clear();
    this.#fingerprints.clear();
    await Promise.all(all.map((t) => t.close()));
  }

  #report(e: ParleyError): void {
    if (this.listenerCount('error') > 0) this.emit('error', e);
  }
}

function accountCa(o: MsrpEndpointOptions): string | undefined {
  if (o.ca || !o.caFile) return o.ca;
  try {
    return readFileSync(o.caFile, 'utf8');
  } catch (e) {
    throw new ParleyError(
      'MSRP_CA_UNREADABLE',
      `cannot read CA file ${o.caFile}: ${(e as Error).message}`,
      { file: o.caFile },
      { cause: e },
    );
  }
}
