// Delivery state machine for stored messages (RFC 3428 final responses, RFC 5438 IMDN): states only move forward.

export const MESSAGE_STATES = ['queued', 'sending', 'stored', 'sent', 'delivered', 'displayed', 'failed'] as const;
export type MessageState = (typeof MESSAGE_STATES)[number];

// Forward order. 'stored' = 202 Accepted (store-and-forward by the network), 'sent' = 2xx from the peer.
const RANK: Record<Exclude<MessageState, 'failed'>, number> = { queued: 0, sending: 1, stored: 2, sent: 3, delivered: 4, displayed: 5 };

/**
 * Whether `from -> to` is allowed. Late or reordered notifications (a 'delivered' IMDN after 'displayed', a 200 after a
 * 'delivered' IMDN) are simply not applied. 'failed' is reachable until the peer confirms delivery and is terminal:
 * only `retry` (failed -> queued) leaves it.
 */
export function canTransition(from: MessageState, to: MessageState): boolean {
  if (from === to) return false;
  if (from === 'failed') return false;
  if (to === 'failed') return RANK[from] < RANK.delivered;
  return RANK[to] > RANK[from];
}

export const TRANSFER_STATES = ['pending', 'active', 'done', 'failed', 'cancelled'] as const;
export type TransferState = (typeof TRANSFER_STATES)[number];
const TRANSFER_TERMINAL: ReadonlySet<TransferState> = new Set(['done', 'failed', 'cancelled']);

/** File transfers: pending -> active -> done, failed/cancelled from any non-terminal state; terminal states never change. */
export function canTransferTransition(from: TransferState, to: TransferState): boolean {
  if (from === to || TRANSFER_TERMINAL.has(from)) return false;
  return !(from === 'active' && to === 'pending');
}

export function isTransferTerminal(s: TransferState): boolean {
  return TRANSFER_TERMINAL.has(s);
}
