// Several listeners on one MsrpSession's single onEvent sink (RFC 4975 session events: message, progress, delivered ...).
import type { MsrpSession, SessionEvent } from '../../protocol/msrp/index';

/** Add a listener; returns a function removing it. Earlier handlers keep running first. */
export function onSessionEvent(session: MsrpSession, fn: (e: SessionEvent) => void): () => void {
  const prev = session.onEvent;
  let active = true;
  session.onEvent = (e) => {
    prev(e);
    if (active) fn(e);
  };
  return () => {
    active = false;
  };
}
