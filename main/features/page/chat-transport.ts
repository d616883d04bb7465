// Page mode as a chat transport (RFC 3428): one MESSAGE per chat message, sealed in the one-pass envelope when protected.
import type { DeliveryResult } from '../../base/delivery';
import type { ChatTransport, OutgoingChat } from '../feature';
import type { SecurePage } from './secure-page';

/** 202 = stored by the network, other 2xx = sent (the IMDN from the recipient's UE says 'delivered' later). */
export class PageChatTransport implements ChatTransport {
  readonly mode = 'page' as const;
  constructor(private readonly secure: SecurePage) {}

  deliver(m: OutgoingChat): Promise<DeliveryResult> {
    return m.protect ? this.secure.sendSealed(m.peer, m.messageId, m.dateTime, m.cpim) : this.secure.sendPlain(m.peer, m.cpim);
  }
}
