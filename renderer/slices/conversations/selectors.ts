import type { ConversationView } from '../../../app/ipc/contract';
import type { AppState } from '../shared';

export const selectConversationsById = (s: AppState) => s.conversations.byId;
export const selectSearch = (s: AppState) => s.conversations.search;
export const selectSearchHits = (s: AppState) => s.conversations.hits;
export const selectSelectedId = (s: AppState) => s.conversations.selectedId;
export const selectSelected = (s: AppState) => (s.conversations.selectedId ? s.conversations.byId[s.conversations.selectedId] : undefined);
export const selectNewConversationError = (s: AppState) => s.conversations.newError;

/** Newest first, filtered by the search text on title/peer (pure; call inside useMemo). */
export function sortedConversations(byId: Record<string, ConversationView>, search: string): ConversationView[] {
  const q = search.trim().toLowerCase();
  return Object.values(byId)
    .filter((c) => !q || c.title.toLowerCase().includes(q) || c.peer.toLowerCase().includes(q))
    .sort((a, b) => b.updatedAt - a.updatedAt || a.id.localeCompare(b.id));
}

export function unreadTotal(byId: Record<string, ConversationView>): number {
  let n = 0;
  for (const c of Object.values(byId)) if (!c.blocked) n += c.unread;
  return n;
}
