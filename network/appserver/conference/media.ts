// MSRP legs of the focus: one terminated MSRP session per participant (RFC 4975 s.5.4, RFC 6135 roles, RFC 7701 s.5 focus behaviour).
import { MsrpSession, newSessionId, formatMsrpUri, type SessionEvent } from '../../../main/protocol/msrp';
import { type MsrpTransport } from '../../../main/net/msrp';
import {
  answerMsrpOffer,
  buildMsrpOffer,
  msrpConnectsActively,
  parseMsrpMedia,
  type MsrpLocalCapabilities,
  type MsrpMedia,
} from '../../../main/protocol/sdp/msrp-sdp';
import { parseMsrpUri, type MsrpUri } from '../../../main/protocol/msrp/uri';
import { ParleyError } from '../../../main/base/errors';

/** RFC 7701 s.5: messages in a chat room are CPIM-wrapped so that the sender can be identified. */
export const ROOM_ACCEPT_TYPES = ['message/cpim'];
export const ROOM_WRAPPED_TYPES = ['*'];

export interface Leg {
  session: MsrpSession;
  /** Resolves when the participant's MSRP connection is up (binding SEND seen or our binding SEND answered). */
  ready: Promise<void>;
}

export interface FocusMediaOptions {
  maxMessageBytes: number;
  /** Our own Use-Path at an RFC 4976 relay (startAppServer's msrpRelay): relayed participants are served through it. */
  relayPath?: MsrpUri[];
  /** msrps listener (TCP/TLS/MSRP offers) and its certificate's sha-256 fingerprint ("AB:CD:..."). */
  tls?: { transport: MsrpTransport; fingerprint: string };
}

export class FocusMedia {
  private readonly maxMessageBytes: number;
  private readonly relayPath: MsrpUri[];
  private readonly tls?: { transport: MsrpTransport; fingerprint: string };
  private readonly owner = new WeakMap<MsrpSession, MsrpTransport>();

  constructor(
    readonly transport: MsrpTransport,
    o: FocusMediaOptions,
  ) {
    this.maxMessageBytes = o.maxMessageBytes;
    this.relayPath = o.relayPath ?? [];
    this.tls = o.tls;
  }

  /** A session was closed: by us (detach) or because its connection went away (a client that crashed sends no BYE). */
  onClosed: (session: MsrpSession) => void = () => {};

  private session(localUri: ReturnType<MsrpTransport['localUri']>, toPath: string[], checkFromPath = true): MsrpSession {
    const s = new MsrpSession({
      localUri,
      toPath,
      acceptTypes: ROOM_ACCEPT_TYPES,
      maxMessageBytes: this.maxMessageBytes,
      checkFromPath,
      chunkSize: 4096,
    });
    // MsrpSession has no 'closed' event; the transport closes sessions whose connection is gone through close()
    const close = s.close.bind(s);
    let done = false;
    s.close = (reason) => {
      close(reason);
      if (!done) {
        done = true;
        this.onClosed(s);
      }
    };
    return s;
  }

  /**
   * Answer a participant's offer. We prefer the passive role (a=setup:passive) so clients connect to us; an offer
   * that insists on being passive makes us connect. Returns undefined (488) when the offer is not acceptable.
   */
  answer(offerSdp: string, onEvent: (e: SessionEvent) => void): { sdp: string; leg: Leg } | { reject: string } {
    const sid = newSessionId();
    const tcpUri = this.transport.localUri(sid);
    const tlsUri = this.tls?.transport.localUri(sid);
    let offer: MsrpMedia | undefined;
    try {
      offer = parseMsrpMedia(offerSdp);
    } catch {
      /* answerMsrpOffer reports it */
    }
    // the relay client speaks msrp://, so only TCP offers go relay to relay
    const viaRelay = this.relayPath.length > 0 && !!offer && offer.transport === 'TCP/MSRP' && offer.path.length > 1;
    const relay = viaRelay ? this.relayPath.map(formatMsrpUri) : [];
    const endpoints: MsrpLocalCapabilities['endpoints'] = [
      { transport: 'TCP/MSRP', port: this.transport.port, path: [...relay, formatMsrpUri(tcpUri)] },
    ];
    if (this.tls && tlsUri) endpoints.push({ transport: 'TCP/TLS/MSRP', port: this.tls.transport.port, path: [formatMsrpUri(tlsUri)] });
    const a = answerMsrpOffer(offerSdp, {
      endpoints,
      acceptTypes: ROOM_ACCEPT_TYPES,
      acceptWrappedTypes: ROOM_WRAPPED_TYPES,
      maxSize: this.maxMessageBytes,
      setup: 'passive',
      fingerprints: this.tls ? [{ algorithm: 'sha-256', value: this.tls.fingerprint }] : undefined,
    });
    if ('reject' in a) return { reject: a.reason };
    const secure = a.local.transport === 'TCP/TLS/MSRP';
    const transport = secure && this.tls ? this.tls.transport : this.transport;
    const session = this.session(secure && tlsUri ? tlsUri : tcpUri, [...relay, ...a.remote.path]);
    this.owner.set(session, transport);
    session.onEvent = onEvent;
    const active = msrpConnectsActively(a.local, a.remote, false);
    const fp = a.remote.fingerprints.find((f) => f.algorithm === 'sha-256');
    // through our relay the session rides on the relay connection (RFC 4976): nothing to listen for or connect to.
    // msrps: the peer's certificate must match its a=fingerprint (RFC 8122); without one, any certificate is taken
    const ready = transport.attach(session, {
      role: active ? 'active' : 'passive',
      viaRelay,
      remoteFingerprint: secure && fp ? `sha-256 ${fp.value}` : undefined,
    });
    ready.catch(() => {});
    return { sdp: a.sdp, leg: { session, ready } };
  }

  /**
   * Offer for an invitation. The session is listening before the INVITE leaves (the invitee may connect as soon as it
   * answers, before its 200 reaches us); the peer path is filled in from the answer by `completeOffer`.
   */
  offer(onEvent: (e: SessionEvent) => void): { sdp: string; session: MsrpSession; ready: Promise<void> } {
    const localUri = this.transport.localUri(newSessionId());
    const sdp = buildMsrpOffer({
      port: this.transport.port,
      transport: 'TCP/MSRP',
      path: [formatMsrpUri(localUri)],
      acceptTypes: ROOM_ACCEPT_TYPES,
      acceptWrappedTypes: ROOM_WRAPPED_TYPES,
      maxSize: this.maxMessageBytes,
      setup: 'actpass',
    });
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
    try {
      remote = parseMsrpMedia(answerSdp);
    } catch (e) {
      throw new ParleyError('AS_BAD_ANSWER', `invitee answer: ${(e as Error).message}`);
    }
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
    (this.owner.get(session) ?? this.transport).detach(session);
  }
}
