// Session mode for the UE (RFC 4975 MSRP chat over INVITE, main/features/session/): one ChatSession per peer, opened on
// demand and reused while established; incoming sessions accepted unless the caller is barred (603). What arrives on a
// session goes to the UE's messaging core (the ChatInbox).
import { type ParleyError } from '../../base/errors';
import type { DeliveryResult } from '../../base/delivery';
import { normalizeAoR } from '../../security/aor';
import type { ChannelTransport, ChatInbox, OutgoingChat } from '../feature';
import type { ChatSession } from './chat-session';
import type { ChatSessionManager, IncomingChatSession } from './manager';
import type { ChatMessage } from './types';

export interface SessionTransportHooks {
  isBlocked(peer: string): boolean;
  log(line: string): void;
}

export class SessionChatTransport implements ChannelTransport {
  readonly mode = 'session' as const;
  readonly #open = new Map<string, ChatSession>();
  readonly #opening = new Map<string, Promise<ChatSession>>();
  #inbox: ChatInbox | null = null;

  constructor(
    private readonly mgr: ChatSessionManager,
    private readonly hooks: SessionTransportHooks,
  ) {
    mgr.on('incoming', (inc) => this.#incoming(inc));
    mgr.on('error', (e) => hooks.log(`session: ${e.code} ${e.message}`));
  }

  setInbox(inbox: ChatInbox | null): void {
    this.#inbox = inbox;
  }

  hasOpen(peer: string): boolean {
    return this.#established(peer) !== undefined;
  }

  async sendTyping(peer: string, state: 'active' | 'idle'): Promise<boolean> {
    const s = this.#established(peer);
    if (!s) return false;
    await s.sendTyping(state);
    return true;
  }

  /** The CPIM document as built by the messaging core, in the peer's session (opened first when needed). */
  async deliver(m: OutgoingChat): Promise<DeliveryResult> {
    const s = await this.#get(m.peer);
    return s.sendCpim(m.cpim, m.messageId);
  }

  /** Hangs up every session (account sign-out / close). */
  closeAll(): void {
    for (const s of this.#open.values()) s.close();
    this.#open.clear();
  }

  #established(peer: string): ChatSession | undefined {
    const s = this.#open.get(normalizeAoR(peer));
    return s?.state === 'established' ? s : undefined;
  }

  async #get(peer: string): Promise<ChatSession> {
    const aor = normalizeAoR(peer);
    const cur = this.#established(aor);
    if (cur) return cur;
    let p = this.#opening.get(aor);
    if (!p) {
      p = this.mgr.open(aor).then((s) => {
        if (this.#open.get(aor) !== s) this.#adopt(aor, s);
        return s;
      });
      this.#opening.set(aor, p);
      p.finally(() => this.#opening.delete(aor)).catch(() => {});
    }
    return p;
  }

  #incoming(inc: IncomingChatSession): void {
    let peer: string;
    try {
      peer = normalizeAoR(inc.from);
    } catch {
      inc.decline(400, 'Bad From');
      return;
    }
    if (this.hooks.isBlocked(peer)) {
      inc.decline(603, 'Decline');
      return;
    }
    // Listen before accepting: the first message can arrive in the same turn the session becomes ready.
    this.#adopt(peer, inc.session);
    inc.accept().catch((e) => this.hooks.log(`incoming session from ${peer}: ${(e as ParleyError).message}`));
  }

  #adopt(peer: string, s: ChatSession): void {
    const prev = this.#open.get(peer);
    if (prev && prev !== s && prev.state === 'established') prev.close();
    this.#open.set(peer, s);
    s.on('message', (m) => this.#inbox?.message(inbound(peer, m, s)));
    s.on('typing', (t) => this.#inbox?.composing(peer, t.state));
    s.on('delivery', (d) => this.#inbox?.disposition(peer, d.imdnMessageId, d.kind, d.status));
    s.on('error', (e) => this.hooks.log(`session with ${peer}: ${e.code} ${e.message}`));
    s.once('closed', () => {
      if (this.#open.get(peer) === s) this.#open.delete(peer);
    });
  }
}

function inbound(peer: string, m: ChatMessage, s: ChatSession): Parameters<ChatInbox['message']>[0] {
  const info = s.info;
  return {
    peer,
    fromDisplayName: m.fromDisplayName,
    contentType: m.contentType,
    body: m.body,
    text: m.text,
    imdnMessageId: m.imdnMessageId,
    sentAt: m.sentAt,
    receivedAt: m.receivedAt,
    protected: m.protected,
    verified: m.protected && info.peerKeyState !== 'changed',
    tls: info.transport === 'msrps',
  };
}
