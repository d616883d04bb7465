// The UE's messaging core for one account: the outgoing state machine (queued -> sending -> stored/sent -> delivered
// -> displayed | failed) with key discovery, CPIM built once per message and handed to the chosen chat transport (page
// mode or the session feature's), IMDN/is-composing out (RFC 5438, RFC 3994); what arrives goes through the Inbox.
import { ParleyError } from '../base/errors';
import type { DeliveryResult } from '../base/delivery';
import { buildChatCpim, serializeCpim, type CpimMessage } from '../protocol/formats/cpim';
import { buildImdnCpim, newImdnMessageId } from '../protocol/formats/imdn';
import { ISCOMPOSING_CONTENT_TYPE, serializeIsComposing, type IsComposing } from '../protocol/formats/is-composing';
import type { Conversation, StoredMessage } from '../store';
import type { ChannelTransport, ChatTransport } from '../features/feature';
import { PageChatTransport } from '../features/page/chat-transport';
import { pickMode } from '../features/session/mode-policy';
import type { Account } from './account';
import { findConversation, Inbox, type MessagingEvents, type MessagingStats } from './inbox';
import { TypingManager, type UeClock } from './typing';
import { failureReason } from './views';

export type { MessagingEvents, MessagingStats };

/** Chat messages on the wire at once per account; the rest wait 'queued' (a burst must not starve incoming answers). */
export const MAX_SENDS_IN_FLIGHT = 8;

export class Messenger {
  readonly typing: TypingManager;
  readonly inbox: Inbox;
  readonly page: ChatTransport;
  /** Session mode (null when the session feature does not run). */
  session: ChannelTransport | null = null;
  readonly #outbox = new Map<string, Set<number>>();
  readonly #inflight = new Set<number>();
  #sending = 0;
  readonly #sendWaiters: (() => void)[] = [];

  constructor(
    private readonly s: Account,
    private readonly ev: MessagingEvents,
    private readonly clock: UeClock,
  ) {
    this.page = new PageChatTransport(s.secure);
    this.typing = new TypingManager(clock, {
      send: (cid, doc) => void this.#sendTyping(Number(cid), doc).catch((e) => ev.log(`typing: ${(e as Error).message}`)),
      changed: (cid, active, at) => ev.typing(Number(cid), this.s.store.getConversation(Number(cid)).peer, active, at),
    });
    this.inbox = new Inbox(s, ev, this.typing, clock, (peer, cpim, trigger) => this.#sendControl(peer, cpim, trigger));
    s.secure.on('keyReady', (peer) => this.#flush(peer));
    s.secure.on('keyFailed', (peer, out) => this.#guard('key request', () => this.#keyFailed(peer, out.code, out.reason)));
    s.secure.on('log', (l) => ev.log(l));
  }

  get stats(): MessagingStats {
    return this.inbox.stats;
  }

  load(): Promise<void> {
    return this.inbox.load();
  }

  /** Session mode through the session feature's transport (null: mode 'session' answers SESSION_UNAVAILABLE). */
  useSessions(t: ChannelTransport | null): void {
    this.session?.setInbox(null);
    this.session = t;
    t?.setInbox(this.inbox);
  }

  close(): void {
    this.useSessions(null);
    this.typing.close();
    this.inbox.close();
  }

  /** The conversation of this account with `peer`, without creating it. */
  findConversation(peer: string): Conversation | null {
    return findConversation(this.s, peer);
  }

  /** Resolves when pending side-file writes are done (close, tests). */
  flushWrites(): Promise<void> {
    return this.inbox.flushWrites();
  }

  /** Whether messages to `peer` are sealed under the account policy (and the key we hold). */
  protects(peer: string): boolean {
    if (this.s.policy === 'off') return false;
    if (this.s.policy === 'prefer') return this.s.secure.hasKey(peer);
    return true;
  }

  /** Transport for one message: the user's choice, else pickMode (open session / size, RFC 3428 s.7). */
  transportFor(peer: string, text: string, mode: 'auto' | 'page' | 'session' | undefined): ChatTransport {
    const override = mode === 'page' || mode === 'session' ? mode : null;
    const picked = pickMode({
      openSession: this.session?.hasOpen(peer) ?? false,
      payloadBytes: Buffer.byteLength(text),
      userOverride: override,
    });
    if (picked === 'page') return this.page;
    if (this.session) return this.session;
    if (mode === 'session') throw sessionUnavailable();
    return this.page;
  }

  /** messages.send: store as queued, then drive it (key discovery first when the peer's key is unknown). */
  send(conv: Conversation, text: string, mode?: 'auto' | 'page' | 'session'): StoredMessage {
    const transport = this.transportFor(conv.peer, text, mode);
    if (conv.blocked) throw new ParleyError('CONTACT_BLOCKED', 'This contact is blocked: unblock it to send.');
    const protect = this.protects(conv.peer);
    if (protect && this.s.e2e.peers.state(conv.peer) === 'changed') {
      throw new ParleyError('PEER_KEY_CHANGED', "The contact's security key changed: review and accept it before sending.");
    }
    if (this.s.policy === 'prefer' && !protect && transport.mode === 'page') void this.s.secure.requestKey(conv.peer).catch(() => {});
    const psk = this.s.ks.getPsk(conv.peer) !== undefined;
    const m = this.s.store.addMessage({
      conversationId: conv.id,
      direction: 'out',
      senderAor: this.s.aor,
      mode: transport.mode,
      contentType: 'text/plain;charset=utf-8',
      body: text,
      imdnMessageId: newImdnMessageId(),
      state: 'queued',
      security: { e2e: protect ? (psk ? 'psk' : 'on') : 'off', tls: this.s.ua.connectionInfo?.tls != null },
    });
    this.ev.message(m);
    this.ev.conversation(conv.id);
    this.typing.messageSent(String(conv.id));
    void this.#drive(m.id, transport);
    return m;
  }

  /** Re-drives outgoing messages left queued/sending (restart, reconnection). */
  recover(): void {
    for (const c of this.s.store.listConversations(this.s.aor)) {
      for (const m of this.s.store.listMessages(c.id, { limit: 200 }).messages) {
        if (m.direction === 'out' && m.system === null && (m.state === 'queued' || m.state === 'sending')) {
          void this.#drive(m.id, m.mode === 'session' && this.session ? this.session : this.page);
        }
      }
    }
  }

  async markRead(conversationId: number): Promise<void> {
    const receipts = this.s.store.markRead(conversationId);
    for (const r of receipts) this.ev.message(this.s.store.getMessage(r.id));
    this.ev.conversation(conversationId);
    const conv = this.s.store.getConversation(conversationId);
    for (const r of receipts) {
      const req = this.inbox.takeDisplayRequest(r.id);
      if (!req) continue;
      const m = this.s.store.getMessage(r.id);
      const imdn = buildImdnCpim({
        from: this.s.aor,
        to: req.from,
        notification: { messageId: req.id, dateTime: req.dt, kind: 'display', status: 'displayed' },
      });
      await this.#sendControl(conv.peer, imdn, m.security.e2e !== 'off').catch((e) => this.ev.log(`display IMDN: ${(e as Error).message}`));
    }
    if (receipts.length) this.inbox.saveDisplay();
  }

  async acceptKeyChange(conv: Conversation): Promise<void> {
    await this.s.e2e.peers.acceptChangedKey(conv.peer);
    this.#flush(conv.peer);
  }

  // ---- outgoing

  async #drive(id: number, transport: ChatTransport): Promise<void> {
    if (this.#inflight.has(id)) return;
    this.#inflight.add(id);
    try {
      const m = this.s.store.getMessage(id);
      if (m.state !== 'queued' && m.state !== 'sending') return;
      const conv = this.s.store.getConversation(m.conversationId);
      const protect = m.security.e2e !== 'off';
      const changed = protect && this.s.e2e.peers.state(conv.peer) === 'changed';
      if (changed || (protect && transport.mode === 'page' && !this.s.secure.hasKey(conv.peer))) {
        this.#queue(conv.peer, id);
        if (this.s.e2e.peers.state(conv.peer) !== 'changed') await this.s.secure.requestKey(conv.peer);
        return;
      }
      this.#outbox.get(conv.peer)?.delete(id);
      await this.#acquireSendSlot();
      try {
        await this.#transmit(id, m, conv, transport, protect);
      } finally {
        this.#releaseSendSlot();
      }
    } catch (e) {
      this.ev.log(`send ${id}: ${(e as Error).message}`);
    } finally {
      this.#inflight.delete(id);
    }
  }

  async #acquireSendSlot(): Promise<void> {
    while (this.#sending >= MAX_SENDS_IN_FLIGHT) await new Promise<void>((r) => this.#sendWaiters.push(r));
    this.#sending++;
  }

  #releaseSendSlot(): void {
    this.#sending--;
    this.#sendWaiters.shift()?.();
  }

  async #transmit(id: number, m: StoredMessage, conv: Conversation, transport: ChatTransport, protect: boolean): Promise<void> {
    this.#update(id, 'sending');
    const dateTime = m.createdAt;
    const cpim = serializeCpim(
      buildChatCpim({
        from: this.s.account.displayName ? { name: this.s.account.displayName, uri: this.s.aor } : this.s.aor,
        to: [conv.peer],
        text: typeof m.body === 'string' ? m.body : '',
        messageId: m.imdnMessageId!,
        dateTime: new Date(dateTime).toISOString(),
        notifications: ['positive-delivery', 'display'],
      }),
    );
    let res: DeliveryResult;
    try {
      res = await transport.deliver({ peer: conv.peer, messageId: m.imdnMessageId!, dateTime, cpim, protect });
    } catch (e) {
      const err = e instanceof ParleyError ? e : new ParleyError('UE_SEND_FAILED', String(e));
      res = { status: 'failed', code: 0, reason: err.message, errorCode: err.code };
    }
    if (res.status === 'stored' || res.status === 'sent' || res.status === 'delivered') this.#update(id, res.status);
    else {
      const code = res.errorCode ?? 'UE_SEND_FAILED';
      const reason = res.reason ?? res.status;
      const typed = code === 'SIP_FAILURE' ? reason : failureReason(code, `${res.code ? `${res.code} ` : ''}${reason}`);
      this.#update(id, 'failed', { failureCode: res.code ?? 0, failureReason: typed });
    }
  }

  #queue(peer: string, id: number): void {
    let set = this.#outbox.get(peer);
    if (!set) this.#outbox.set(peer, (set = new Set()));
    set.add(id);
  }

  #flush(peer: string): void {
    const ids = [...(this.#outbox.get(peer) ?? [])];
    this.#outbox.delete(peer);
    for (const id of ids) {
      const m = this.s.store.getMessage(id);
      void this.#drive(id, m.mode === 'session' && this.session ? this.session : this.page);
    }
  }

  #keyFailed(peer: string, code: number, reason: string): void {
    const ids = [...(this.#outbox.get(peer) ?? [])];
    this.#outbox.delete(peer);
    for (const id of ids) this.#update(id, 'failed', { failureCode: code, failureReason: `${reason} (key request)` });
  }

  #update(id: number, state: StoredMessage['state'], upd: { failureCode?: number; failureReason?: string } = {}): void {
    const r = this.s.store.updateState(id, state, upd);
    if (r.changed) this.ev.message(r.message);
  }

  /** IMDNs and is-composing: sealed when we hold the peer's key; in clear only when the trigger was in clear. */
  async #sendControl(peer: string, cpim: CpimMessage, triggerProtected: boolean): Promise<void> {
    const canSeal = this.s.policy !== 'off' && this.s.secure.hasKey(peer) && this.s.e2e.peers.state(peer) !== 'changed';
    const bytes = serializeCpim(cpim);
    let out;
    if (canSeal) {
      const id = cpim.headers.find((h) => h.name === 'imdn.Message-ID')!.value;
      out = await this.s.secure.sendSealed(peer, id, Date.parse(cpim.dateTime!), bytes);
    } else if (!triggerProtected) out = await this.s.secure.sendPlain(peer, bytes);
    if (out?.status === 'failed') this.ev.log(`${cpim.contentType} to ${peer} failed: ${out.code} ${out.reason}`);
  }

  async #sendTyping(conversationId: number, doc: IsComposing): Promise<void> {
    const peer = this.s.store.getConversation(conversationId).peer;
    if (await this.session?.sendTyping(peer, doc.state)) return;
    const cpim = buildChatCpim({
      from: this.s.aor,
      to: [peer],
      messageId: newImdnMessageId(),
      dateTime: new Date(this.clock.now()).toISOString(),
      content: { contentType: ISCOMPOSING_CONTENT_TYPE, body: serializeIsComposing(doc) },
    });
    await this.#sendControl(peer, cpim, this.s.policy === 'require');
  }

  #guard(what: string, fn: () => unknown): void {
    Promise.resolve()
      .then(fn)
      .catch((e) => this.ev.log(`${what}: ${(e as Error).message}`));
  }
}

export function sessionUnavailable(): ParleyError {
  return new ParleyError('SESSION_UNAVAILABLE', 'Session mode (MSRP) is not available in this build yet; send in page mode.');
}
