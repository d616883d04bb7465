// How one chat message (a CPIM document, RFC 3862) leaves the UE: page mode (RFC 3428 MESSAGE, sealed envelope) or an
// MSRP session (RFC 4975). The UE talks to this interface only, so session mode plugs in beside page mode.
import { ParleyError } from '../base/errors';
import type { SecurePage } from '../features/page/secure-page';

export interface OutgoingChat {
  peer: string;
  /** IMDN Message-ID and DateTime (ms) of the CPIM document. */
  messageId: string;
  dateTime: number;
  cpim: Uint8Array;
  /** The message text (session mode builds its own CPIM around it with the same Message-ID). */
  text: string;
  /** Seal end to end (false only under the 'prefer' / 'off' policies). */
  protect: boolean;
}

export type DeliveryResult =
  { status: 'stored' | 'sent'; code: number; reason: string } | { status: 'failed'; code: number; reason: string; errorCode: string };

export interface ChatTransport {
  readonly mode: 'page' | 'session';
  deliver(m: OutgoingChat): Promise<DeliveryResult>;
}

/** Page mode: one MESSAGE per chat message; 202 = stored by the network, 2xx = accepted by the peer's UE. */
export class PageChatTransport implements ChatTransport {
  readonly mode = 'page' as const;
  constructor(private readonly secure: SecurePage) {}

  async deliver(m: OutgoingChat): Promise<DeliveryResult> {
    const out = m.protect
      ? await this.secure.sendSealed(m.peer, m.messageId, m.dateTime, m.cpim)
      : await this.secure.sendPlain(m.peer, m.cpim);
    if (out.status === 'failed') return { status: 'failed', code: out.code, reason: out.reason, errorCode: out.errorCode };
    return { status: out.status === 'stored' ? 'stored' : 'sent', code: out.code, reason: out.reason };
  }
}

/** Session mode until the MSRP chat session manager is wired in: a clear typed error, never a silent fallback. */
export class UnavailableSessionTransport implements ChatTransport {
  readonly mode = 'session' as const;
  async deliver(): Promise<DeliveryResult> {
    throw sessionUnavailable();
  }
}

export function sessionUnavailable(): ParleyError {
  return new ParleyError('SESSION_UNAVAILABLE', 'Session mode (MSRP) is not available in this build yet; send in page mode.');
}
