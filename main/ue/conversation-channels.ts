// The conversation, message, typing, contact and search channels of the UE over the signed-in account's history and
// messaging core (docs/ue.md): ids checked against the account, views built with the security facts.
import type { ConversationView, EventChannel, EventPayload, Req, Res } from '../../app/ipc/contract';
import { ParleyError } from '../base/errors';
import { normalizeAoR } from '../security/aor';
import type { Conversation } from '../store';
import type { Account } from './account';
import type { Messenger } from './messenger';
import type { SecurityChannels } from './security-channels';
import { conversationView, decodeCursor, encodeCursor, messageView } from './views';

export interface ConversationDeps {
  /** The signed-in account (throws ACCOUNT_NOT_CONFIGURED otherwise). */
  need(): Account;
  account(): Account | null;
  messenger(): Messenger;
  security(): SecurityChannels;
  emit<E extends EventChannel>(event: E, payload: EventPayload<E>): void;
}

export class ConversationChannels {
  constructor(private readonly d: ConversationDeps) {}

  async list(req: Req<'conversations.list'>): Promise<ConversationView[]> {
    const s = this.d.account();
    if (!s) return [];
    return s.store
      .listConversations(s.aor, { search: req.search || undefined, limit: 1000 })
      .map((c) => conversationView(c, this.d.security().security(c.peer)));
  }

  async open(req: Req<'conversations.open'>): Promise<ConversationView> {
    const s = this.d.need();
    const c = s.store.openConversation(s.aor, { kind: 'direct', peer: peerAoR(req.peer) });
    const v = this.view(c.id);
    this.d.emit('conversation.upserted', v);
    return v;
  }

  async markRead(req: Req<'conversations.markRead'>): Promise<null> {
    const c = this.conv(req.conversationId);
    await this.d.messenger().markRead(c.id);
    return null;
  }

  async page(req: Req<'messages.page'>): Promise<Res<'messages.page'>> {
    const s = this.d.need();
    const c = this.conv(req.conversationId);
    const page = s.store.listMessages(c.id, { before: req.before ? decodeCursor(req.before) : null, limit: req.limit });
    return { messages: page.messages.map(messageView).reverse(), ...(page.next ? { nextCursor: encodeCursor(page.next) } : {}) };
  }

  async send(req: Req<'messages.send'>): Promise<Res<'messages.send'>> {
    const c = this.conv(req.conversationId);
    const m = this.d.messenger().send(c, req.text, req.mode);
    return { messageId: String(m.id) };
  }

  async typing(req: Req<'typing.set'>): Promise<null> {
    const c = this.conv(req.conversationId);
    if (!c.blocked) this.d.messenger().typing.set(String(c.id), req.active);
    return null;
  }

  async block(aor: string, blocked: boolean): Promise<null> {
    const s = this.d.need();
    const peer = peerAoR(aor);
    if (blocked) s.store.contacts.block(s.aor, peer);
    else s.store.contacts.unblock(s.aor, peer);
    const c = this.d.messenger().findConversation(peer);
    if (c) this.d.emit('conversation.upserted', this.view(c.id));
    return null;
  }

  async search(req: Req<'search'>): Promise<Res<'search'>> {
    const s = this.d.need();
    return s.store.search(s.aor, req.query, { limit: 200 }).hits.map((h) => ({
      conversationId: String(h.conversationId),
      messageId: String(h.messageId),
      snippet: h.snippet.slice(0, 280),
      at: h.createdAt,
    }));
  }

  /** The account's conversation with this id (CONVERSATION_NOT_FOUND for another account's or a malformed id). */
  conv(id: string): Conversation {
    const s = this.d.need();
    const n = /^[0-9]{1,15}$/.test(id) ? Number(id) : NaN;
    try {
      if (!Number.isSafeInteger(n) || n < 1) throw new Error();
      const c = s.store.getConversation(n);
      if (normalizeAoR(c.account) !== s.aor) throw new Error();
      return c;
    } catch {
      throw new ParleyError('CONVERSATION_NOT_FOUND', 'no such conversation');
    }
  }

  /** The conversation's view (summary with the last message, security facts). */
  view(id: number): ConversationView {
    const s = this.d.need();
    const c = s.store.getConversation(id);
    const summary = s.store.listConversations(s.aor, { search: c.peer }).find((x) => x.id === id) ?? c;
    return conversationView(summary, this.d.security().security(c.peer));
  }
}

function peerAoR(uri: string): string {
  try {
    return normalizeAoR(uri);
  } catch (e) {
    throw new ParleyError('UE_BAD_PEER', `not a SIP address: ${uri}`, undefined, { cause: e });
  }
}
