// Splits initial INVITEs between the conference client (focus invitations: Contact with isfocus, RFC 4579 s.5) and
// whoever else handles INVITEs on the UA (the one-to-one ChatSessionManager). Installed on one SipUserAgent instance.
import type { SipUserAgent } from '../../sip/ua';
import type { IncomingSipRequest } from '../../sip/incoming';
import { isFocusContact } from './focus-leg';

type Handler = (req: IncomingSipRequest) => void;

interface RoutedUa {
  setInviteHandler(h: Handler | null): void;
  parleyFocusRouter?: { onFocus: Handler | null; fallback: Handler | null };
}

/**
 * Route focus invitations to `onFocus`; every other INVITE goes to the handler set with ua.setInviteHandler (before or
 * after this call), or gets 488 as before. Returns an uninstall function. Workaround until SipUserAgent offers an
 * invite filter (docs/conferences.md "Changes outside this folder").
 */
export function routeFocusInvitations(ua: SipUserAgent, onFocus: Handler): () => void {
  const u = ua as unknown as RoutedUa & { inviteHandler?: Handler | null };
  if (u.parleyFocusRouter) {
    u.parleyFocusRouter.onFocus = onFocus;
    return () => { if (u.parleyFocusRouter) u.parleyFocusRouter.onFocus = null; };
  }
  const proto = Object.getPrototypeOf(ua) as RoutedUa;
  const original = proto.setInviteHandler.bind(ua);
  const state = { onFocus: onFocus as Handler | null, fallback: (u.inviteHandler ?? null) as Handler | null };
  u.parleyFocusRouter = state;
  const dispatch: Handler = (req) => {
    if (state.onFocus && isFocusContact(req.header('contact'))) return state.onFocus(req);
    if (state.fallback) return state.fallback(req);
    req.reply(488, 'Sessions Not Supported');
  };
  u.setInviteHandler = (h) => { state.fallback = h; };
  original(dispatch);
  return () => { state.onFocus = null; };
}
