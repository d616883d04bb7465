// JsSIP's RTCSession (the INVITE dialog: RFC 3261 INVITE/1xx/200/ACK/BYE/CANCEL) run with an MSRP SdpDriver through the
// RTCPeerConnection stand-in of peer-connection.ts: the one place features create it (docs/sessions.md "JsSIP adaptation").
import { createRequire } from 'node:module';
import type { SipUserAgent } from '../net/sip/ua';
import { DRIVER_KEY, withWebRtcGlobals, type SdpDriver } from './peer-connection';

/** The part of JsSIP's RTCSession that features drive. */
export interface RtcSession {
  on(ev: string, fn: (e: any) => void): void; // eslint-disable-line @typescript-eslint/no-explicit-any
  terminate(o?: { status_code?: number; reason_phrase?: string; extraHeaders?: string[] }): void;
  answer(o: Record<string, unknown>): void;
  init_incoming(req: unknown): void;
  isEnded(): boolean;
  /** RTCSession.C.STATUS_*. */
  readonly status: number;
}

const require = createRequire(import.meta.url);
/** JsSIP's RTCSession class (same module instance as the UA: both are required from the jssip package). */
const RTCSessionClass = require('jssip/lib/RTCSession') as new (ua: unknown) => RtcSession;

/** Send an INVITE whose SDP comes from `driver`; throws what JsSIP throws synchronously (bad target, UA stopped). */
export function inviteRtc(
  ua: SipUserAgent,
  target: string,
  driver: SdpDriver,
  extra: { extraHeaders?: string[]; eventHandlers?: Record<string, (e: any) => void> } = {}, // eslint-disable-line @typescript-eslint/no-explicit-any
): RtcSession {
  return withWebRtcGlobals(() =>
    (ua.jssip as unknown as { call(t: string, o: Record<string, unknown>): RtcSession }).call(target, {
      pcConfig: { [DRIVER_KEY]: driver },
      mediaConstraints: { audio: false, video: false },
      ...extra,
    }),
  );
}

/** A dialog for an incoming INVITE: call `init_incoming(raw request)` on it (JsSIP then sends 180). */
export function incomingRtc(ua: SipUserAgent): RtcSession {
  return new RTCSessionClass(ua.jssip);
}

/** 200 OK with `driver`'s answer (`extra`: extraHeaders and the like). */
export function answerRtc(rtc: RtcSession, driver: SdpDriver, extra: Record<string, unknown> = {}): void {
  withWebRtcGlobals(() => rtc.answer({ pcConfig: { [DRIVER_KEY]: driver }, mediaConstraints: { audio: false, video: false }, ...extra }));
}
