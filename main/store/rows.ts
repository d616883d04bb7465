// SQL row shapes, the additional data binding each sealed column to its row, and row -> API object mapping.
import { decodePayload, rowAd, type StoreCrypto } from './crypto';
import type { Conversation, FileTransfer, StoredMessage, SystemKind } from './types';
import type { MessageState, TransferState } from './states';

export interface ConversationRow {
  id: number;
  account_id: number;
  account: string;
  kind: string;
  peer: string;
  title: Uint8Array | null;
  muted: number;
  blocked: number;
  last_activity: number;
  unread_count: number;
  pref_mode: string;
  e2e_policy: string;
  created_at: number;
}

export interface MessageRow {
  id: number;
  conversation_id: number;
  imdn_id: string | null;
  direction: string;
  system: string | null;
  sender_aor: string;
  mode: string;
  content_type: string;
  payload: Uint8Array;
  created_at: number;
  sent_at: number | null;
  received_at: number | null;
  state: string;
  state_at: number;
  attempts: number;
  failure_code: number | null;
  failure_reason: string | null;
  e2e: string;
  e2e_verified: number;
  security_error: string | null;
  tls: number;
}

export interface TransferRow {
  id: number;
  transfer_id: string;
  conversation_id: number;
  message_id: number | null;
  direction: string;
  content_type: string;
  size: number;
  sealed: Uint8Array;
  state: string;
  bytes_done: number;
  created_at: number;
  updated_at: number;
}

/** Message payload AD: the row id, its conversation and every column that never changes after insert. */
export function messageAd(
  r: Pick<
    MessageRow,
    'id' | 'conversation_id' | 'direction' | 'system' | 'sender_aor' | 'imdn_id' | 'content_type' | 'created_at' | 'mode'
  >,
): Uint8Array {
  return rowAd(['msg', r.id, r.conversation_id, r.direction, r.system, r.sender_aor, r.imdn_id, r.content_type, r.created_at, r.mode]);
}

export function titleAd(r: { id: number; account_id: number; kind: string; peer: string }): Uint8Array {
  return rowAd(['conv-title', r.id, r.account_id, r.kind, r.peer]);
}

export function transferAd(r: { id: number; conversation_id: number; transfer_id: string; direction: string; size: number }): Uint8Array {
  return rowAd(['transfer', r.id, r.conversation_id, r.transfer_id, r.direction, r.size]);
}

export function toConversation(r: ConversationRow, crypto: StoreCrypto): Conversation {
  const c: Conversation = {
    id: r.id,
    account: r.account,
    kind: r.kind as Conversation['kind'],
    peer: r.peer,
    title: null,
    muted: r.muted === 1,
    blocked: r.blocked === 1,
    lastActivity: r.last_activity,
    unreadCount: r.unread_count,
    preferredMode: r.pref_mode as Conversation['preferredMode'],
    e2ePolicy: r.e2e_policy as Conversation['e2ePolicy'],
    createdAt: r.created_at,
  };
  if (r.title) {
    c.title = crypto.openText(r.title, titleAd(r));
    if (c.title === null) c.atRestError = 'STORE_ROW_TAMPERED';
  }
  return c;
}

/** Decrypts the payload; a row that fails authentication comes back with body null and atRestError, never garbage. */
export function toMessage(r: MessageRow, crypto: StoreCrypto): StoredMessage {
  const plain = crypto.open(r.payload, messageAd(r));
  const payload = plain === null ? null : decodePayload(plain);
  const m: StoredMessage = {
    id: r.id,
    conversationId: r.conversation_id,
    imdnMessageId: r.imdn_id,
    direction: r.direction as StoredMessage['direction'],
    system: r.system as SystemKind | null,
    senderAor: r.sender_aor,
    senderNickname: payload?.nickname ?? null,
    mode: r.mode as StoredMessage['mode'],
    contentType: r.content_type,
    body: payload?.body ?? null,
    createdAt: r.created_at,
    sentAt: r.sent_at,
    receivedAt: r.received_at,
    state: r.state as MessageState,
    stateAt: r.state_at,
    attempts: r.attempts,
    failureCode: r.failure_code,
    failureReason: r.failure_reason,
    security: {
      e2e: r.e2e as StoredMessage['security']['e2e'],
      e2eVerified: r.e2e_verified === 1,
      errorCode: r.security_error,
      tls: r.tls === 1,
    },
  };
  if (payload === null) m.atRestError = 'STORE_ROW_TAMPERED';
  return m;
}

/** Only the text body of a message (for previews and search), or null if binary or not authentic. */
export function messageText(r: MessageRow, crypto: StoreCrypto): string | null {
  const plain = crypto.open(r.payload, messageAd(r));
  const p = plain === null ? null : decodePayload(plain);
  return p && typeof p.body === 'string' ? p.body : null;
}

export function toTransfer(r: TransferRow, crypto: StoreCrypto): FileTransfer {
  const json = crypto.openText(r.sealed, transferAd(r));
  let meta: { name?: unknown; hash?: unknown; path?: unknown } | null;
  try {
    meta = json === null ? null : JSON.parse(json);
  } catch {
    meta = null;
  }
  const s = (v: unknown) => (typeof v === 'string' ? v : null);
  const t: FileTransfer = {
    id: r.id,
    transferId: r.transfer_id,
    conversationId: r.conversation_id,
    messageId: r.message_id,
    direction: r.direction as FileTransfer['direction'],
    contentType: r.content_type,
    name: s(meta?.name),
    size: r.size,
    hash: s(meta?.hash),
    path: s(meta?.path),
    state: r.state as TransferState,
    bytesDone: r.bytes_done,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
  if (meta === null) t.atRestError = 'STORE_ROW_TAMPERED';
  return t;
}
