// Messages slice: per-conversation history pages (newest first, older on scroll-up), upserts from events, sending.
import { MAX_MESSAGE_CHARS, type MessageView } from '../../../app/ipc/contract';
import { errorText, type Slice } from '../shared';
import type { MessagesSlice, ConversationMessages } from './state';

export const PAGE_SIZE = 50;

export const emptyConversation = (): ConversationMessages => ({ byId: {}, order: [], loading: false, complete: false, loadedOnce: false });

/** Inserts or replaces messages keeping ascending time order (pure). Ties keep arrival order: an older history page is
 *  placed before what is already there (`prepend`), live events after it. */
export function mergeMessages(cm: ConversationMessages, incoming: MessageView[], prepend = false): ConversationMessages {
  const byId = { ...cm.byId };
  const fresh: string[] = [];
  let retimed = false;
  for (const m of incoming) {
    const had = byId[m.id];
    byId[m.id] = m;
    if (!had) fresh.push(m.id);
    else if (had.at !== m.at) retimed = true;
  }
  if (!fresh.length && !retimed) return { ...cm, byId };
  const order = prepend ? [...fresh, ...cm.order] : [...cm.order, ...fresh];
  let sorted = true;
  for (let i = 1; i < order.length && sorted; i++) if (byId[order[i - 1]!]!.at > byId[order[i]!]!.at) sorted = false;
  if (!sorted) order.sort((x, y) => byId[x]!.at - byId[y]!.at); // stable: ties keep their arrival order
  return { ...cm, byId, order };
}

export const messagesSlice: Slice<MessagesSlice> = (client) => (set, get) => {
  const patch = (id: string, f: (cm: ConversationMessages) => ConversationMessages) =>
    set((s) => ({ messages: { ...s.messages, byConv: { ...s.messages.byConv, [id]: f(s.messages.byConv[id] ?? emptyConversation()) } } }));
  return {
    messages: { byConv: {}, sendError: {} },

    async loadOlder(conversationId, initial = false) {
      const cm = get().messages.byConv[conversationId];
      if (cm?.loading || (cm?.complete && !initial) || (initial && cm?.loadedOnce)) return;
      patch(conversationId, (c) => ({ ...c, loading: true }));
      try {
        const page = await client.invoke('messages.page', {
          conversationId,
          limit: PAGE_SIZE,
          ...(cm?.nextCursor && !initial ? { before: cm.nextCursor } : {}),
        });
        patch(conversationId, (c) => ({
          ...mergeMessages(c, page.messages, true),
          nextCursor: page.nextCursor,
          complete: page.nextCursor === undefined,
          loading: false,
          loadedOnce: true,
        }));
      } catch (e) {
        patch(conversationId, (c) => ({ ...c, loading: false }));
        get().notify('error', errorText(e));
      }
    },
    async send(conversationId, text, mode) {
      if (!text.trim() || text.length > MAX_MESSAGE_CHARS) return false;
      try {
        await client.invoke('messages.send', { conversationId, text, ...(mode ? { mode } : {}) });
        set((s) => ({ messages: { ...s.messages, sendError: { ...s.messages.sendError, [conversationId]: undefined } } }));
        get().composing(conversationId, false);
        return true;
      } catch (e) {
        set((s) => ({ messages: { ...s.messages, sendError: { ...s.messages.sendError, [conversationId]: errorText(e) } } }));
        return false;
      }
    },
    upsertMessage(m) {
      patch(m.conversationId, (c) => mergeMessages(c, [m]));
    },
  };
};
