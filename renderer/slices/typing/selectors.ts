import type { AppState } from '../shared';

/** The peer currently typing in this conversation, or null. */
export const selectPeerTyping = (id: string | null) => (s: AppState) => {
  const t = id ? s.typing.peers[id] : undefined;
  return t && t.active ? t.peer : null;
};
