// Test helpers for chat-session lab tests: registered UAs with a ChatSessionManager, in-memory identities and pins.
import { type EventEmitter } from 'node:events';
import { SipUserAgent } from '../../net/sip/ua';
import { accountFor, nextEvent, type LabLike, type ProxyKind } from '../../net/sip/testing';
import { ephemeralSecurity, type SecurityBundle } from '../../security/bundle';
import { ChatSessionManager, type ChatManagerOptions } from './manager';
import type { MsrpEndpoint, MsrpEndpointOptions } from '../../media/endpoint';
import type { InviteRouter } from '../../media/invite-router';
import { accountMedia, type AccountMedia } from '../../media/account-media';

export { nextEvent };

export interface Party {
  ua: SipUserAgent;
  mgr: ChatSessionManager;
  endpoint: MsrpEndpoint;
  router: InviteRouter;
  media: AccountMedia;
  aor: string;
}

type PartyOptions = Omit<ChatManagerOptions, 'ua' | 'security' | 'endpoint' | 'router'> &
  Pick<MsrpEndpointOptions, 'relay' | 'host'> & { proxy?: ProxyKind; security?: SecurityBundle | null };

/** Tracks what a test file started so after() can stop it all. */
export class PartyPool {
  private readonly parties: Party[] = [];
  /** opts.security: omitted -> a fresh in-memory identity; null -> no E2E at all (a plaintext-only client). */
  async create(lab: LabLike, user: string, opts: PartyOptions = {}): Promise<Party> {
    const { relay, host, proxy, ...mgrOpts } = opts;
    const ua = new SipUserAgent(accountFor(lab, user, proxy ?? 'tcp'));
    ua.on('error', () => {});
    const aor = lab.aor(user);
    const security = opts.security === null ? undefined : (opts.security ?? (await ephemeralSecurity(aor)));
    const media = accountMedia(ua, { relay, host });
    const { endpoint, router } = media;
    const mgr = new ChatSessionManager({ ...mgrOpts, ua, endpoint, router, security });
    mgr.on('error', () => {});
    const p = { ua, mgr, endpoint, router, media, aor };
    this.parties.push(p);
    await ua.start();
    await mgr.start();
    return p;
  }
  async stop(p: Party): Promise<void> {
    const i = this.parties.indexOf(p);
    if (i >= 0) this.parties.splice(i, 1);
    await stopParty(p);
  }
  async stopAll(): Promise<void> {
    await Promise.all(this.parties.splice(0).map(stopParty));
  }
}

async function stopParty(p: Party): Promise<void> {
  await p.mgr.stop().catch(() => {});
  await p.media.close();
  await p.ua.stop().catch(() => {});
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
