// Wires main's events and the link status into store actions (the only subscriber to the IPC client).
import type { IpcClient } from './client';
import type { AppStore } from '../store';

export function bindStore(client: IpcClient, store: AppStore, isVisible: () => boolean = () => true): () => void {
  const s = store.getState;
  const offs = [
    client.on('connection.changed', (c) => s().setConnection(c)),
    client.on('account.changed', (a) => s().setAccount(a)),
    client.on('conversation.upserted', (c) => s().upsertConversation(c)),
    client.on('message.upserted', (m) => {
      s().upsertMessage(m);
      // A message arriving in the open conversation of a visible window is read.
      if (m.direction === 'in' && m.state === 'received' && s().conversations.selectedId === m.conversationId && isVisible()) {
        void s().markRead(m.conversationId);
      }
    }),
    client.on('typing.changed', (t) => s().setPeerTyping(t)),
    client.on('security.changed', (v) => s().setSecurity(v)),
    client.on('transfer.upserted', (v) => s().upsertTransfer(v)),
    client.on('room.upserted', (v) => s().upsertRoom(v)),
    client.on('room.message', (m) => s().addRoomMessage(m)),
    client.on('room.invitation', (v) => s().upsertInvitation(v)),
    client.on('conversation.focus', ({ conversationId }) => void s().select(conversationId)),
    client.on('update.changed', (v) => s().setUpdate(v)),
    client.onStatus((status, reason) => {
      s().setLink(status, reason);
      if (status === 'open') {
        void s().loadAccount();
        void s().loadRooms();
        void s().loadUpdate();
      }
    }),
  ];
  return () => offs.forEach((off) => off());
}
