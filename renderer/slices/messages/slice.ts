// Messages slice: per-conversation history pages (newest first, older on scroll-up), upserts from events, sending.
import { MAX_MESSAGE_CHARS, type MessageView } from '../../../app/ipc/contract';
import { errorText, type Slice } from '../../store';

export const PAGE_SIZE = 50;

export interface ConversationMessages {
  byId: Record<string, MessageView>;
  /** Message ids in display order (ascending time). */
  order: string[];
  nextCursor?: string;
  loading: boolean;
  complete: boolean;
  loadedOnce: boolean;
}

export interface MessagesSlice {
  messages: { byConv: Record<string, ConversationMessages>; sendError: Record<string, string | undefined> };
  loadOlder(conversationId: string, initial?: boolean): Promise<void>;
  send(conversationId: string, text: string, mode?: 'auto' | 'page' | 'session'): Promise<boolean>;
  upsertMessage(m: MessageView): void;
}

export const emptyConversation = (): ConversationMessages => ({ byId: {}, order: [], loading: false, complete: false, loadedOnce: false });

const before = (a: MessageView, b: MessageView) => a.at < b.at || (a.at === b.at && a.id < b.id);

/** Inserts or replaces messages keeping ascending order (pure). */
export function mergeMessages(cm: ConversationMessages, incoming: MessageView[]): ConversationMessages {
  const byId = { ...cm.byId };
  let order = cm.order;
  let resort = false;
  for (const m of incoming) {
    const had = byId[m.id];
    byId[m.id] = m;
    if (!had) {
      const last = order.length ? byId[order[order.length - 1]!]! : undefined;
      if (last && before(m, last)) resort = true;
      order = order === cm.order ? [...order, m.id] : (order.push(m.id), order);
    } else if (had.at !== m.at) resort = true;
  }
  if (resort) order = [...order].sort((x, y) => (before(byId[x]!, byId[y]!) ? -1 : before(byId[y]!, byId[x]!) ? 1 : 0));
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
          ...mergeMessages(c, page.messages),
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
