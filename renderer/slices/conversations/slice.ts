// Conversations slice: the list (with unread counts and last message), search, selection, new conversation, blocking.
import { sipUri } from '../../../app/ipc/contract';
import { check } from '../../../app/ipc/schema';
import { errorText, type Slice } from '../shared';
import type { ConversationsSlice } from './state';

const initial = (): ConversationsSlice['conversations'] => ({
  byId: {},
  loaded: false,
  search: '',
  hits: null,
  selectedId: null,
  newError: null,
});

export const conversationsSlice: Slice<ConversationsSlice> = (client) => (set, get) => ({
  conversations: initial(),

  async loadConversations() {
    try {
      const list = await client.invoke('conversations.list', {});
      set((s) => ({ conversations: { ...s.conversations, byId: Object.fromEntries(list.map((c) => [c.id, c])), loaded: true } }));
    } catch (e) {
      get().notify('error', errorText(e));
    }
  },
  async setSearch(query) {
    set((s) => ({ conversations: { ...s.conversations, search: query, hits: query.trim() ? s.conversations.hits : null } }));
    const q = query.trim();
    if (!q) return;
    try {
      const hits = await client.invoke('search', { query: q.slice(0, 256) });
      if (get().conversations.search === query) set((s) => ({ conversations: { ...s.conversations, hits } }));
    } catch (e) {
      get().notify('error', errorText(e));
    }
  },
  async select(id) {
    set((s) => ({
      conversations: { ...s.conversations, selectedId: id },
      ...(id !== null ? { rooms: { ...s.rooms, selectedRoomId: null } } : {}),
    }));
    if (id === null) return;
    await Promise.all([get().loadOlder(id, true), get().loadSecurity(id)]);
    const c = get().conversations.byId[id];
    if (c && c.unread > 0) await get().markRead(id);
  },
  async openPeer(peer) {
    const p = peer.trim();
    const v = check(sipUri, p);
    if (!v.ok) {
      set((s) => ({ conversations: { ...s.conversations, newError: 'Enter a SIP address like sip:bob@example.com' } }));
      return false;
    }
    try {
      const c = await client.invoke('conversations.open', { peer: v.value });
      get().upsertConversation(c);
      set((s) => ({ conversations: { ...s.conversations, newError: null } }));
      await get().select(c.id);
      return true;
    } catch (e) {
      set((s) => ({ conversations: { ...s.conversations, newError: errorText(e) } }));
      return false;
    }
  },
  async markRead(id) {
    try {
      await client.invoke('conversations.markRead', { conversationId: id });
      const c = get().conversations.byId[id];
      if (c) get().upsertConversation({ ...c, unread: 0 });
    } catch (e) {
      get().notify('error', errorText(e));
    }
  },
  async block(aor) {
    try {
      await client.invoke('contacts.block', { aor });
    } catch (e) {
      get().notify('error', errorText(e));
    }
  },
  async unblock(aor) {
    try {
      await client.invoke('contacts.unblock', { aor });
    } catch (e) {
      get().notify('error', errorText(e));
    }
  },
  upsertConversation(c) {
    set((s) => ({ conversations: { ...s.conversations, byId: { ...s.conversations.byId, [c.id]: c } } }));
  },
  resetConversations() {
    set({ conversations: initial() });
  },
});
