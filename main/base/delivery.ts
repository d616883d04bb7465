// One delivery result for everything Parley sends (a page-mode MESSAGE, an MSRP chat message, a file, a room message),
// carried unchanged from the protocol layer up to the UE's message states (docs/architecture.md "Glossary").

/**
 * 'stored': the network keeps it for later delivery (SIP 202, store-and-forward). 'sent': a hop accepted it (SIP 2xx to
 * the MESSAGE, MSRP 200 for every chunk) - the recipient's UE may not have it yet. 'delivered': the recipient's UE
 * confirmed it (the MSRP Success-Report of the far endpoint; IMDN 'delivered' later for page mode). 'declined': the
 * recipient refused it (a file offer answered 603/488). 'cancelled': we or the peer gave up before the end.
 * 'interrupted': an MSRP message cut short ('#' chunk). 'failed': anything else that did not get through.
 */
export type DeliveryStatus = 'stored' | 'sent' | 'delivered' | 'declined' | 'cancelled' | 'interrupted' | 'failed';

export interface DeliveryResult {
  status: DeliveryStatus;
  /** SIP or MSRP status code that decided it (200, 202, 413, 481, 603 ...). */
  code?: number;
  reason?: string;
  /** Stable ParleyError code of a failure (SIP_FAILURE, MSRP_TIMEOUT, SESSION_CLOSED, FILE_TOO_LARGE ...). */
  errorCode?: string;
  /** IMDN Message-ID of the chat message (CPIM imdn.Message-ID, RFC 5438). */
  imdnMessageId?: string;
  /** MSRP Message-ID of the last MSRP message carrying it. */
  msrpMessageId?: string;
  /** File transfers: the transfer's id. */
  transferId?: string;
  /** Bytes put on the wire (chat body or file). */
  bytes?: number;
  /** Sent end-to-end protected. */
  protected?: boolean;
}
