// Session mode for the UE (RFC 4975 MSRP chat over INVITE, main/features/session/): one ChatSession per peer, opened on
// demand and reused while established; incoming sessions accepted unless the caller is barred (603).
import { type ParleyError } from '../../base/errors';
import { normalizeAoR } from '../../security/aor';
import type { ChatSession } from './chat-session';
import type { ChatSessionManager, IncomingChatSession } from './manager';
import type { ChatMessage, DeliveryNotification, TypingEvent } from './types';
import type { ChatTransport, DeliveryResult, OutgoingChat } from '../../ue/chat-transport';
import { IMDN_CONTENT_TYPE, serializeImdn } from '../../protocol/formats/imdn';

export interface SessionHooks {
  isBlocked(peer: string): boolean;
  message(peer: string, m: ChatMessage, session: ChatSession): void;
  typing(peer: string, t: TypingEvent): void;
  delivery(peer: string, d: DeliveryNotification): void;
  log(line: string): void;
}

export class SessionChatTransport implements ChatTransport {
  readonly mode = 'session' as const;
  readonly #open = new Map<string, ChatSession>();
  readonly #opening = new Map<string, Promise<ChatSession>>();

  constructor(
    private readonly mgr: ChatSessionManager,
    private readonly hooks: SessionHooks,
  ) {
    mgr.on('incoming', (inc) => this.#incoming(inc));
    mgr.on('error', (e) => hooks.log(`session: ${e.code} ${e.message}`));
  }

  /** An established session with `peer` exists (pickMode keeps using it). */
  hasOpen(peer: string): boolean {
    return this.#open.get(normalizeAoR(peer))?.state === 'established';
  }

  session(peer: string): ChatSession | undefined {
    const s = this.#open.get(normalizeAoR(peer));
    return s?.state === 'established' ? s : undefined;
  }

  async deliver(m: OutgoingChat): Promise<DeliveryResult> {
    const s = await this.#get(m.peer);
    const out = await s.send(m.text, { imdnMessageId: m.messageId, notifications: ['positive-delivery', 'display'] });
    if (out.status === 'delivered' || out.status === 'sent') return { status: 'sent', code: 200, reason: 'OK' };
    return { status: 'failed', code: out.code ?? 0, reason: out.reason ?? out.status, errorCode: out.errorCode ?? 'MSRP_SEND_FAILED' };
  }

  /** Hangs up every session (account sign-out / close). */
  closeAll(): void {
    for (const s of this.#open.values()) s.close();
    this.#open.clear();
  }

  async #get(peer: string): Promise<ChatSession> {
    const aor = normalizeAoR(peer);
    const cur = this.session(aor);
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

  /**
   * Workaround: a message that arrives on a session before its state turns 'established' gets its automatic delivery
   * IMDN dropped by ChatSession (write() refuses with SESSION_CLOSED "session is connecting"). Send it once ready; a
   * duplicate (if ChatSession is fixed) is harmless: delivery states only move forward.
   */
  #lateDeliveryImdn(s: ChatSession, m: ChatMessage): void {
    if (!m.imdnMessageId || !m.sentAt) return;
    const body = serializeImdn({ messageId: m.imdnMessageId, dateTime: m.sentAt.toISOString(), kind: 'delivery', status: 'delivered' });
    s.ready()
      .then(() => s.send({ contentType: IMDN_CONTENT_TYPE, body }, { notifications: [], successReport: false }))
      .catch((e) => this.hooks.log(`late delivery IMDN: ${(e as Error).message}`));
  }

  #adopt(peer: string, s: ChatSession): void {
    const prev = this.#open.get(peer);
    if (prev && prev !== s && prev.state === 'established') prev.close();
    this.#open.set(peer, s);
    // Messages received before the session was established are replayed by ChatSession right after 'established'
    // (one macrotask later); their automatic IMDN was attempted while connecting and dropped.
    let early = s.state === 'connecting';
    s.once('established', () => setImmediate(() => setImmediate(() => (early = false))));
    s.on('message', (m) => {
      this.hooks.message(peer, m, s);
      if (early || s.state === 'connecting') this.#lateDeliveryImdn(s, m);
    });
    s.on('typing', (t) => this.hooks.typing(peer, t));
    s.on('delivery', (d) => this.hooks.delivery(peer, d));
    s.on('error', (e) => this.hooks.log(`session with ${peer}: ${e.code} ${e.message}`));
    s.once('closed', () => {
      if (this.#open.get(peer) === s) this.#open.delete(peer);
    });
  }
}
