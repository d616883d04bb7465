// Putting a negotiated file session on the wire (RFC 4975 s.5.4 binding SEND, RFC 6135 roles, RFC 4976 relayed paths).
import type { ParleyError } from '../../base/errors';
import { MsrpSession, type MsrpSessionOptions } from '../../protocol/msrp/index';
import { attachLink, withinSetupDeadline } from '../../media/msrp-link';
import type { FileLink } from './file-sdp';
import { onSessionEvent } from './session-events';

export function createFileSession(link: FileLink, extra: Partial<MsrpSessionOptions> = {}): MsrpSession {
  return new MsrpSession({
    localUri: link.localUri,
    toPath: link.toPath,
    cema: link.cema,
    chunkSize: link.chunkSize,
    acceptTypes: ['*'],
    ...extra,
  });
}

/**
 * Attach (passive: registers synchronously, so call before the SDP that makes the peer connect leaves). Resolves when the
 * session is usable end to end: direct = bound; relayed = the peer's binding SEND arrived (the passive side answers the
 * peer's binding SEND with its own; the active side sends one and never repeats it, so a lost frame fails the setup).
 */
export function attachFileSession(link: FileLink, session: MsrpSession): Promise<void> {
  let peerBound = false;
  let onBound: (() => void) | undefined;
  const off = onSessionEvent(session, (e) => {
    if (e.type !== 'bound') return;
    if (link.relayed && link.role === 'passive') session.sendBindRequest();
    peerBound = true;
    onBound?.();
  });
  const attached = attachLink(link, session);
  const ready = (async () => {
    await attached;
    if (!link.relayed) return;
    await new Promise<void>((r) => (peerBound ? r() : (onBound = r)));
  })();
  return withinSetupDeadline(ready).finally(off);
}

/** Learn when the session's connection goes away (the session's 'closed' event). */
export function onSessionClosed(session: MsrpSession, fn: (reason: ParleyError) => void): void {
  onSessionEvent(session, (e) => {
    if (e.type === 'closed') fn(e.reason);
  });
}
