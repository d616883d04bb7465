// Page mode (RFC 3428 SIP MESSAGE) or session mode (RFC 4975 MSRP) for the next message of a conversation (RFC 3428 s.5/s.7).

/** RFC 3428 s.7: MESSAGE bodies should stay below 1300 bytes unless the path is known to be congestion controlled. */
export const PAGE_MODE_MAX_BYTES = 1300;

export type MessagingMode = 'page' | 'session';

export interface ModeInput {
  /** Whether the conversation already has an established MSRP session. */
  openSession?: boolean;
  /** Size of the payload to send (bytes, before any encryption or CPIM wrapping). */
  payloadBytes: number;
  /** The user's explicit choice; wins over everything else. */
  userOverride?: MessagingMode | null;
}

/**
 * Picks the mode for one message: user override > open session (keep using it) > size (above 1300 bytes: session,
 * RFC 3428 s.7 guidance) > page mode for a single short message.
 */
export function pickMode(i: ModeInput): MessagingMode {
  if (i.userOverride === 'page' || i.userOverride === 'session') return i.userOverride;
  if (i.openSession) return 'session';
  if (!Number.isFinite(i.payloadBytes) || i.payloadBytes < 0)
    throw new RangeError(`payloadBytes must be a non-negative number, got ${i.payloadBytes}`);
  return i.payloadBytes > PAGE_MODE_MAX_BYTES ? 'session' : 'page';
}
