// The UE's messaging core for one account: outgoing state machine (queued -> sending -> stored/sent -> delivered ->
// displayed | failed) with key discovery, incoming chat/IMDN (RFC 5438)/is-composing (RFC 3994), history, events.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ParleyError } from '../base/errors';
import { writeFileAtomic } from '../security/atomic-file';
import { buildChatCpim, createCpim, IMDN_NS_URI, requestedNotifications, serializeCpim, type CpimMessage } from '../protocol/formats/cpim';
import { buildImdnCpim, buildImdnReply, IMDN_CONTENT_TYPE, newImdnMessageId, parseImdn } from '../protocol/formats/imdn';
import { ISCOMPOSING_CONTENT_TYPE, parseIsComposing, serializeIsComposing, type IsComposing } from '../protocol/formats/is-composing';
import type { Conversation, StoredMessage } from '../store';
import { isTextualType, mediaType } from '../protocol/sip/message-body';
import type { AccountSession } from './account';
import { TypingManager, type UeClock } from './typing';
import { PageChatTransport, sessionUnavailable, type ChatTransport, type DeliveryResult } from './chat-transport';
import { SessionChatTransport } from '../features/session/facade';
import { pickMode } from '../features/session/mode-policy';
import type { ChatMessage } from '../features/session/types';
import { failureReason } from './views';
import type { InboundFailure, InboundItem } from '../features/page/secure-page';

export const DISPLAY_FILE = 'imdn-display.json';
/** Bound on remembered "display notification requested" entries (oldest dropped). */
export const MAX_DISPLAY_REQUESTS = 5000;
/** Chat messages on the wire at once per account; the rest wait 'queued' (a burst must not starve incoming answers). */
export const MAX_SENDS_IN_FLIGHT = 8;
const enc = new TextEncoder();
const dec = new TextDecoder();

export interface MessagingEvents {
  message(m: StoredMessage): void;
  conversation(id: number): void;
  security(id: number): void;
  typing(conversationId: number, peer: string, active: boolean, at: number): void;
  log(line: string): void;
}

export interface MessagingStats {
  replaysRejected: number;
  duplicatesIgnored: number;
  failuresStored: number;
  imdnSent: number;
  imdnReceived: number;
}

type DisplayRequest = { id: string; dt: string; from: string };

export class Messenger {
  readonly typing: TypingManager;
  readonly stats: MessagingStats = { replaysRejected: 0, duplicatesIgnored: 0, failuresStored: 0, imdnSent: 0, imdnReceived: 0 };
  readonly page: ChatTransport;
  /** Session mode (null when the session layer is unavailable). */
  readonly session: SessionChatTransport | null;
  readonly #outbox = new Map<string, Set<number>>();
  readonly #inflight = new Set<number>();
  #sending = 0;
  readonly #sendWaiters: (() => void)[] = [];
  #display: Record<string, DisplayRequest> = {};
  #displayWrites: Promise<void> = Promise.resolve();
  #unsubscribe: () => void;

  constructor(
    private readonly s: AccountSession,
    private readonly ev: MessagingEvents,
    private readonly clock: UeClock,
  ) {
    this.page = new PageChatTransport(s.secure);
    this.session = s.sessions
      ? new SessionChatTransport(s.sessions, {
          isBlocked: (peer) => s.store.contacts.isBlocked(s.aor, peer),
          message: (peer, m, sess) =>
            this.#guard('session message', () => this.#onSessionMessage(peer, m, sess.info.peerKeyState, sess.info.transport)),
          typing: (peer, t) => this.#guard('session typing', () => this.typing.received(String(this.#conv(peer).id), { state: t.state })),
          delivery: (peer, d) => this.#guard('session IMDN', () => this.#applyImdn(peer, d.imdnMessageId, d.kind, d.status)),
          log: (l) => ev.log(l),
        })
      : null;
    this.typing = new TypingManager(clock, {
      send: (cid, doc) => void this.#sendTyping(Number(cid), doc).catch((e) => ev.log(`typing: ${(e as Error).message}`)),
      changed: (cid, active, at) => ev.typing(Number(cid), this.s.store.getConversation(Number(cid)).peer, active, at),
    });
    s.secure.on('item', (i) => this.#guard('incoming', () => this.#onItem(i)));
    s.secure.on('failure', (f) => this.#guard('incoming failure', () => this.#onFailure(f)));
    s.secure.on('keyReady', (peer) => this.#flush(peer));
    s.secure.on('keyFailed', (peer, out) => this.#guard('key request', () => this.#keyFailed(peer, out.code, out.reason)));
    s.secure.on('log', (l) => ev.log(l));
    this.#unsubscribe = s.e2e.peers.onEvent((e) =>
      this.#guard('key event', () => this.#onKeyEvent(e.aor, e.kind, e.fingerprint, e.previousFingerprint)),
    );
  }

  async load(): Promise<void> {
    try {
      this.#display = JSON.parse(await readFile(join(this.s.dir, DISPLAY_FILE), 'utf8')) as Record<string, DisplayRequest>;
    } catch {
      this.#display = {};
    }
  }

  close(): void {
    this.session?.closeAll();
    this.typing.close();
    this.#unsubscribe();
  }

  /** The conversation of this account with `peer`, without creating it. */
  findConversation(peer: string): Conversation | null {
    // `search` filters on the peer before any last-message preview is decrypted.
    return this.s.store.listConversations(this.s.aor, { search: peer }).find((c) => c.kind === 'direct' && c.peer === peer) ?? null;
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
      const req = this.#display[String(r.id)];
      if (!req) continue;
      delete this.#display[String(r.id)];
      const m = this.s.store.getMessage(r.id);
      const imdn = buildImdnCpim({
        from: this.s.aor,
        to: req.from,
        notification: { messageId: req.id, dateTime: req.dt, kind: 'display', status: 'displayed' },
      });
      await this.#sendControl(conv.peer, imdn, m.security.e2e !== 'off').catch((e) => this.ev.log(`display IMDN: ${(e as Error).message}`));
    }
    if (receipts.length) this.#saveDisplay();
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
      const text = typeof m.body === 'string' ? m.body : '';
      res = await transport.deliver({ peer: conv.peer, messageId: m.imdnMessageId!, dateTime, cpim, text, protect });
    } catch (e) {
      const err = e instanceof ParleyError ? e : new ParleyError('UE_SEND_FAILED', String(e));
      res = { status: 'failed', code: 0, reason: err.message, errorCode: err.code };
    }
    if (res.status === 'failed') {
      const typed =
        res.errorCode === 'SIP_FAILURE' ? res.reason : failureReason(res.errorCode, `${res.code ? `${res.code} ` : ''}${res.reason}`);
      this.#update(id, 'failed', { failureCode: res.code, failureReason: typed });
    } else this.#update(id, res.status);
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
    const open = this.session?.session(peer);
    if (open) {
      await open.sendTyping(doc.state);
      return;
    }
    const cpim = createCpim({
      from: this.s.aor,
      to: [peer],
      ns: { imdn: IMDN_NS_URI },
      dateTime: new Date(this.clock.now()).toISOString(),
      headers: [{ name: 'imdn.Message-ID', value: newImdnMessageId() }],
      contentType: ISCOMPOSING_CONTENT_TYPE,
      body: serializeIsComposing(doc),
    });
    await this.#sendControl(peer, cpim, this.s.policy === 'require');
  }

  // ---- incoming

  #guard(what: string, fn: () => unknown): void {
    Promise.resolve()
      .then(fn)
      .catch((e) => this.ev.log(`${what}: ${(e as Error).message}`));
  }

  #conv(peer: string): Conversation {
    return this.s.store.openConversation(this.s.aor, { kind: 'direct', peer });
  }

  async #onItem(i: InboundItem): Promise<void> {
    const type = mediaType(i.contentType);
    if (type === IMDN_CONTENT_TYPE) return this.#onImdn(i);
    const conv = this.#conv(i.from);
    if (type === ISCOMPOSING_CONTENT_TYPE) return this.typing.received(String(conv.id), parseIsComposing(i.body));
    const text = isTextualType(i.contentType) ? dec.decode(i.body) : undefined;
    let m: StoredMessage;
    try {
      m = this.s.store.addMessage({
        conversationId: conv.id,
        direction: 'in',
        senderAor: i.from,
        senderNickname: i.cpim?.from?.name ?? i.fromDisplayName,
        mode: 'page',
        contentType: i.contentType.slice(0, 128),
        body: text ?? i.body,
        imdnMessageId: i.imdnMessageId ?? null,
        sentAt: i.sentAt?.getTime() ?? null,
        receivedAt: i.receivedAt.getTime(),
        security: { e2e: i.e2e, e2eVerified: i.signatureValid === true, tls: i.tls },
      });
    } catch (e) {
      if (e instanceof ParleyError && e.code === 'STORE_DUPLICATE_MESSAGE') {
        this.stats.duplicatesIgnored++;
        return;
      }
      throw e;
    }
    this.ev.message(m);
    this.ev.conversation(conv.id);
    this.typing.peerMessage(String(conv.id));
    if (!i.cpim) return;
    const wanted = requestedNotifications(i.cpim);
    if (wanted.includes('display') && i.imdnMessageId && i.cpim.dateTime) {
      this.#display[String(m.id)] = { id: i.imdnMessageId, dt: i.cpim.dateTime, from: i.from };
      this.#saveDisplay();
    }
    if (wanted.includes('positive-delivery') && i.imdnMessageId && i.cpim.dateTime) {
      const reply = buildImdnReply(i.cpim, { from: this.s.aor, kind: 'delivery', status: 'delivered' });
      await this.#sendControl(i.from, reply, i.e2e !== 'off');
      this.stats.imdnSent++;
    }
  }

  #onImdn(i: InboundItem): void {
    const n = parseImdn(i.body);
    this.#applyImdn(i.from, n.messageId, n.kind, n.status);
  }

  #applyImdn(peer: string, messageId: string, kind: string, status: string): void {
    const conv = this.findConversation(peer);
    if (!conv) return;
    this.stats.imdnReceived++;
    const ok = (kind === 'delivery' && status === 'delivered') || (kind === 'display' && status === 'displayed');
    if (!ok && kind === 'processing') return;
    const state = ok ? (kind === 'delivery' ? 'delivered' : 'displayed') : 'failed';
    const r = this.s.store.updateStateByImdn(
      conv.id,
      messageId,
      state,
      ok ? {} : { failureCode: 0, failureReason: failureReason('IMDN_NEGATIVE', `${kind} ${status}`) },
    );
    if (r?.changed) this.ev.message(r.message);
  }

  #onSessionMessage(peer: string, m: ChatMessage, keyState: string | undefined, transport: string): void {
    const conv = this.#conv(peer);
    let stored: StoredMessage;
    try {
      stored = this.s.store.addMessage({
        conversationId: conv.id,
        direction: 'in',
        senderAor: peer,
        senderNickname: m.fromDisplayName ?? null,
        mode: 'session',
        contentType: m.contentType.slice(0, 128),
        body: m.text ?? m.body,
        imdnMessageId: m.imdnMessageId ?? null,
        sentAt: m.sentAt?.getTime() ?? null,
        receivedAt: m.receivedAt.getTime(),
        security: { e2e: m.protected ? 'on' : 'off', e2eVerified: m.protected && keyState !== 'changed', tls: transport === 'msrps' },
      });
    } catch (e) {
      if (e instanceof ParleyError && e.code === 'STORE_DUPLICATE_MESSAGE') {
        this.stats.duplicatesIgnored++;
        return;
      }
      throw e;
    }
    this.ev.message(stored);
    this.ev.conversation(conv.id);
    this.typing.peerMessage(String(conv.id));
  }

  #onFailure(f: InboundFailure): void {
    const conv = this.#conv(f.from);
    if (f.code === 'E2E_REPLAY') {
      this.stats.replaysRejected++;
      this.ev.log(`rejected a replayed message from ${f.from} (${f.imdnMessageId ?? 'no id'})`);
      // The genuine message is in the history already: the replay adds nothing to show.
      if (f.imdnMessageId && this.s.store.findByImdnId(conv.id, f.imdnMessageId)) return;
    }
    // The header's Message-ID is unauthenticated: never store it (a forged copy must not shadow the genuine message).
    const m = this.s.store.addMessage({
      conversationId: conv.id,
      direction: 'in',
      senderAor: f.from,
      mode: 'page',
      contentType: 'text/plain;charset=utf-8',
      body: `Message could not be opened (${f.code}): ${f.reason}`,
      sentAt: f.sentAt?.getTime() ?? null,
      receivedAt: f.receivedAt.getTime(),
      security: { e2e: 'on', e2eVerified: false, errorCode: f.code.slice(0, 64), tls: f.tls },
    });
    this.stats.failuresStored++;
    this.ev.message(m);
    this.ev.conversation(conv.id);
  }

  #onKeyEvent(aor: string, kind: string, fp: string, prev?: string): void {
    if (kind === 'changed') {
      const conv = this.#conv(aor);
      const m = this.s.store.addKeyChange(conv.id, { aor, oldFingerprint: prev ?? null, newFingerprint: fp, at: this.clock.now() });
      this.ev.message(m);
      this.ev.security(conv.id);
      return;
    }
    const conv = this.findConversation(aor);
    if (conv) this.ev.security(conv.id);
  }

  #saveDisplay(): void {
    const keys = Object.keys(this.#display);
    if (keys.length > MAX_DISPLAY_REQUESTS) for (const k of keys.slice(0, keys.length - MAX_DISPLAY_REQUESTS)) delete this.#display[k];
    const data = enc.encode(JSON.stringify(this.#display));
    this.#displayWrites = this.#displayWrites
      .then(() => writeFileAtomic(join(this.s.dir, DISPLAY_FILE), data))
      .catch((e) => this.ev.log(`display requests: ${(e as Error).message}`));
  }

  /** Resolves when pending side-file writes are done (close, tests). */
  flushWrites(): Promise<void> {
    return this.#displayWrites;
  }
}
