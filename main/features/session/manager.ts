// MSRP chat sessions over SIP INVITE/SDP (RFC 4975 s.4/s.8, RFC 4976 relays, RFC 6135, RFC 3261 s.13/s.15): opens and
// receives sessions on one SipUserAgent over the account's MSRP endpoint; incoming sessions come through the default
// route of the account's INVITE router (docs/sessions.md).
import { EventEmitter } from 'node:events';
import { ParleyError, isParleyError } from '../../base/errors';
import type { SipUserAgent } from '../../net/sip/ua';
import type { IncomingSipRequest } from '../../net/sip/incoming';
import { ROUTE_PRIORITY } from '../../media/invite-router';
import { initCrypto } from '../../security/sodium';
import { normalizeAoR, normalizeTarget } from '../../security/aor';
import { incomingRtc, inviteRtc, type RtcSession } from '../../media/rtc-session';
import { OfferMedia, prepareAnswer, type AnswerMedia, type MediaContext, type OfferRejection } from '../../media/msrp-media';
import { ChatSession } from './chat-session';
import { IncomingChatSession } from './incoming';

export { IncomingChatSession };
import { SESSION_ANSWER_TIMEOUT_MS } from './types';
import type { E2EPolicy } from '../../media/types';
import type { MediaFeatureOptions } from '../../media/account-media';

/** JsSIP RTCSession.C.STATUS_1XX_RECEIVED. */
const RTC_STATUS_1XX_RECEIVED = 2;
/** A CANCEL waits at most this long for the callee's first provisional response. */
export const CANCEL_WAIT_FOR_1XX_MS = 4_000;

export interface ChatManagerOptions extends MediaFeatureOptions {
  /** Advertise another host/port in a=path than the listener's (NAT/ALG mapping; relies on CEMA, RFC 6714). */
  advertise?: { host?: string; port?: number };
  answerTimeoutMs?: number;
  /** Largest MSRP message accepted (a=max-size; default 16 MiB + E2E overhead). */
  maxMessageBytes?: number;
}

export interface OpenOptions {
  /** Abort before the answer: CANCEL (RFC 3261 s.9); open() rejects with SESSION_CANCELLED. */
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface ChatManagerEvents {
  incoming: [IncomingChatSession];
  error: [ParleyError];
}

export class ChatSessionManager extends EventEmitter<ChatManagerEvents> {
  readonly ua: SipUserAgent;
  private readonly opts: ChatManagerOptions;
  private readonly sessions = new Set<ChatSession>();
  private started = false;
  private stopping = false;
  private unroute: (() => void) | undefined;
  private readonly onEndpointError = (e: ParleyError) => this.report(e);

  constructor(opts: ChatManagerOptions) {
    super();
    this.opts = opts;
    this.ua = opts.ua;
  }

  get policy(): E2EPolicy {
    return this.opts.policy ?? 'require';
  }

  get localAor(): string {
    return this.ua.account.aor;
  }

  /** Open the account's MSRP endpoint (listeners, relay AUTH) and take the INVITEs nobody else claims. */
  async start(): Promise<void> {
    if (this.started) return;
    await initCrypto();
    const { endpoint, router } = this.opts;
    await endpoint.open();
    endpoint.on('error', this.onEndpointError);
    this.stopping = false;
    this.unroute = router.add({
      name: 'chat session',
      priority: ROUTE_PRIORITY.fallback,
      claims: () => true,
      handle: (req) =>
        this.onInvite(req).catch((e: unknown) => {
          this.report(isParleyError(e) ? e : new ParleyError('SESSION_INTERNAL', `INVITE handling failed: ${(e as Error).message}`));
          if (!req.replied) safeReply(req, 500);
        }),
    });
    this.started = true;
  }

  private context(): MediaContext {
    const ep = this.opts.endpoint;
    return {
      transport: (secure) => ep.transport(secure),
      relayPath: (secure) => ep.relayPath(secure),
      fingerprint: (secure) => ep.fingerprint(secure),
      offerSecure: ep.offerSecure(!!this.opts.tls),
      security: this.opts.security,
      policy: this.policy,
      advertise: this.opts.advertise,
      maxMessageBytes: this.opts.maxMessageBytes,
    };
  }

  /** INVITE with an MSRP offer to peerAor; resolves with the established session or rejects with a ParleyError. */
  async open(peerAor: string, o: OpenOptions = {}): Promise<ChatSession> {
    if (!this.started) throw new ParleyError('SESSION_NOT_STARTED', 'ChatSessionManager.start() first');
    const target = normalizeTarget(peerAor, this.localAor);
    const media = new OfferMedia(this.context(), target);
    const session = new ChatSession(this.localAor, target, 'outgoing', this.ua.account.displayName);
    media.onNegotiated = (n) => session.onNegotiated(n, true);
    let rtc: RtcSession;
    try {
      rtc = inviteRtc(this.ua, target, media);
    } catch (e) {
      media.close();
      throw new ParleyError('SESSION_INVITE_FAILED', `cannot send INVITE to ${target}: ${(e as Error).message}`, { target }, { cause: e });
    }
    const callId = (rtc as unknown as { _request?: { call_id?: string } })._request?.call_id ?? '';
    this.track(session, rtc, callId);
    let cancelled = false;
    const terminate = () => {
      try {
        if (!rtc.isEnded()) rtc.terminate();
      } catch {
        /* ended meanwhile */
      }
    };
    const cancel = () => {
      if (session.state !== 'connecting' || cancelled) return;
      cancelled = true;
      // RFC 3261 s.9.1: no CANCEL before a provisional response. JsSIP defers it itself but loses it when the 1xx
      // arrives after its local 'failed' (seen in the lab), so wait for the 1xx here (bounded).
      if (rtc.status < RTC_STATUS_1XX_RECEIVED) {
        const t = setTimeout(terminate, CANCEL_WAIT_FOR_1XX_MS);
        rtc.on('progress', () => {
          clearTimeout(t);
          terminate();
        });
      } else terminate();
    };
    o.signal?.addEventListener('abort', cancel, { once: true });
    const timer = setTimeout(cancel, o.timeoutMs ?? this.opts.answerTimeoutMs ?? SESSION_ANSWER_TIMEOUT_MS);
    timer.unref();
    rtc.on('failed', (e: JsSipFailed) => {
      const status = e.message?.status_code as number | undefined;
      if (media.failure) return session.teardown({ reason: 'failed', error: media.failure, status });
      if (cancelled || e.cause === 'Canceled') {
        return session.teardown({
          reason: 'cancelled',
          status,
          error: new ParleyError('SESSION_CANCELLED', 'the INVITE was cancelled before an answer', { status }),
        });
      }
      const warning = e.message?.getHeader?.('Warning');
      const peerCode = /"([A-Z0-9_]{3,})[:"]/.exec(warning ?? '')?.[1];
      const reason = status === 603 ? 'declined' : status ? 'rejected' : 'failed';
      session.teardown({
        reason,
        status,
        error: new ParleyError(
          status === 603 ? 'SESSION_DECLINED' : status ? 'SESSION_REJECTED' : 'SESSION_FAILED',
          `session to ${target} ${status ? `refused: ${status} ${e.message?.reason_phrase ?? ''}` : `failed: ${e.cause}`}${warning ? ` (${warning})` : ''}`,
          { status, cause: e.cause, warning, peerCode },
        ),
      });
    });
    try {
      await session.ready();
      return session;
    } finally {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', cancel);
    }
  }

  private track(session: ChatSession, rtc: RtcSession, callId: string): void {
    this.sessions.add(session);
    session.bindSip({
      callId,
      hangup: () => {
        if (rtc.isEnded()) return;
        try {
          rtc.terminate();
        } catch {
          /* already terminated */
        }
      },
    });
    rtc.on('ended', (e: { originator: string; cause: string }) => {
      session.teardown(
        e.originator === 'remote'
          ? { reason: 'bye-remote' }
          : e.originator === 'local'
            ? { reason: 'bye-local' }
            : { reason: 'failed', error: new ParleyError('SESSION_FAILED', `SIP session ended: ${e.cause}`, { cause: e.cause }) },
      );
    });
    session.once('closed', () => this.sessions.delete(session));
  }

  private async onInvite(req: IncomingSipRequest): Promise<void> {
    const judged = await this.judgeInvite(req);
    if ('status' in judged) {
      safeReply(req, judged.status, judged.reason, judged.headers);
      return;
    }
    const media = judged.media;
    const from = normalizeAoR(req.from);
    const session = new ChatSession(this.localAor, from, 'incoming', this.ua.account.displayName);
    const rtc = incomingRtc(this.ua);
    let incoming: IncomingChatSession | undefined;
    rtc.on('failed', (e: JsSipFailed) => {
      incoming?.markSettled();
      const cancelledByPeer = e.originator === 'remote' && e.cause === 'Canceled';
      const err = new ParleyError(
        cancelledByPeer ? 'SESSION_CANCELLED' : 'SESSION_FAILED',
        cancelledByPeer ? 'the caller cancelled' : `incoming session failed: ${e.cause}`,
        { cause: e.cause },
      );
      const declinedByUs = e.originator === 'local' && e.cause === 'Rejected';
      session.teardown({
        reason: cancelledByPeer ? 'cancelled' : declinedByUs ? 'declined' : 'failed',
        error: declinedByUs ? undefined : err,
      });
      if (cancelledByPeer) incoming?.emit('cancelled');
      else if (!declinedByUs && incoming && incoming.listenerCount('failed') > 0) incoming.emit('failed', err);
    });
    rtc.on('confirmed', () => {
      if (session.state === 'connecting') void session.attach().catch(() => {});
    });
    media.onNegotiated = (n) => session.onNegotiated(n, n.role === 'passive');
    try {
      rtc.init_incoming(req.raw);
    } catch (e) {
      media.close();
      throw e;
    }
    if (rtc.isEnded()) {
      media.close();
      return;
    }
    this.track(session, rtc, req.callId);
    incoming = new IncomingChatSession(session, rtc, media, from, req.fromDisplayName, req.callId);
    if (this.listenerCount('incoming') === 0) {
      incoming.decline(480, 'Temporarily Unavailable');
      return;
    }
    this.emit('incoming', incoming);
  }

  /** Decide what an initial INVITE gets before ringing. Never throws for bad input. */
  async judgeInvite(
    req: Pick<IncomingSipRequest, 'header' | 'body' | 'bodyText' | 'from'>,
  ): Promise<{ media: AnswerMedia } | { status: number; reason: string; headers: string[] }> {
    if (this.stopping) return { status: 480, reason: 'Temporarily Unavailable', headers: [] };
    const ct = req.header('content-type')?.trim().toLowerCase();
    if (req.body.length === 0)
      return reject488({ status: 488, code: 'SDP_MISSING', reason: 'INVITE without an SDP offer (offerless INVITEs are not supported)' });
    if (ct !== 'application/sdp') return { status: 415, reason: 'Unsupported Media Type', headers: ['Accept: application/sdp'] };
    let from: string;
    try {
      from = normalizeAoR(req.from);
    } catch {
      return reject488({ status: 488, code: 'SIP_BAD_FROM', reason: 'unusable From URI' });
    }
    const r = await prepareAnswer(this.context(), req.bodyText, from);
    if ('status' in r) return reject488(r);
    return { media: r };
  }

  /** Sessions currently open or being set up. */
  get activeSessions(): ChatSession[] {
    return [...this.sessions];
  }

  /** BYE every session and stop taking INVITEs (without another route they get 488 again). The endpoint stays open:
   *  its owner closes it. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const s of [...this.sessions]) s.close();
    this.unroute?.();
    this.unroute = undefined;
    this.opts.endpoint.off('error', this.onEndpointError);
    this.started = false;
  }

  private report(e: ParleyError): void {
    if (this.listenerCount('error') > 0) this.emit('error', e);
  }
}

interface JsSipFailed {
  originator: string;
  cause: string;
  message?: { status_code?: number; reason_phrase?: string; getHeader?: (n: string) => string | undefined } | null;
}

function reject488(r: OfferRejection): { status: number; reason: string; headers: string[] } {
  const text = `${r.code}: ${r.reason}`.replace(/["\\\r\n]/g, "'").slice(0, 200);
  return { status: r.status, reason: 'Not Acceptable Here', headers: [`Warning: 399 parley "${text}"`] };
}

function safeReply(req: IncomingSipRequest, status: number, reason?: string, headers: string[] = []): void {
  try {
    if (!req.replied) req.reply(status, reason, headers);
  } catch {
    /* transaction already gone */
  }
}
