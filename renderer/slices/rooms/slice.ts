// Rooms slice: group chats (conference.* channels): rooms, their messages, focus invitations, the selected room, and
// the private-message target of the room composer. Selecting a room clears the one-to-one selection and vice versa.
import { FEATURE_UNAVAILABLE, sipUri } from '../../../app/ipc/contract';
import { check } from '../../../app/ipc/schema';
import { errorText, type Slice } from '../shared';
import type { RoomsSlice } from './state';

export const MAX_ROOM_MESSAGES = 2000;

/** "sip:a@x, sip:b@x" (commas, spaces or new lines) -> valid SIP URIs, or the first invalid entry. */
export function parseParticipants(text: string): { ok: true; list: string[] } | { ok: false; bad: string } {
  const list = text
    .split(/[\s,;]+/)
    .map((x) => x.trim())
    .filter(Boolean);
  for (const x of list) if (!check(sipUri, x).ok) return { ok: false, bad: x };
  return { ok: true, list };
}

export const roomsSlice: Slice<RoomsSlice> = (client) => (set, get) => {
  const patch = (p: Partial<RoomsSlice['rooms']>) => set((s) => ({ rooms: { ...s.rooms, ...p } }));
  const roomErr = (roomId: string, e: unknown) =>
    set((s) => ({ rooms: { ...s.rooms, roomError: { ...s.rooms.roomError, [roomId]: e === undefined ? undefined : errorText(e) } } }));
  return {
    rooms: { byId: {}, messages: {}, invitations: {}, selectedRoomId: null, privateTo: {}, roomError: {}, unavailable: false },

    upsertRoom(v) {
      set((s) => ({ rooms: { ...s.rooms, byId: { ...s.rooms.byId, [v.id]: v } } }));
    },
    addRoomMessage(m) {
      set((s) => {
        const list = s.rooms.messages[m.roomId] ?? [];
        const i = list.findIndex((x) => x.id === m.id);
        const next = i >= 0 ? list.map((x) => (x.id === m.id ? m : x)) : [...list, m].slice(-MAX_ROOM_MESSAGES);
        return { rooms: { ...s.rooms, messages: { ...s.rooms.messages, [m.roomId]: next } } };
      });
    },
    upsertInvitation(v) {
      set((s) => ({ rooms: { ...s.rooms, invitations: { ...s.rooms.invitations, [v.id]: v } } }));
    },
    async loadRooms() {
      try {
        for (const r of await client.invoke('conference.list', {})) get().upsertRoom(r);
      } catch (e) {
        if ((e as { code?: string }).code === FEATURE_UNAVAILABLE) patch({ unavailable: true });
      }
    },
    async selectRoom(id) {
      patch({ selectedRoomId: id });
      if (id === null) return;
      if (get().conversations.selectedId !== null) await get().select(null);
      patch({ selectedRoomId: id });
      try {
        for (const m of await client.invoke('conference.messages', { roomId: id })) get().addRoomMessage(m);
      } catch (e) {
        roomErr(id, e);
      }
    },
    async createRoom(participants, subject) {
      const p = parseParticipants(participants);
      if (!p.ok) {
        patch({ formError: `Not a SIP address: ${p.bad}` });
        return false;
      }
      try {
        const r = await client.invoke('conference.create', {
          participants: p.list,
          ...(subject.trim() ? { subject: subject.trim() } : {}),
        });
        get().upsertRoom(r);
        patch({ formError: undefined });
        await get().selectRoom(r.id);
        return true;
      } catch (e) {
        patch({ formError: errorText(e) });
        return false;
      }
    },
    async joinRoom(uri) {
      if (!check(sipUri, uri.trim()).ok) {
        patch({ formError: 'Enter the room address, like sip:conf-1234@example.com' });
        return false;
      }
      try {
        const r = await client.invoke('conference.join', { room: uri.trim() });
        get().upsertRoom(r);
        patch({ formError: undefined });
        await get().selectRoom(r.id);
        return true;
      } catch (e) {
        patch({ formError: errorText(e) });
        return false;
      }
    },
    async answerInvitation(id, accept) {
      try {
        if (accept) {
          const r = await client.invoke('conference.accept', { invitationId: id });
          get().upsertRoom(r);
          await get().selectRoom(r.id);
        } else await client.invoke('conference.decline', { invitationId: id });
      } catch (e) {
        get().notify('error', errorText(e));
      }
    },
    async sendToRoom(roomId, text) {
      const to = get().rooms.privateTo[roomId];
      try {
        if (to) await client.invoke('conference.sendPrivate', { roomId, to, text });
        else await client.invoke('conference.send', { roomId, text });
        roomErr(roomId, undefined);
        return true;
      } catch (e) {
        roomErr(roomId, e);
        return false;
      }
    },
    setPrivateTo(roomId, aor) {
      set((s) => ({ rooms: { ...s.rooms, privateTo: { ...s.rooms.privateTo, [roomId]: aor } } }));
    },
    async setNickname(roomId, nickname) {
      try {
        await client.invoke('conference.nick', { roomId, nickname: nickname.trim() });
        roomErr(roomId, undefined);
        return true;
      } catch (e) {
        roomErr(roomId, e);
        return false;
      }
    },
    async inviteToRoom(roomId, participants) {
      const p = parseParticipants(participants);
      if (!p.ok || p.list.length === 0) {
        roomErr(roomId, { message: p.ok ? 'Enter at least one SIP address' : `Not a SIP address: ${p.bad}` });
        return false;
      }
      try {
        await client.invoke('conference.invite', { roomId, participants: p.list });
        roomErr(roomId, undefined);
        return true;
      } catch (e) {
        roomErr(roomId, e);
        return false;
      }
    },
    async leaveRoom(roomId) {
      try {
        await client.invoke('conference.leave', { roomId });
      } catch (e) {
        roomErr(roomId, e);
      }
    },
  };
};
