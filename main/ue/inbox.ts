// What arrives for one account, into the history and the UE's events: page-mode chat items and failures (SecurePage),
// session-mode messages, is-composing and IMDNs (the ChatInbox the session feature hands them to), key events; the
// delivery IMDNs we owe (RFC 5438) and the display requests remembered until the user reads the message.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ParleyError } from '../base/errors';
import { writeFileAtomic } from '../security/atomic-file';
import { requestedNotifications, type CpimMessage } from '../protocol/formats/cpim';
import { buildImdnReply, IMDN_CONTENT_TYPE, parseImdn } from '../protocol/formats/imdn';
import { ISCOMPOSING_CONTENT_TYPE, parseIsComposing } from '../protocol/formats/is-composing';
import { isTextualType, mediaType } from '../protocol/sip/message-body';
import type { Conversation, StoredMessage } from '../store';
import type { ChatInbox, InboundChat } from '../features/feature';
import type { InboundFailure, InboundItem } from '../features/page/secure-page';
import type { Account } from './account';
import type { TypingManager, UeClock } from './typing';
import { failureReason } from './views';

export const DISPLAY_FILE = 'imdn-display.json';
/** Bound on remembered "display notification requested" entries (oldest dropped). */
export const MAX_DISPLAY_REQUESTS = 5000;
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
  /** Plaintext IMDNs / is-composing dropped because the conversation is end to end. */
  plaintextIgnored: number;
}

/** A received message whose sender asked for a display notification (sent when the user reads it). */
export type DisplayRequest = { id: string; dt: string; from: string };

/** Sends an IMDN or is-composing CPIM to `peer` (sealed when possible; in clear only when the trigger was in clear). */
export type ControlSender = (peer: string, cpim: CpimMessage, triggerProtected: boolean) => Promise<void>;

/** The conversation of this account with `peer`, without creating it. */
export function findConversation(s: Account, peer: string): Conversation | null {
  // `search` filters on the peer before any last-message preview is decrypted.
  return s.store.listConversations(s.aor, { search: peer }).find((c) => c.kind === 'direct' && c.peer === peer) ?? null;
}

export class Inbox implements ChatInbox {
  readonly stats: MessagingStats = {
    replaysRejected: 0,
    duplicatesIgnored: 0,
    failuresStored: 0,
    imdnSent: 0,
    imdnReceived: 0,
    plaintextIgnored: 0,
  };
  #display: Record<string, DisplayRequest> = {};
  #displayWrites: Promise<void> = Promise.resolve();
  readonly #unsubscribe: () => void;

  constructor(
    private readonly s: Account,
    private readonly ev: MessagingEvents,
    private readonly typing: TypingManager,
    private readonly clock: UeClock,
    private readonly sendControl: ControlSender,
  ) {
    s.secure.on('item', (i) => this.#guard('incoming', () => this.#onItem(i)));
    s.secure.on('failure', (f) => this.#guard('incoming failure', () => this.#onFailure(f)));
    this.#unsubscribe = s.e2e.peers.onEvent((e) =>
      this.#guard('key event', () => this.#onKeyEvent(e.aor, e.kind, e.fingerprint, e.previousFingerprint)),
    );
  }

  /** Reads the remembered display requests (imdn-display.json). */
  async load(): Promise<void> {
    try {
      this.#display = JSON.parse(await readFile(join(this.s.dir, DISPLAY_FILE), 'utf8')) as Record<string, DisplayRequest>;
    } catch {
      this.#display = {};
    }
  }

  close(): void {
    this.#unsubscribe();
  }

  // ---- ChatInbox: what arrives on session-mode channels

  message(m: InboundChat): void {
    this.#guard('session message', () => this.#onSessionMessage(m));
  }

  composing(peer: string, state: 'active' | 'idle'): void {
    this.#guard('session typing', () => this.typing.received(String(this.#conv(peer).id), { state }));
  }

  disposition(peer: string, imdnMessageId: string, kind: string, status: string): void {
    this.#guard('session IMDN', () => this.#applyImdn(peer, imdnMessageId, kind, status));
  }

  /** The display request of a stored message, forgotten as it is handed out (markRead sends the IMDN). */
  takeDisplayRequest(messageId: number): DisplayRequest | undefined {
    const req = this.#display[String(messageId)];
    if (req) delete this.#display[String(messageId)];
    return req;
  }

  async #onItem(i: InboundItem): Promise<void> {
    const type = mediaType(i.contentType);
    if (type === IMDN_CONTENT_TYPE) return this.#onImdn(i);
    if (type === ISCOMPOSING_CONTENT_TYPE) {
      // In clear, the SIP From is all that names the sender: a network element can forge it. An end-to-end
      // conversation only takes sealed indications (issue 12).
      if (i.e2e === 'off' && this.#endToEnd(i.from)) return this.#ignored('is-composing', i.from);
      return this.typing.received(String(this.#conv(i.from).id), parseIsComposing(i.body));
    }
    const conv = this.#conv(i.from);
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
      this.saveDisplay();
    }
    if (wanted.includes('positive-delivery') && i.imdnMessageId && i.cpim.dateTime) {
      const reply = buildImdnReply(i.cpim, { from: this.s.aor, kind: 'delivery', status: 'delivered' });
      await this.sendControl(i.from, reply, i.e2e !== 'off');
      this.stats.imdnSent++;
    }
  }

  #onImdn(i: InboundItem): void {
    const n = parseImdn(i.body);
    this.#applyImdn(i.from, n.messageId, n.kind, n.status, i.e2e !== 'off');
  }

  /**
   * A disposition changes one of our messages. `sealed`: it came end-to-end authenticated (an envelope, or a session
   * whose channel is the peer's). A plaintext IMDN never touches a message we sent protected, nor any message of an
   * end-to-end conversation: otherwise anyone on a hop could mark it read or failed (issue 12).
   */
  #applyImdn(peer: string, messageId: string, kind: string, status: string, sealed = true): void {
    const conv = findConversation(this.s, peer);
    if (!conv) return;
    if (!sealed) {
      const target = this.s.store.findByImdnId(conv.id, messageId);
      if (this.#endToEnd(peer) || (target && target.security.e2e !== 'off')) return this.#ignored('IMDN', peer);
    }
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

  #onSessionMessage(m: InboundChat): void {
    const peer = m.peer;
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
        security: { e2e: m.protected ? 'on' : 'off', e2eVerified: m.verified, tls: m.tls },
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
    const conv = findConversation(this.s, aor);
    if (conv) this.ev.security(conv.id);
  }

  /** Whether the conversation with `peer` is end to end: our messages to it are sealed (policy and a key we hold). */
  #endToEnd(peer: string): boolean {
    return this.s.policy !== 'off' && this.s.secure.hasKey(peer);
  }

  #ignored(what: string, peer: string): void {
    this.stats.plaintextIgnored++;
    this.ev.log(`ignored a plaintext ${what} from ${peer}: the conversation is end to end`);
  }

  #guard(what: string, fn: () => unknown): void {
    Promise.resolve()
      .then(fn)
      .catch((e) => this.ev.log(`${what}: ${(e as Error).message}`));
  }

  #conv(peer: string): Conversation {
    return this.s.store.openConversation(this.s.aor, { kind: 'direct', peer });
  }

  /** Writes the display requests (bounded) to the side file, after the writes already queued. */
  saveDisplay(): void {
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
