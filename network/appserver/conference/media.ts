// MSRP legs of the focus: one terminated MSRP session per participant (RFC 4975 s.5.4, RFC 6135 roles, RFC 7701 s.5 focus behaviour).
import { MsrpSession, MsrpTransport, newSessionId, formatMsrpUri, type SessionEvent } from '../../../main/msrp';
import { answerMsrpOffer, buildMsrpOffer, msrpConnectsActively, parseMsrpMedia, type MsrpMedia } from '../../../main/sdp/msrp-sdp';
import { parseMsrpUri, type MsrpUri } from '../../../main/msrp/uri';
import { ParleyError } from '../../../main/util/errors';

/** RFC 7701 s.5: messages in a chat room are CPIM-wrapped so that the sender can be identified. */
export const ROOM_ACCEPT_TYPES = ['message/cpim'];
export const ROOM_WRAPPED_TYPES = ['*'];

export interface Leg {
  session: MsrpSession;
  /** Resolves when the participant's MSRP connection is up (binding SEND seen or our binding SEND answered). */
  ready: Promise<void>;
}

export class FocusMedia {
  /**
   * `relayPath`: our own Use-Path at an RFC 4976 relay (see startAppServer's msrpRelay). Participants whose a=path
   * starts with a relay are served through it (relay to relay), others directly.
   */
  constructor(readonly transport: MsrpTransport, private readonly maxMessageBytes: number, private readonly relayPath: MsrpUri[] = []) {}

  /** A session was closed: by us (detach) or because its connection went away (a client that crashed sends no BYE). */
  onClosed: (session: MsrpSession) => void = () => {};

  private session(localUri: ReturnType<MsrpTransport['localUri']>, toPath: string[], checkFromPath = true): MsrpSession {
    const s = new MsrpSession({ localUri, toPath, acceptTypes: ROOM_ACCEPT_TYPES, maxMessageBytes: this.maxMessageBytes, checkFromPath, chunkSize: 4096 });
    // MsrpSession has no 'closed' event; the transport closes sessions whose connection is gone through close()
    const close = s.close.bind(s);
    let done = false;
    s.close = (reason) => {
      close(reason);
      if (!done) { done = true; this.onClosed(s); }
    };
    return s;
  }

  /**
   * Answer a participant's offer. We prefer the passive role (a=setup:passive) so clients connect to us; an offer
   * that insists on being passive makes us connect. Returns undefined (488) when the offer is not acceptable.
   */
  answer(offerSdp: string, onEvent: (e: SessionEvent) => void): { sdp: string; leg: Leg } | { reject: string } {
    const localUri = this.transport.localUri(newSessionId());
    let viaRelay = false;
    try { viaRelay = this.relayPath.length > 0 && parseMsrpMedia(offerSdp).path.length > 1; } catch { /* answerMsrpOffer reports it */ }
    const own = [...(viaRelay ? this.relayPath.map(formatMsrpUri) : []), formatMsrpUri(localUri)];
    const a = answerMsrpOffer(offerSdp, {
      endpoints: [{ transport: 'TCP/MSRP', port: this.transport.port, path: own }],
      acceptTypes: ROOM_ACCEPT_TYPES, acceptWrappedTypes: ROOM_WRAPPED_TYPES, maxSize: this.maxMessageBytes, setup: 'passive',
    });
    if ('reject' in a) return { reject: a.reason };
    const session = this.session(localUri, [...(viaRelay ? this.relayPath.map(formatMsrpUri) : []), ...a.remote.path]);
    session.onEvent = onEvent;
    const active = msrpConnectsActively(a.local, a.remote, false);
    // through our relay the session rides on the relay connection (RFC 4976): nothing to listen for or connect to
    const ready = this.transport.attach(session, { role: active ? 'active' : 'passive', viaRelay });
    ready.catch(() => {});
    return { sdp: a.sdp, leg: { session, ready } };
  }

  /**
   * Offer for an invitation. The session is listening before the INVITE leaves (the invitee may connect as soon as it
   * answers, before its 200 reaches us); the peer path is filled in from the answer by `completeOffer`.
   */
  offer(onEvent: (e: SessionEvent) => void): { sdp: string; session: MsrpSession; ready: Promise<void> } {
    const localUri = this.transport.localUri(newSessionId());
    const sdp = buildMsrpOffer({ port: this.transport.port, transport: 'TCP/MSRP', path: [formatMsrpUri(localUri)], acceptTypes: ROOM_ACCEPT_TYPES,
      acceptWrappedTypes: ROOM_WRAPPED_TYPES, maxSize: this.maxMessageBytes, setup: 'actpass' });
    // peer unknown yet: From-Path is not checked (the 120-bit session id in our URI is the capability)
    const session = this.session(localUri, [formatMsrpUri(localUri)], false);
    session.onEvent = onEvent;
    const ready = this.transport.attach(session, { role: 'passive' });
    ready.catch(() => {});
    return { sdp, session, ready };
  }

  /** Apply the invitee's answer; returns the leg (connecting actively when the answer says passive). */
  completeOffer(o: { session: MsrpSession; ready: Promise<void>; sdp: string }, answerSdp: string): Leg {
    let remote: MsrpMedia;
    try { remote = parseMsrpMedia(answerSdp); } catch (e) { throw new ParleyError('AS_BAD_ANSWER', `invitee answer: ${(e as Error).message}`); }
    o.session.toPath.splice(0, o.session.toPath.length, ...remote.path.map((p) => parseMsrpUri(p)));
    const own = parseMsrpMedia(o.sdp);
    if (msrpConnectsActively(own, remote, true)) {
      // the invitee wants to be connected to: a fresh session (the listening one is closed by detach)
      const onEvent = o.session.onEvent;
      this.transport.detach(o.session);
      const session = this.session(o.session.localUri, remote.path);
      session.onEvent = onEvent;
      const ready = this.transport.attach(session, { role: 'active' });
      ready.catch(() => {});
      return { session, ready };
    }
    return { session: o.session, ready: o.ready };
  }

  close(session: MsrpSession): void {
    this.transport.detach(session);
  }
}
