// An object with the RTCPeerConnection shape that produces/consumes MSRP SDP (RFC 3264 offer/answer), so JsSIP's RTCSession
// runs INVITE/200/ACK/BYE/CANCEL/re-INVITE unchanged under Node (docs/sessions.md "JsSIP adaptation").
import { ParleyError } from '../base/errors';

/** What the MSRP media layer supplies for one SIP session; the stand-in calls it in RTCPeerConnection order. */
export interface SdpDriver {
  /** SDP of our offer (initial INVITE, or a re-offer in a stable state: the same media again). */
  createOffer(): string;
  /** SDP of our answer to the offer given to applyRemote('offer', ...). */
  createAnswer(): string;
  /** Consume the peer's SDP; reject (ParleyError) when it is not acceptable: JsSIP then answers/ends with 488. */
  applyRemote(type: 'offer' | 'answer', sdp: string): Promise<void>;
  /** The SIP session is over (JsSIP closes its peer connection). */
  close(): void;
}

/** pcConfig key under which the driver travels through JsSIP's shallow copy of pcConfig. */
export const DRIVER_KEY = 'parleyMsrpDriver';

export class MsrpSessionDescription {
  readonly type: 'offer' | 'answer';
  readonly sdp: string;
  constructor(init: { type: 'offer' | 'answer'; sdp: string }) {
    this.type = init.type;
    this.sdp = init.sdp;
  }
  toJSON(): { type: string; sdp: string } {
    return { type: this.type, sdp: this.sdp };
  }
}

type Listener = (ev: unknown) => void;
type SignalingState = 'stable' | 'have-local-offer' | 'have-remote-offer' | 'closed';

/** RTCPeerConnection stand-in: no ICE (gathering is always complete), no tracks, SDP from the driver. */
export class MsrpPeerConnection {
  readonly driver: SdpDriver;
  signalingState: SignalingState = 'stable';
  readonly iceGatheringState = 'complete';
  iceConnectionState = 'connected';
  connectionState = 'connected';
  localDescription: MsrpSessionDescription | null = null;
  remoteDescription: MsrpSessionDescription | null = null;
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(config?: Record<string, unknown>) {
    const d = config?.[DRIVER_KEY] as SdpDriver | undefined;
    if (!d || typeof d.createOffer !== 'function') {
      throw new ParleyError('SESSION_NO_DRIVER', 'RTCPeerConnection stand-in created without an MSRP driver (pcConfig.parleyMsrpDriver)');
    }
    this.driver = d;
  }

  addEventListener(type: string, fn: Listener): void {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type)!.add(fn);
  }
  removeEventListener(type: string, fn: Listener): void {
    this.listeners.get(type)?.delete(fn);
  }

  async createOffer(): Promise<MsrpSessionDescription> {
    this.assertOpen();
    return new MsrpSessionDescription({ type: 'offer', sdp: this.driver.createOffer() });
  }

  async createAnswer(): Promise<MsrpSessionDescription> {
    this.assertOpen();
    if (this.signalingState !== 'have-remote-offer')
      throw new ParleyError('SESSION_BAD_STATE', `createAnswer in state ${this.signalingState}`);
    return new MsrpSessionDescription({ type: 'answer', sdp: this.driver.createAnswer() });
  }

  async setLocalDescription(desc: { type: 'offer' | 'answer'; sdp: string }): Promise<void> {
    this.assertOpen();
    this.localDescription = new MsrpSessionDescription(desc);
    this.signalingState = desc.type === 'offer' ? 'have-local-offer' : 'stable';
  }

  async setRemoteDescription(desc: { type: 'offer' | 'answer'; sdp: string }): Promise<void> {
    this.assertOpen();
    if (desc.type !== 'offer' && desc.type !== 'answer')
      throw new ParleyError('SESSION_BAD_STATE', `unsupported description type ${String(desc.type)}`);
    await this.driver.applyRemote(desc.type, desc.sdp);
    this.remoteDescription = new MsrpSessionDescription(desc);
    this.signalingState = desc.type === 'offer' ? 'have-remote-offer' : 'stable';
  }

  getSenders(): unknown[] {
    return [];
  }
  getReceivers(): unknown[] {
    return [];
  }
  getLocalStreams(): unknown[] {
    return [];
  }
  getRemoteStreams(): unknown[] {
    return [];
  }
  addTrack(): never {
    throw new ParleyError('SESSION_NO_MEDIA_TRACKS', 'MSRP sessions carry no audio/video tracks');
  }
  close(): void {
    if (this.signalingState === 'closed') return;
    this.signalingState = 'closed';
    this.iceConnectionState = 'closed';
    this.connectionState = 'closed';
    this.driver.close();
  }

  private assertOpen(): void {
    if (this.signalingState === 'closed') throw new ParleyError('SESSION_CLOSED', 'peer connection closed');
  }
}

interface WebRtcGlobals {
  window?: unknown;
  RTCPeerConnection?: unknown;
  RTCSessionDescription?: unknown;
}

/**
 * JsSIP reads `window.RTCPeerConnection` (RTCSession.connect) and constructs `RTCPeerConnection` (synchronously in
 * connect()/answer()) and `RTCSessionDescription` (later, in promise callbacks) as globals. `window` and
 * `RTCPeerConnection` are defined only for the duration of `fn` (so no other library ever sees a browser-like `window`);
 * `RTCSessionDescription` (a plain data class) stays installed when absent.
 */
export function withWebRtcGlobals<T>(fn: () => T): T {
  const g = globalThis as WebRtcGlobals;
  if (g.RTCSessionDescription === undefined) g.RTCSessionDescription = MsrpSessionDescription;
  const hadWindow = Object.prototype.hasOwnProperty.call(g, 'window');
  const prevWindow = g.window;
  const hadPc = Object.prototype.hasOwnProperty.call(g, 'RTCPeerConnection');
  const prevPc = g.RTCPeerConnection;
  g.RTCPeerConnection = MsrpPeerConnection;
  if (!hadWindow) g.window = { RTCPeerConnection: MsrpPeerConnection };
  try {
    return fn();
  } finally {
    if (hadPc) g.RTCPeerConnection = prevPc;
    else delete g.RTCPeerConnection;
    if (!hadWindow) delete g.window;
    else g.window = prevWindow;
  }
}
