// The security.* channels of the UE and the security facts of conversation views: first hop (TLS), end-to-end state
// under the account policy, peer key state, safety numbers (docs/security.md), PSK passphrases.
import type { Req, Res, SecurityView } from '../../app/ipc/contract';
import { ParleyError } from '../base/errors';
import { encodeQrPayload, safetyNumberDigits, verifySafetyNumber } from '../security/safety-number';
import { derivePsk } from '../security/psk';
import type { Conversation } from '../store';
import type { Account } from './account';
import { hopFacts } from './connection';
import type { KeyProtection } from './profile';
import { securityView, type ConversationSecurity, type HopFacts } from './views';

export const E2E_SCHEME = 'parley-e2e-v1';

export interface SecurityDeps {
  /** The signed-in account (throws ACCOUNT_NOT_CONFIGURED otherwise). */
  need(): Account;
  account(): Account | null;
  conv(id: string): Conversation;
  protection: KeyProtection;
  /** A conversation's security changed: tell the listeners (security.changed + conversation.upserted). */
  changed(c: Conversation): void;
  acceptKeyChange(c: Conversation): Promise<void>;
}

export class SecurityChannels {
  constructor(private readonly d: SecurityDeps) {}

  async status(req: Req<'security.status'>): Promise<SecurityView> {
    return this.view(this.d.conv(req.conversationId));
  }

  async safetyNumber(req: Req<'security.safetyNumber'>): Promise<Res<'security.safetyNumber'>> {
    const { own, peer } = this.#parties(this.d.conv(req.conversationId));
    return { digits: safetyNumberDigits(own, peer), qrPayload: encodeQrPayload(own, peer) };
  }

  async verify(req: Req<'security.verify'>): Promise<Res<'security.verify'>> {
    const s = this.d.need();
    const c = this.d.conv(req.conversationId);
    const { own, peer } = this.#parties(c);
    let verified = false;
    try {
      verified = verifySafetyNumber(req.digits, safetyNumberDigits(own, peer));
    } catch (e) {
      if (!(e instanceof ParleyError) || e.code !== 'SAFETY_BAD_FORMAT') throw e;
    }
    if (verified) await s.e2e.peers.markVerified(c.peer, peer.key);
    return { verified };
  }

  async acceptKeyChange(req: Req<'security.acceptKeyChange'>): Promise<null> {
    await this.d.acceptKeyChange(this.d.conv(req.conversationId));
    return null;
  }

  /** Pre-shared passphrase for a conversation (docs/security.md s.7): only the Argon2id-derived key is kept, in the key store. */
  async setPsk(req: Req<'security.setPsk'>): Promise<SecurityView> {
    const s = this.d.need();
    const c = this.d.conv(req.conversationId);
    if (req.passphrase === null) await s.ks.deletePsk(c.peer);
    else await s.ks.setPsk(c.peer, await derivePsk(req.passphrase, s.aor, c.peer));
    const fresh = s.store.getConversation(c.id);
    this.d.changed(fresh);
    return this.view(fresh);
  }

  hop(): HopFacts {
    const s = this.d.account();
    return hopFacts(s?.account.proxy, s?.ua.connectionInfo);
  }

  /** The security facts of a conversation with `peer` under the account policy. */
  security(peer: string): ConversationSecurity {
    const s = this.d.need();
    const state = s.e2e.peers.state(peer);
    const psk = s.ks.getPsk(peer) !== undefined;
    const e2e = s.policy === 'off' || (s.policy === 'prefer' && !s.secure.hasKey(peer)) ? 'off' : psk ? 'psk' : 'on';
    return { tls: this.hop().tls, e2e, peer: state, sendBlocked: state === 'changed' && s.policy !== 'off' };
  }

  view(c: Conversation): SecurityView {
    const s = this.d.need();
    const info = s.e2e.peers.get(c.peer);
    const scheme = this.d.protection === 'key-file' ? `${E2E_SCHEME}; key store: dev key file (weak)` : E2E_SCHEME;
    return securityView(String(c.id), this.hop(), this.security(c.peer), {
      fingerprint: info.pendingFingerprint ?? info.fingerprint,
      scheme,
    });
  }

  #parties(c: Conversation) {
    const s = this.d.need();
    const me = s.ks.identity();
    const key = s.e2e.peers.pinnedKey(c.peer);
    if (!key) throw new ParleyError('SECURITY_PEER_KEY_UNKNOWN', "The contact's security key is not known yet: exchange a message first.");
    return { own: { aor: me.aor, key: me.publicKey }, peer: { aor: c.peer, key } };
  }
}
