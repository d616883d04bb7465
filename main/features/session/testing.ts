// Test helpers for chat-session lab tests: registered UAs with a ChatSessionManager, in-memory identities and pins.
import { type EventEmitter } from 'node:events';
import { SipUserAgent } from '../../net/sip/ua';
import { accountFor, nextEvent, type LabLike, type ProxyKind } from '../../net/sip/testing';
import { ephemeralSecurity, type SecurityBundle } from '../../security/bundle';
import { ChatSessionManager, type ChatManagerOptions } from './manager';

export { nextEvent };

export interface Party {
  ua: SipUserAgent;
  mgr: ChatSessionManager;
  aor: string;
}

/** Tracks what a test file started so after() can stop it all. */
export class PartyPool {
  private readonly parties: Party[] = [];
  /** opts.security: omitted -> a fresh in-memory identity; null -> no E2E at all (a plaintext-only client). */
  async create(
    lab: LabLike,
    user: string,
    opts: Omit<ChatManagerOptions, 'ua' | 'security'> & { proxy?: ProxyKind; security?: SecurityBundle | null } = {},
  ): Promise<Party> {
    const ua = new SipUserAgent(accountFor(lab, user, opts.proxy ?? 'tcp'));
    ua.on('error', () => {});
    const aor = lab.aor(user);
    const security = opts.security === null ? undefined : (opts.security ?? (await ephemeralSecurity(aor)));
    const mgr = new ChatSessionManager({ ...opts, ua, security });
    mgr.on('error', () => {});
    const p = { ua, mgr, aor };
    this.parties.push(p);
    await ua.start();
    await mgr.start();
    return p;
  }
  async stop(p: Party): Promise<void> {
    const i = this.parties.indexOf(p);
    if (i >= 0) this.parties.splice(i, 1);
    await p.mgr.stop().catch(() => {});
    await p.ua.stop().catch(() => {});
  }
  async stopAll(): Promise<void> {
    await Promise.all(
      this.parties.splice(0).map(async (p) => {
        await p.mgr.stop().catch(() => {});
        await p.ua.stop().catch(() => {});
      }),
    );
  }
}

/** Accept the next incoming session on `p` (bounded wait). */
export async function acceptNext(p: Party): Promise<import('./chat-session').ChatSession> {
  const inc = await nextEvent<import('./manager').IncomingChatSession>(p.mgr as unknown as EventEmitter, 'incoming');
  return inc.accept();
}

export function pattern(n: number, seed = 7): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 131 + seed) & 0xff;
  return b;
}
