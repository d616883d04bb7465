// The renderer's single zustand store, composed of one slice per concern (renderer/slices/*). Actions are the only place
// that talks to main (through the injected IpcClient); components read with selectors and call actions.
import { createStore } from 'zustand/vanilla';
import type { IpcClient } from './ipc/client';
import type { AppState, AppStore } from './slices/shared';
import { accountSlice } from './slices/account/slice';
import { conversationsSlice } from './slices/conversations/slice';
import { messagesSlice } from './slices/messages/slice';
import { typingSlice } from './slices/typing/slice';
import { securitySlice } from './slices/security/slice';
import { uiSlice } from './slices/ui/slice';
import { transfersSlice } from './slices/transfers/slice';
import { roomsSlice } from './slices/rooms/slice';
import { updateSlice } from './slices/update/slice';

export type { AppState, AppStore } from './slices/shared';

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
    ...updateSlice(client)(...a),
  }));
}
