// Shared types, limits and timer constants of MSRP chat sessions (RFC 4975 over SIP INVITE, docs/sessions.md).
import type { PeerKeyState } from '../../security/peers';
import type { ParleyError } from '../../base/errors';
import type { DeliveryResult } from '../../base/delivery';
import type { ReceivedContent } from '../feature';

/** How long open() waits for the peer to answer (JsSIP's own no-answer timer on the callee side is 60 s). */
export const SESSION_ANSWER_TIMEOUT_MS = 90_000;
/**
 * After the last chunk got its 200, how long send() waits for a requested Success-Report. Without it the message is
 * 'failed' (MSRP_NO_SUCCESS_REPORT), never 'sent': a 200 only proves that the next hop took the chunk (relays answer
 * hop by hop, RFC 4976, as may an SBC under CEMA), and the lab relay turns no downstream failure into a REPORT.
 */
export const SUCCESS_REPORT_WAIT_MS = 10_000;

export type CloseReason = 'bye-local' | 'bye-remote' | 'failed' | 'cancelled' | 'declined' | 'rejected' | 'msrp-error';

export interface ClosedEvent {
  reason: CloseReason;
  error?: ParleyError;
  /** SIP status when the session ended on a SIP failure response. */
  status?: number;
}

/** A chat message received in a session (protected = encrypted with the session keys). */
export interface ChatMessage extends ReceivedContent {
  /** CPIM From URI (checked against the E2E peer identity when protected). */
  from: string;
  fromDisplayName?: string;
  to?: string;
  msrpMessageId: string;
  mode: 'session';
}

/**
 * A chat message's result in a session: 'delivered' (the peer's MSRP Success-Report covered it), 'sent' (every chunk
 * got its 200, no report came in time), 'interrupted' or 'failed' (errorCode MSRP_SEND_FAILED, MSRP_TIMEOUT,
 * SESSION_CLOSED, SEND_INTERRUPTED, E2E_TOO_LARGE ...; code = the MSRP status); always with its IMDN and MSRP ids.
 */
export type SessionDelivery = DeliveryResult & {
  status: 'delivered' | 'sent' | 'failed' | 'interrupted';
  imdnMessageId: string;
  msrpMessageId: string;
  bytes: number;
};

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
