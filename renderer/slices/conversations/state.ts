// The shape of the conversations slice (types only, so renderer/slices/shared.ts can compose AppState without importing
// the slice's code: no import circle).
import type { ConversationView, SearchHit } from '../../../app/ipc/contract';

export interface ConversationsSlice {
  conversations: {
    byId: Record<string, ConversationView>;
    loaded: boolean;
    search: string;
    hits: SearchHit[] | null;
    selectedId: string | null;
    newError: string | null;
  };
  loadConversations(): Promise<void>;
  setSearch(query: string): Promise<void>;
  select(id: string | null): Promise<void>;
  openPeer(peer: string): Promise<boolean>;
  markRead(id: string): Promise<void>;
  block(aor: string): Promise<void>;
  unblock(aor: string): Promise<void>;
  upsertConversation(c: ConversationView): void;
  resetConversations(): void;
}
