// Public shapes of the history store API (plain data: safe to send over IPC).
import type { MessageState, TransferState } from './states';

export type { MessageState, TransferState };
export type ConversationKind = 'direct' | 'group' | 'list';
export type PreferredMode = 'page' | 'session' | 'auto';
export type E2ePolicy = 'require' | 'prefer' | 'off';
export type Direction = 'in' | 'out';
export type MessageMode = 'page' | 'session' | 'conference';
export type E2eState = 'on' | 'off' | 'psk';
/** Set when a stored row fails authentication at rest (tampered, swapped between rows, or written under another key). */
export type AtRestError = 'STORE_ROW_TAMPERED';

export interface Conversation {
  id: number;
  account: string;
  kind: ConversationKind;
  /** Peer AoR (direct) or room/list URI. */
  peer: string;
  title: string | null;
  muted: boolean;
  blocked: boolean;
  lastActivity: number;
  unreadCount: number;
  preferredMode: PreferredMode;
  e2ePolicy: E2ePolicy;
  createdAt: number;
  atRestError?: AtRestError;
}

export interface ConversationSummary extends Conversation {
  lastMessage: {
    id: number;
    direction: Direction;
    senderAor: string;
    preview: string | null;
    createdAt: number;
    state: MessageState;
    system: SystemKind | null;
  } | null;
}

export interface SecurityFacts {
  e2e: E2eState;
  e2eVerified: boolean;
  /** Tamper/decrypt error code from the end-to-end layer (e.g. 'E2E_TAMPERED'), null if none. */
  errorCode: string | null;
  /** Received/sent over TLS on the first hop. */
  tls: boolean;
}

export type SystemKind = 'key-change';

export interface StoredMessage {
  id: number;
  conversationId: number;
  imdnMessageId: string | null;
  direction: Direction;
  /** Non-null for system messages written by Parley itself (key changes). */
  system: SystemKind | null;
  senderAor: string;
  senderNickname: string | null;
  mode: MessageMode;
  contentType: string;
  /** null only when atRestError is set. */
  body: string | Uint8Array | null;
  createdAt: number;
  sentAt: number | null;
  receivedAt: number | null;
  state: MessageState;
  stateAt: number;
  attempts: number;
  failureCode: number | null;
  failureReason: string | null;
  security: SecurityFacts;
  atRestError?: AtRestError;
}

export interface NewMessage {
  conversationId: number;
  imdnMessageId?: string | null;
  direction: Direction;
  senderAor: string;
  senderNickname?: string | null;
  mode: MessageMode;
  contentType: string;
  body: string | Uint8Array;
  createdAt?: number;
  sentAt?: number | null;
  receivedAt?: number | null;
  /** Default: 'queued' for out, 'delivered' for in (received; 'displayed' once read). */
  state?: MessageState;
  security?: Partial<SecurityFacts>;
}

export interface MessageCursor {
  createdAt: number;
  id: number;
}

export interface MessagePage {
  /** Newest first. */
  messages: StoredMessage[];
  /** Pass as `before` for the next (older) page; null when this page reaches the oldest message. */
  next: MessageCursor | null;
}

export interface KeyChange {
  aor: string;
  oldFingerprint?: string | null;
  newFingerprint: string;
  at?: number;
}

export interface SearchHit {
  messageId: number;
  conversationId: number;
  peer: string;
  createdAt: number;
  direction: Direction;
  senderAor: string;
  snippet: string;
}

export interface SearchResult {
  hits: SearchHit[];
  /** True when the candidate budget ran out before `limit` verified hits were found. */
  truncated: boolean;
}

export interface FileTransfer {
  id: number;
  transferId: string;
  conversationId: number;
  messageId: number | null;
  direction: Direction;
  contentType: string;
  name: string | null;
  size: number;
  /** RFC 5547 hash attribute value (e.g. 'sha-1:AB:CD:...'), if known. */
  hash: string | null;
  path: string | null;
  state: TransferState;
  bytesDone: number;
  createdAt: number;
  updatedAt: number;
  atRestError?: AtRestError;
}

export interface NewFileTransfer {
  transferId: string;
  conversationId: number;
  messageId?: number | null;
  direction: Direction;
  contentType: string;
  name: string;
  size: number;
  hash?: string | null;
  path?: string | null;
  state?: TransferState;
}
