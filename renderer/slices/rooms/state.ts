// The shape of the rooms slice (types only, so renderer/slices/shared.ts can compose AppState without importing
// the slice's code: no import circle).
import type { InvitationView, RoomMessageView, RoomView } from '../../../app/ipc/contract';

export interface RoomsSlice {
  rooms: {
    byId: Record<string, RoomView>;
    messages: Record<string, RoomMessageView[]>;
    invitations: Record<string, InvitationView>;
    selectedRoomId: string | null;
    /** Per room: the participant a private message goes to (null: everyone). */
    privateTo: Record<string, string | null>;
    formError?: string;
    roomError: Record<string, string | undefined>;
    unavailable: boolean;
  };
  upsertRoom(v: RoomView): void;
  addRoomMessage(m: RoomMessageView): void;
  upsertInvitation(v: InvitationView): void;
  loadRooms(): Promise<void>;
  selectRoom(id: string | null): Promise<void>;
  createRoom(participants: string, subject: string): Promise<boolean>;
  joinRoom(uri: string): Promise<boolean>;
  answerInvitation(id: string, accept: boolean): Promise<void>;
  sendToRoom(roomId: string, text: string): Promise<boolean>;
  setPrivateTo(roomId: string, aor: string | null): void;
  setNickname(roomId: string, nickname: string): Promise<boolean>;
  inviteToRoom(roomId: string, participants: string): Promise<boolean>;
  leaveRoom(roomId: string): Promise<void>;
}
