// A ringing incoming MSRP session (RFC 3261 s.13.3 UAS): accept with the SDP answer, decline, or see the caller cancel.
import { EventEmitter } from 'node:events';
import { ParleyError } from '../../base/errors';
import { answerRtc, type RtcSession } from '../../media/rtc-session';
import type { AnswerMedia } from '../../media/msrp-media';
import type { ChatSession } from './chat-session';

/** A ringing incoming session: accept() or decline() it; 'cancelled' when the caller gave up first. */
export class IncomingChatSession extends EventEmitter<{ cancelled: []; failed: [ParleyError] }> {
  private settled = false;
  constructor(
    readonly session: ChatSession,
    private readonly rtc: RtcSession,
    private readonly media: AnswerMedia,
    readonly from: string,
    readonly fromDisplayName: string | null,
    readonly callId: string,
  ) {
    super();
  }
  get protected(): boolean {
    return !!this.media.negotiated.e2e;
  }
  get peerKeyState(): string | undefined {
    return this.media.negotiated.peerKeyState;
  }
  get pending(): boolean {
    return !this.settled && !this.rtc.isEnded();
  }
  /** 200 OK with our SDP answer; resolves when the MSRP connection is bound. */
  accept(): Promise<ChatSession> {
    if (this.settled)
      return Promise.reject(new ParleyError('SESSION_BAD_STATE', 'incoming session already accepted, declined or cancelled'));
    this.settled = true;
    answerRtc(this.rtc, this.media);
    return this.session.ready().then(() => this.session);
  }
  /** Refuse: 603 Decline by default (486 Busy Here, 480 ...). */
  decline(status = 603, reason?: string): void {
    if (this.settled) return;
    this.settled = true;
    try {
      this.rtc.terminate({ status_code: status, reason_phrase: reason });
    } catch {
      /* already ended (CANCEL crossed) */
    }
  }
  /** @internal */
  markSettled(): void {
    this.settled = true;
  }
}
