// The shape of the messages slice (types only, so renderer/slices/shared.ts can compose AppState without importing
// the slice's code: no import circle).
import type { MessageView } from '../../../app/ipc/contract';

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
