// The SIP side of one file transfer (RFC 3261 INVITE/BYE/CANCEL, RFC 3326 Reason, RFC 3261 s.20.43 Warning) on JsSIP's
// RTCSession with the MSRP RTCPeerConnection stand-in of main/features/session (docs/file-transfer.md s.2).
import { ParleyError } from '../../base/errors';
import { isErrorCode, type ErrorCode } from '../../base/error-codes';
import type { SipUserAgent } from '../../net/sip/ua';
import type { SdpDriver } from '../../media/peer-connection';
import { answerRtc, incomingRtc, inviteRtc, type RtcSession } from '../../media/rtc-session';

/** How the SIP leg ended. `code` is the registered Parley error code the peer put in Warning/Reason text, when any. */
export interface LegEnd {
  by: 'local' | 'remote' | 'system';
  /** SIP failure status (603, 488, 487 ...) when the INVITE failed. */
  status?: number;
  /** true once a 2xx was exchanged (BYE-ended), false for INVITE failures/cancels. */
  established: boolean;
  cancelled: boolean;
  text?: string;
  code?: ErrorCode;
}

type Msg = { status_code?: number; reason_phrase?: string; getHeader?: (n: string) => string | undefined } | null | undefined;

/** `Warning: 399 parley "FILE_TOO_LARGE: ..."` / `Reason: SIP;cause=603;text="FILE_TOO_LARGE: ..."` -> code + text.
 *  A code the registry does not know stays in the text only (the peer chose it, not us). */
export function parseReasonText(m: Msg): { code?: ErrorCode; text?: string } {
  const w = m?.getHeader?.('Warning') ?? m?.getHeader?.('Reason');
  if (!w) return {};
  const text = /"((?:[^"\\]|\\.)*)"/.exec(w)?.[1];
  const code = /^([A-Z][A-Z0-9_]{2,})(?::|$)/.exec(text ?? '')?.[1];
  return { code: isErrorCode(code) ? code : undefined, text };
}

/** Header values carrying our reason to the peer (quoted-string safe, bounded). */
export function reasonHeaders(cause: number, code: string, message: string, withWarning: boolean): string[] {
  const text = `${code}: ${message}`.replace(/["\\\r\n]/g, "'").slice(0, 200);
  const h = [`Reason: SIP;cause=${cause};text="${text}"`];
  if (withWarning) h.push(`Warning: 399 parley "${text}"`);
  return h;
}

export class SipLeg {
  private ended: LegEnd | undefined;
  private established = false;
  onEnd: (e: LegEnd) => void = () => {};
  onConfirmed: () => void = () => {};

  private constructor(private readonly rtc: RtcSession) {
    rtc.on('accepted', () => (this.established = true));
    rtc.on('confirmed', () => {
      this.established = true;
      this.onConfirmed();
    });
    rtc.on('failed', (e: { originator: string; cause: string; message?: Msg }) => {
      const r = parseReasonText(e.message);
      this.finish({
        by: e.originator === 'remote' ? 'remote' : e.originator === 'local' ? 'local' : 'system',
        status: e.message?.status_code,
        established: false,
        cancelled: e.cause === 'Canceled',
        ...r,
        text: r.text ?? e.message?.reason_phrase ?? e.cause,
      });
    });
    rtc.on('ended', (e: { originator: string; cause: string; message?: Msg }) => {
      this.finish({
        by: e.originator === 'remote' ? 'remote' : e.originator === 'local' ? 'local' : 'system',
        established: true,
        cancelled: false,
        ...parseReasonText(e.message),
      });
    });
  }

  private finish(e: LegEnd): void {
    if (this.ended) return;
    this.ended = e;
    this.onEnd(e);
  }

  get isEnded(): boolean {
    return !!this.ended || this.rtc.isEnded();
  }

  /** INVITE with the driver's offer. */
  static call(ua: SipUserAgent, target: string, driver: SdpDriver): SipLeg {
    try {
      return new SipLeg(inviteRtc(ua, target, driver));
    } catch (e) {
      throw new ParleyError('FILE_INVITE_FAILED', `cannot send INVITE to ${target}: ${(e as Error).message}`, { target }, { cause: e });
    }
  }

  /** Take over an incoming INVITE (JsSIP sends 180). */
  static incoming(ua: SipUserAgent, raw: unknown): SipLeg {
    const rtc = incomingRtc(ua);
    const leg = new SipLeg(rtc);
    rtc.init_incoming(raw);
    return leg;
  }

  /** 200 OK with the driver's answer. */
  answer(driver: SdpDriver): void {
    answerRtc(this.rtc, driver);
  }

  /** Decline a ringing INVITE (603 + Warning/Reason), CANCEL an outgoing one, or BYE an established one (Reason). */
  hangup(o: { status?: number; code?: string; message?: string } = {}): void {
    if (this.isEnded) return;
    const headers = o.code ? reasonHeaders(o.status ?? 200, o.code, o.message ?? '', !this.established) : [];
    try {
      if (this.established) this.rtc.terminate({ extraHeaders: headers });
      else
        this.rtc.terminate({
          status_code: o.status ?? 603,
          reason_phrase: o.status === 488 ? 'Not Acceptable Here' : undefined,
          extraHeaders: headers,
        });
    } catch {
      /* already ended */
    }
  }
}
