// What every slice shares: the composed state type, the slice constructor type and the error line for the user.
// Slices and selectors import this module; it imports only the slices' type modules (state.ts), never their code, so
// renderer/store.ts -> slices -> shared.ts has no way back (no import circle).
import type { StateCreator, StoreApi } from 'zustand/vanilla';
import type { IpcClient } from '../ipc/client';
import type { AccountSlice } from './account/state';
import type { ConversationsSlice } from './conversations/state';
import type { MessagesSlice } from './messages/state';
import type { TypingSlice } from './typing/state';
import type { SecuritySlice } from './security/state';
import type { UiSlice } from './ui/state';
import type { TransfersSlice } from './transfers/state';
import type { RoomsSlice } from './rooms/state';
import type { UpdateSlice } from './update/state';

export type AppState = AccountSlice &
  ConversationsSlice &
  MessagesSlice &
  TypingSlice &
  SecuritySlice &
  UiSlice &
  TransfersSlice &
  RoomsSlice &
  UpdateSlice;
export type Slice<T> = (client: IpcClient) => StateCreator<AppState, [], [], T>;
export type AppStore = StoreApi<AppState>;

/** Turns anything thrown by an action into one line for the user. */
export function errorText(e: unknown): string {
  if (typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string') {
    const { code, message } = e as { code?: string; message: string };
    return code && code !== 'IPC_INTERNAL' ? `${message} (${code})` : message;
  }
  return 'Something went wrong.';
}
