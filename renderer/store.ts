// The renderer's single zustand store, composed of one slice per concern (renderer/slices/*). Actions are the only place
// that talks to main (through the injected IpcClient); components read with selectors and call actions.
import { createStore, type StateCreator, type StoreApi } from 'zustand/vanilla';
import type { IpcClient } from './ipc/client';
import { accountSlice, type AccountSlice } from './slices/account/slice';
import { conversationsSlice, type ConversationsSlice } from './slices/conversations/slice';
import { messagesSlice, type MessagesSlice } from './slices/messages/slice';
import { typingSlice, type TypingSlice } from './slices/typing/slice';
import { securitySlice, type SecuritySlice } from './slices/security/slice';
import { uiSlice, type UiSlice } from './slices/ui/slice';
import { transfersSlice, type TransfersSlice } from './slices/transfers/slice';
import { roomsSlice, type RoomsSlice } from './slices/rooms/slice';

export type AppState = AccountSlice &
  ConversationsSlice &
  MessagesSlice &
  TypingSlice &
  SecuritySlice &
  UiSlice &
  TransfersSlice &
  RoomsSlice;
export type Slice<T> = (client: IpcClient) => StateCreator<AppState, [], [], T>;
export type AppStore = StoreApi<AppState>;

export function createAppStore(client: IpcClient): AppStore {
  return createStore<AppState>()((...a) => ({
    ...accountSlice(client)(...a),
    ...conversationsSlice(client)(...a),
    ...messagesSlice(client)(...a),
    ...typingSlice(client)(...a),
    ...securitySlice(client)(...a),
    ...uiSlice(client)(...a),
    ...transfersSlice(client)(...a),
    ...roomsSlice(client)(...a),
  }));
}

/** Turns anything thrown by an action into one line for the user. */
export function errorText(e: unknown): string {
  if (typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string') {
    const { code, message } = e as { code?: string; message: string };
    return code && code !== 'IPC_INTERNAL' ? `${message} (${code})` : message;
  }
  return 'Something went wrong.';
}
