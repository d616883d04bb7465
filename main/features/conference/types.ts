// Shared types, limits and timer constants of the chat-conference client (RFC 4579/4575/7701 via a focus; docs/conferences.md).
import type { PeerKeyState } from '../../security/peers';
import type { DeliveryResult } from '../../base/delivery';
import type { ReceivedContent } from '../feature';
import type { ParleyError } from '../../base/errors';
import type { CpimMessage } from '../../protocol/formats/cpim';

/** RFC 7701 s.5: everything in a chat room is CPIM-wrapped (the focus needs From/To). */
export const ROOM_ACCEPT_TYPES = ['message/cpim'];
export const ROOM_WRAPPED_TYPES = ['*'];
/** Group-encrypted room message: CPIM content type of a GroupSession frame (base64, docs/conferences.md s.3). */
export const GROUP_E2E_CONTENT_TYPE = 'application/vnd.parley.group-e2e';
export const CONFINFO_ACCEPT = 'application/conference-info+xml';

/** Largest MSRP message we accept from the focus (its own default limit is 64 KiB). */
export const ROOM_MAX_MESSAGE_BYTES = 64 * 1024;
/** MSRP chunk size towards the focus. */
export const ROOM_CHUNK_BYTES = 4096;
/** How long create/join waits for the focus to answer. */
export const JOIN_TIMEOUT_MS = 30_000;
/** Conference-package subscription lifetime we ask for (the focus caps it). */
export const CONF_SUBSCRIBE_EXPIRES_S = 600;
/** How long after the SUBSCRIBE's 200 the first NOTIFY may take before we re-SUBSCRIBE. */
export const FIRST_NOTIFY_WAIT_MS = 5_000;
/** Re-SUBSCRIBE attempts in a row after failures/gaps before the roster is reported stale. */
export const RESUBSCRIBE_MAX_ATTEMPTS = 5;
export const RESUBSCRIBE_BACKOFF_MS = 500;
/** Group messages waiting for their sender's key: how many (per room) and how long. */
export const PENDING_MAX_MESSAGES = 256;
export const PENDING_MAX_BYTES = 4 * 1024 * 1024;
export const PENDING_TTL_MS = 15_000;
/** Sender-key distributions from senders the roster does not list yet, kept (PENDING_TTL_MS) per room. */
export const HELD_KEYS_MAX = 32;
/** Membership changes this close together share one sender-key rotation (encrypt() never waits for it). */
export const ROTATION_COALESCE_MS = 100;
/** A key request (in-room key discovery) without an answer is sent again after this long. */
export const KEY_REQUEST_RETRY_MS = 10_000;

export type RoomState = 'joining' | 'joined' | 'left' | 'failed';

export interface Participant {
  aor: string;
  nickname?: string;
  roles: string[];
  /** 'connected' for users in the room; the focus deletes leavers from its documents. */
  status: string;
  isMe: boolean;
}

/** A room message (protected = decrypted with the sender's group key, or opened from a pairwise envelope if private). */
export interface RoomMessage extends ReceivedContent {
  roomUri: string;
  /** Sender identity as asserted by the focus (CPIM From). */
  from: string;
  nickname?: string;
  /** Addressed to us only (RFC 7701 private message). */
  private: boolean;
  /** Group epoch of the sender's key (protected public messages). */
  epoch?: number;
}

export interface MemberSecurity {
  aor: string;
  keyState: PeerKeyState;
  /** We hold this member's current sender key. */
  haveTheirKey: boolean;
  /** Our current sender key was sent to this member. */
  theyHaveOurKey: boolean;
}

export interface RoomSecurity {
  e2e: 'on' | 'off';
  epoch: number;
  members: MemberSecurity[];
  /** Every current member has our key and we have theirs. */
  allKeyed: boolean;
  verified: string[];
  unverified: string[];
  changed: string[];
}

/** A room message's result: 'sent' = the focus accepted it (MSRP 200; the focus fans it out), else 'failed'. */
export type RoomDelivery = DeliveryResult & { status: 'sent' | 'failed'; imdnMessageId: string };

// ---- RoomCrypto (group-e2e.ts)

/** How RoomCrypto talks to the room: a private message (CPIM To = one participant) with the given content. */
export interface CryptoIo {
  sendPrivate(to: string, contentType: string, body: string): Promise<void>;
}

export type PrivateResult =
  | { kind: 'message'; cpim: CpimMessage; protected: boolean }
  /** Key material handled here (distribution, key request/response): nothing for the user. */
  | { kind: 'control' };

export interface CryptoEvents {
  /** A buffered group message became readable (its sender's key arrived). */
  decrypted: [{ from: string; cpim: CpimMessage; epoch: number; receivedAt: Date }];
  /** A group message could not be read (no key within PENDING_TTL_MS, buffer full, tampered...). Never dropped silently. */
  undecryptable: [{ from: string; error: ParleyError; receivedAt: Date }];
  /** Key state changed (keys received/sent, member verified/changed): recompute the room security status. */
  status: [];
  log: [string];
}
