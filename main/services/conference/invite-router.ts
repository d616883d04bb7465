// Splits initial INVITEs between the conference client (focus invitations: Contact with isfocus, RFC 4579 s.5) and the
// handler installed before it on the same SipUserAgent (the one-to-one ChatSessionManager, the transfer manager).
import type { SipUserAgent } from '../../sip/ua';
import type { IncomingSipRequest } from '../../sip/incoming';
import { isFocusContact } from './focus-leg';

type Handler = (req: IncomingSipRequest) => void;

/**
 * Chain in front of the current INVITE handler (the convention the transfer manager uses too): focus invitations go to
 * `onFocus`, everything else to the previous handler (or 488 when there is none). Start this after the session manager,
 * which installs its handler without chaining. Returns an uninstall function that restores the previous handler if ours
 * is still the current one. A filter API on SipUserAgent would remove the ordering rule (docs/conferences.md s.6).
 */
export function routeFocusInvitations(ua: SipUserAgent, onFocus: Handler): () => void {
  const u = ua as unknown as { inviteHandler: Handler | null };
  const prev = u.inviteHandler ?? null;
  const mine: Handler = (req) => {
    if (isFocusContact(req.header('contact'))) return onFocus(req);
    if (prev) return prev(req);
    req.reply(488, 'Sessions Not Supported');
  };
  ua.setInviteHandler(mine);
  return () => { if (u.inviteHandler === mine) ua.setInviteHandler(prev); };
}
