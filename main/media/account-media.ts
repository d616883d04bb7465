// The per-account media pieces: one MSRP endpoint and one INVITE router for a SipUserAgent. The composition root
// (main/ue/account.ts) makes them for the signed-in account; hosts that run features on a bare UA (CLI --plain, tests)
// make them here too.
import type { SipUserAgent } from '../net/sip/ua';
import type { SecurityBundle } from '../security/bundle';
import type { E2EPolicy } from './types';
import { MsrpEndpoint, type MsrpEndpointOptions } from './endpoint';
import { InviteRouter } from './invite-router';

export interface AccountMedia {
  ua: SipUserAgent;
  endpoint: MsrpEndpoint;
  router: InviteRouter;
  /** Removes the router's hook and closes the endpoint (the UA stays as it is). */
  close(): Promise<void>;
}

/** What a feature's engine on an account's media takes (ChatSessionManager, FileTransferManager). */
export interface MediaFeatureOptions {
  /** Started (registered) or not yet: INVITEs are handled once the engine's start() ran. */
  ua: SipUserAgent;
  /** The account's MSRP listeners and relay binding (opened by start()). */
  endpoint: MsrpEndpoint;
  /** The account's INVITE router: start() adds the engine's route. */
  router: InviteRouter;
  /** E2E identity and pins; without it only 'allow-plaintext' works. */
  security?: SecurityBundle;
  /** Default 'require': sessions and transfers without end-to-end protection are refused. */
  policy?: E2EPolicy;
  /** Offer msrps (TCP/TLS/MSRP, self-signed certificate + a=fingerprint) instead of msrp (a relay decides otherwise). */
  tls?: boolean;
}

/** One MSRP endpoint (relay and bind host as configured) and one INVITE router for `ua`. */
export function accountMedia(ua: SipUserAgent, o: Pick<MsrpEndpointOptions, 'relay' | 'host'> = {}): AccountMedia {
  const a = ua.account;
  const endpoint = new MsrpEndpoint({ aor: a.aor, password: a.password, ca: a.ca, caFile: a.caFile, ...o });
  const router = new InviteRouter(ua);
  return {
    ua,
    endpoint,
    router,
    async close() {
      router.close();
      await endpoint.close().catch(() => {});
    },
  };
}
