// Shared types, limits and timer constants of MSRP chat sessions (RFC 4975 over SIP INVITE, docs/sessions.md).
import type { Identity } from '../../security/identity';
import type { PeerKeys, PeerKeyState } from '../../security/peers';
import type { ParleyError } from '../../base/errors';

/** Content types we accept inside MSRP (outer) and inside CPIM (wrapped) (RFC 4975 s.8.6, RFC 3862, RFC 5438, RFC 3994). */
export const CPIM_TYPE = 'message/cpim';
export const TEXT_TYPE = 'text/plain';
export const TEXT_TYPE_UTF8 = 'text/plain;charset=utf-8';
export const IMDN_TYPE = 'message/imdn+xml';
export const ISCOMPOSING_TYPE = 'application/im-iscomposing+xml';

/** Largest chat message (CPIM plaintext) we send or accept in a session: the session cipher's per-body limit. */
export const MAX_CHAT_MESSAGE_BYTES = 16 * 1024 * 1024;
/** How long open() waits for the peer to answer (JsSIP's own no-answer timer on the callee side is 60 s). */
export const SESSION_ANSWER_TIMEOUT_MS = 90_000;
/**
 * After the last chunk got its 200, how long send() waits for a requested Success-Report. Without it the message is
 * 'failed' (MSRP_NO_SUCCESS_REPORT), never 'sent': a 200 only proves that the next hop took the chunk (relays answer
 * hop by hop, RFC 4976, as may an SBC under CEMA), and the lab relay turns no downstream failure into a REPORT.
 */
export const SUCCESS_REPORT_WAIT_MS = 10_000;
/** MSRP connection setup (connect + binding SEND, or waiting for the peer) after the SIP session is up. */
export const MSRP_SETUP_TIMEOUT_MS = 30_000;

export type E2EPolicy = 'require' | 'allow-plaintext';

/** What E2E needs: our identity (signs a=key-mgmt), the pin store (TOFU / PEER_KEY_CHANGED), optional PSKs. */
export interface SessionSecurity {
  identity: Identity;
  peers: PeerKeys;
  psk?: (aor: string) => Uint8Array | undefined;
}

export interface RelayConfig {
  /** msrp://host:port;tcp or msrps://host:port;tcp */
  uri: string;
  /** Defaults: the user part of the account AoR and the SIP password. */
  username?: string;
  password?: string;
  /** PEM CA validating an msrps relay (the lab CA). */
  ca?: string;
}

export type CloseReason = 'bye-local' | 'bye-remote' | 'failed' | 'cancelled' | 'declined' | 'rejected' | 'msrp-error';

export interface ClosedEvent {
  reason: CloseReason;
  error?: ParleyError;
  /** SIP status when the session ended on a SIP failure response. */
  status?: number;
}

export interface ChatMessage {
  /** CPIM From URI (checked against the E2E peer identity when protected). */
  from: string;
  fromDisplayName?: string;
  to?: string;
  /** Inner content type (text/plain;charset=utf-8, image/png ...). */
  contentType: string;
  body: Uint8Array;
  /** UTF-8 text for text/* bodies. */
  text?: string;
  imdnMessageId?: string;
  /** CPIM DateTime. */
  sentAt?: Date;
  receivedAt: Date;
  /** True when the body came end-to-end encrypted with the session keys. */
  protected: boolean;
  msrpMessageId: string;
  mode: 'session';
}

export type SendStatus = 'delivered' | 'sent' | 'failed' | 'interrupted';

export interface SendOutcome {
  status: SendStatus;
  /** IMDN Message-ID of the CPIM message. */
  imdnMessageId: string;
  msrpMessageId: string;
  bytes: number;
  /** MSRP status of a failure (413, 415, 481, 408 ...). */
  code?: number;
  reason?: string;
  /** Stable error code: MSRP_SEND_FAILED, MSRP_TIMEOUT, MSRP_NO_SUCCESS_REPORT, SESSION_CLOSED, SEND_INTERRUPTED ... */
  errorCode?: string;
}

export interface DeliveryNotification {
  imdnMessageId: string;
  kind: 'delivery' | 'display' | 'processing';
  status: string;
  from: string;
}

export interface TypingEvent {
  state: 'active' | 'idle';
  from: string;
}

export interface SessionInfo {
  peerAor: string;
  direction: 'outgoing' | 'incoming';
  protected: boolean;
  peerKeyState?: PeerKeyState;
  transport: 'msrp' | 'msrps';
  relayed: boolean;
  callId: string;
}
