// Typing slice (RFC 3994 semantics are main's job): the peer's indicator per conversation, and our own state sent
// sparingly: 'active' at most once per TYPING_REFRESH_MS while typing, 'idle' when the text is cleared or sent.
import type { Slice } from '../shared';
import type { TypingSlice } from './state';

export const TYPING_REFRESH_MS = 10_000;

export const typingSlice: Slice<TypingSlice> = (client) => (set, get) => ({
  typing: { peers: {}, mine: {} },

  composing(conversationId, active, now = Date.now()) {
    const prev = get().typing.mine[conversationId];
    const due = !prev || prev.active !== active || (active && now - prev.sentAt >= TYPING_REFRESH_MS);
    if (!due || (!prev && !active)) return;
    set((s) => ({ typing: { ...s.typing, mine: { ...s.typing.mine, [conversationId]: { active, sentAt: now } } } }));
    client.invoke('typing.set', { conversationId, active }).catch(() => {
      // Typing notifications are best-effort.
    });
  },
  setPeerTyping(v) {
    set((s) => ({ typing: { ...s.typing, peers: { ...s.typing.peers, [v.conversationId]: v } } }));
  },
});
