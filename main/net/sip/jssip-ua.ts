// RFC 3261 s.8.2 UAS request processing taken over from JsSIP for MESSAGE and INVITE (JsSIP auto-answers 200 to MESSAGE and
// needs WebRTC globals for INVITE, which crash under Node). Everything else stays with JsSIP's UA.receiveRequest.
import { createRequire } from 'node:module';
import type { UA as JsSipUAType, UAConfiguration } from 'jssip/lib/UA';
import type { JsSipIncomingRequest } from './incoming';

const require = createRequire(import.meta.url);
// JsSIP is CommonJS; requiring it (and its internals) through one loader guarantees a single module instance.
const JsSIP = require('jssip') as { UA: new (c: UAConfiguration) => JsSipUAType; version: string };
const Transactions = require('jssip/lib/Transactions') as {
  checkTransaction(ua: unknown, request: unknown): boolean;
  NonInviteServerTransaction: new (ua: unknown, transport: unknown, request: unknown) => unknown;
  InviteServerTransaction: new (ua: unknown, transport: unknown, request: unknown) => unknown;
};

export const JSSIP_VERSION = JsSIP.version;

/** Hooks the Parley UA installs; each receives a request whose server transaction already exists. */
export interface RequestHooks {
  /** Out-of-dialog MESSAGE. */
  message?: (req: JsSipIncomingRequest) => void;
  /** Initial INVITE (no To tag). */
  invite: (req: JsSipIncomingRequest) => void;
  /** False to leave initial INVITEs to JsSIP's RTCSession (only when a session layer provides the WebRTC globals). */
  takeInvites: () => boolean;
  /** A handler threw: answer 500 if still possible, and report. */
  error: (e: unknown, req: JsSipIncomingRequest) => void;
}

interface UAInternals {
  _configuration: { uri: { user: string | null } };
  _contact: { uri: { user: string | null } };
  _transport: unknown;
}

export type ParleyJsSipUA = JsSipUAType & { parleyHooks: RequestHooks };

export function createJsSipUA(config: UAConfiguration, hooks: RequestHooks): ParleyJsSipUA {
  const Base = JsSIP.UA as unknown as new (c: UAConfiguration) => JsSipUAType & { receiveRequest(r: unknown): void };
  class ParleyUA extends Base {
    parleyHooks: RequestHooks = hooks;

    override receiveRequest(request: unknown): void {
      const req = request as JsSipIncomingRequest;
      const takeMessage = req.method === 'MESSAGE' && !req.to_tag && this.parleyHooks.message;
      const takeInvite = req.method === 'INVITE' && !req.to_tag && this.parleyHooks.takeInvites();
      if (!takeMessage && !takeInvite) {
        try {
          super.receiveRequest(request);
        } catch (e) {
          this.parleyHooks.error(e, req);
        }
        return;
      }
      const self = this as unknown as UAInternals;
      // The same preamble as JsSIP's UA.receiveRequest (lib/UA.js): Request-URI check, SIPS, retransmissions.
      if (req.ruri.user !== self._configuration.uri.user && req.ruri.user !== self._contact.uri.user) {
        (req as unknown as { reply_sl(c: number): void }).reply_sl(404);
        return;
      }
      if (req.ruri.scheme === 'sips') {
        (req as unknown as { reply_sl(c: number): void }).reply_sl(416);
        return;
      }
      if (Transactions.checkTransaction(this, req)) return;
      try {
        if (takeInvite) {
          new Transactions.InviteServerTransaction(this, self._transport, req);
          this.parleyHooks.invite(req);
        } else {
          new Transactions.NonInviteServerTransaction(this, self._transport, req);
          this.parleyHooks.message!(req);
        }
      } catch (e) {
        this.parleyHooks.error(e, req);
      }
    }
  }
  return new ParleyUA(config) as unknown as ParleyJsSipUA;
}
