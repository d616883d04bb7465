// Splits initial INVITEs between the conference client (focus invitations: Contact with isfocus, RFC 4579 s.5) and the
// other INVITE handlers of the same SipUserAgent (the one-to-one ChatSessionManager, the transfer manager).
import type { SipUserAgent } from '../net/sip/ua';
import type { IncomingSipRequest } from '../net/sip/incoming';
import { isFocusContact } from '../features/conference/focus-leg';

type Handler = (req: IncomingSipRequest) => void;

/**
 * Claims focus invitations (Contact with isfocus) on the UA; every other INVITE goes on to the other claims and the
 * general handler (chat sessions). Returns the uninstall function.
 */
export function routeFocusInvitations(ua: SipUserAgent, onFocus: Handler): () => void {
  return ua.addInviteClaim((req) => {
    if (!isFocusContact(req.header('contact'))) return false;
    onFocus(req);
    return true;
  });
}
