// One MSRP chat session (RFC 4975) established by SIP INVITE: send with per-message outcome, CPIM/IMDN (RFC 3862,
// RFC 5438), is-composing (RFC 3994), E2E bodies (wire.ts), teardown (RFC 3261 s.15 BYE).
import { EventEmitter } from 'node:events';
import { ParleyError, isParleyError } from '../../base/errors';
import type { MsrpSession } from '../../protocol/msrp/session';
import type { SessionEvent } from '../../protocol/msrp/index';
import { buildChatCpim, serializeCpim, type ImdnDispositionRequest } from '../../protocol/formats/cpim';
import { newImdnMessageId } from '../../protocol/formats/imdn';
import { serializeIsComposing } from '../../protocol/formats/is-composing';
import { SendQueue, failedDelivery } from './send-queue';
import { EpochCipher } from './wire';
import { decodeInbound } from './inbound';
import { createMsrpSession, type Negotiated } from '../../media/msrp-media';
import { CPIM_TYPE, ISCOMPOSING_TYPE, MAX_CHAT_MESSAGE_BYTES } from '../../media/types';
import { attachLink, withinSetupDeadline } from '../../media/msrp-link';
import {
  type ChatMessage,
  type ClosedEvent,
  type DeliveryNotification,
  type SessionDelivery,
  type SessionInfo,
  type TypingEvent,
} from './types';

/** After the MSRP connection drops, wait this long for the SIP BYE before ending the session as 'msrp-error'. */
export const MSRP_LOSS_GRACE_MS = 2_000;
/** Relayed sessions: how long the active side waits for the peer's own binding SEND (a third-party peer sends none). */
export const RELAY_BIND_WAIT_MS = 5_000;

export interface ChatSessionEvents {
  established: [];
  message: [ChatMessage];
  typing: [TypingEvent];
  delivery: [DeliveryNotification];
  interrupted: [{ msrpMessageId: string }];
  closed: [ClosedEvent];
  error: [ParleyError];
}

export interface SendOptions {
  /** IMDN dispositions requested (default positive-delivery). */
  notifications?: ImdnDispositionRequest[];
  /** Ask for an MSRP Success-Report (default true): the outcome is then 'delivered'. */
  successReport?: boolean;
  /** Abort a message in flight: the rest is not sent, the peer sees an interrupted message ('#'). */
  signal?: AbortSignal;
  imdnMessageId?: string;
}

/** The SIP side, so the session can hang up without knowing JsSIP. */
export interface SipLeg {
  hangup(): void;
  callId: string;
}

export class ChatSession extends EventEmitter<ChatSessionEvents> {
  state: 'connecting' | 'established' | 'closed' = 'connecting';
  private msrp: MsrpSession | undefined;
  private neg: Negotiated | undefined;
  private cipher: EpochCipher | undefined;
  private readonly out = new SendQueue({
    state: () => this.state,
    ready: () => this.ready(),
    link: () => (this.msrp && this.neg ? { msrp: this.msrp, neg: this.neg, cipher: this.cipher } : undefined),
  });
  private attachPromise: Promise<void> | undefined;
  private sip: SipLeg | undefined;
  private closedEvent: ClosedEvent | undefined;

  constructor(
    readonly localAor: string,
    readonly peerAor: string,
    readonly direction: 'outgoing' | 'incoming',
    private readonly localDisplayName?: string,
  ) {
    super();
  }

  get info(): SessionInfo {
    return {
      peerAor: this.peerAor,
      direction: this.direction,
      protected: !!this.neg?.e2e,
      peerKeyState: this.neg?.peerKeyState,
      transport: this.neg?.secure ? 'msrps' : 'msrp',
      relayed: !!this.neg?.relayed,
      callId: this.sip?.callId ?? '',
    };
  }

  get protected(): boolean {
    return !!this.neg?.e2e;
  }

  get closed(): ClosedEvent | undefined {
    return this.closedEvent;
  }

  /** @internal the SIP leg (set by the manager right after the INVITE is created/received). */
  bindSip(leg: SipLeg): void {
    this.sip = leg;
  }

  /** @internal offer/answer done: create the MSRP endpoint; the passive side registers synchronously. */
  onNegotiated(n: Negotiated, attachNow: boolean): void {
    this.neg = n;
    if (n.e2e) this.cipher = new EpochCipher(n.e2e);
    const s = createMsrpSession(n);
    this.msrp = s;
    s.onEvent = (e) => this.onMsrpEvent(e);
    if (attachNow) this.attach();
  }

  /** @internal put the MSRP session on the wire (answerer-active: after the ACK). Resolves when bound. */
  attach(): Promise<void> {
    if (this.attachPromise) return this.attachPromise;
    const n = this.neg!;
    const attached = attachLink(n, this.msrp!).then(() => (n.relayed ? this.relayHandshake() : undefined));
    this.attachPromise = withinSetupDeadline(attached);
    this.attachPromise.then(
      () => {
        if (this.state !== 'connecting') return;
        this.state = 'established';
        this.emit('established');
        this.flushEarly();
      },
      (e: ParleyError) => this.fail(e, 'msrp-error'),
    );
    return this.attachPromise;
  }

  private peerBound = false;
  private onPeerBound: (() => void) | undefined;

  /**
   * Relays answer every SEND hop by hop, so a 200 to our binding SEND does not prove the path end to end. Both Parley
   * ends therefore wait for the peer's binding SEND: the passive side answers the peer's with its own; the active side
   * sends one (never again: a resend would hide a lost frame, docs/sessions.md) and accepts a peer that sends none
   * (third-party client) after RELAY_BIND_WAIT_MS. Messages lost on a broken path still fail visibly (no Success-Report).
   */
  private async relayHandshake(): Promise<void> {
    if (this.peerBound) return;
    const bound = new Promise<void>((resolve) => (this.onPeerBound = resolve));
    if (this.neg!.role === 'passive') return bound;
    await Promise.race([bound, new Promise<void>((r) => setTimeout(r, RELAY_BIND_WAIT_MS).unref())]);
  }

  /** Resolves once the MSRP connection is bound; rejects with the reason the session closed. */
  ready(): Promise<void> {
    if (this.state === 'established') return Promise.resolve();
    if (this.closedEvent)
      return Promise.reject(this.closedEvent.error ?? new ParleyError('SESSION_CLOSED', `session closed (${this.closedEvent.reason})`));
    return new Promise((resolve, reject) => {
      const onUp = () => {
        this.off('closed', onClosed);
        resolve();
      };
      const onClosed = (c: ClosedEvent) => {
        this.off('established', onUp);
        reject(c.error ?? new ParleyError('SESSION_CLOSED', `session closed (${c.reason})`, { status: c.status }));
      };
      this.once('established', onUp);
      this.once('closed', onClosed);
    });
  }

  // ------------------------------------------------------------------ sending

  /** Send a chat message (text, or any content type) wrapped in CPIM; resolves with its outcome, never rejects. */
  send(content: string | { contentType: string; body: Uint8Array | string }, opts: SendOptions = {}): Promise<SessionDelivery> {
    const imdnMessageId = opts.imdnMessageId ?? newImdnMessageId();
    let cpim: Uint8Array;
    try {
      const msg = buildChatCpim({
        from: this.localDisplayName ? { name: this.localDisplayName, uri: this.localAor } : this.localAor,
        to: [this.peerAor],
        messageId: imdnMessageId,
        notifications: opts.notifications ?? ['positive-delivery'],
        ...(typeof content === 'string' ? { text: content } : { content: { contentType: content.contentType, body: content.body } }),
      });
      cpim = serializeCpim(msg);
    } catch (e) {
      return Promise.resolve(failedDelivery(imdnMessageId, e));
    }
    return this.sendCpim(cpim, imdnMessageId, opts);
  }

  /** Send a CPIM document built by the caller (its imdn.Message-ID given); resolves with its outcome, never rejects. */
  sendCpim(cpim: Uint8Array, imdnMessageId: string, opts: Pick<SendOptions, 'successReport' | 'signal'> = {}): Promise<SessionDelivery> {
    if (cpim.length > MAX_CHAT_MESSAGE_BYTES) {
      return Promise.resolve(
        failedDelivery(
          imdnMessageId,
          new ParleyError(
            'SESSION_MESSAGE_TOO_LARGE',
            `message of ${cpim.length} bytes exceeds ${MAX_CHAT_MESSAGE_BYTES}; use file transfer`,
          ),
        ),
      );
    }
    return this.out.enqueue(cpim, CPIM_TYPE, imdnMessageId, opts.successReport ?? true, opts.signal);
  }

  /** Send an is-composing indication (RFC 3994) over the session. */
  async sendTyping(state: 'active' | 'idle'): Promise<SessionDelivery> {
    const doc = serializeIsComposing(state === 'active' ? { state, refresh: 90, contentType: 'text/plain' } : { state });
    const id = newImdnMessageId();
    if (!this.cipher) return this.out.enqueue(doc, ISCOMPOSING_TYPE, id, false);
    const cpim = serializeCpim(
      buildChatCpim({ from: this.localAor, to: [this.peerAor], messageId: id, content: { contentType: ISCOMPOSING_TYPE, body: doc } }),
    );
    return this.out.enqueue(cpim, CPIM_TYPE, id, false);
  }

  // ------------------------------------------------------------------ receiving

  private onMsrpEvent(e: SessionEvent): void {
    try {
      this.handleMsrpEvent(e);
    } catch (err) {
      this.report(
        isParleyError(err)
          ? err
          : new ParleyError('SESSION_INTERNAL', `handling ${e.type} failed: ${(err as Error).message}`, undefined, { cause: err }),
      );
    }
  }

  private handleMsrpEvent(e: SessionEvent): void {
    switch (e.type) {
      case 'message':
        this.onMessage(e.messageId, e.contentType, e.body ?? Buffer.alloc(0));
        return;
      case 'bound':
        if (this.neg?.relayed && this.neg.role === 'passive' && this.state !== 'closed') this.msrp?.sendBindRequest();
        if (!this.peerBound) {
          this.peerBound = true;
          this.onPeerBound?.();
        }
        return;
      case 'aborted':
        this.emit('interrupted', { msrpMessageId: e.messageId });
        return;
      case 'sent':
        return this.out.sent(e.messageId);
      case 'delivered':
        return this.out.delivered(e.messageId);
      case 'sendFailed':
        return this.out.sendFailed(e);
      case 'error':
        if (e.fatal) this.fail(e.error, 'msrp-error');
        else this.report(e.error);
        return;
      case 'closed':
        return this.onMsrpClosed(e.reason);
      default:
        return;
    }
  }

  /** The MSRP connection went away (transport/demux closed the session) while the SIP session may still be up. */
  private onMsrpClosed(reason: ParleyError): void {
    if (this.state === 'closed') return;
    // the peer's BYE usually races its connection close: give SIP a moment to tell the real reason
    setTimeout(() => {
      if (this.state !== 'closed')
        this.fail(new ParleyError('MSRP_CONNECTION_CLOSED', `MSRP connection lost: ${reason.message}`), 'msrp-error');
    }, MSRP_LOSS_GRACE_MS).unref();
  }

  private onMessage(msrpMessageId: string, contentType: string | undefined, body: Uint8Array): void {
    const r = decodeInbound(
      { cipher: this.cipher, authenticatedPeer: this.neg?.e2e?.peerAoR, peerAor: this.peerAor, localAor: this.localAor },
      msrpMessageId,
      contentType,
      body,
    );
    switch (r.kind) {
      case 'refused':
        if (r.fatal) this.fail(r.error, 'failed');
        else this.report(r.error);
        return;
      case 'typing':
        return this.deliver(() => this.emit('typing', r.event));
      case 'delivery':
        return this.deliver(() => this.emit('delivery', r.event));
      case 'message':
        this.deliver(() => this.emit('message', r.message));
        if (r.imdnReply) void this.out.enqueue(r.imdnReply, CPIM_TYPE, newImdnMessageId(), false);
    }
  }

  /**
   * The peer may send right after its side is up, before our accept()/open() promise handlers ran: hold app events
   * while connecting and replay them one macrotask after 'established', so listeners added on resolution see them.
   */
  private early: (() => void)[] | undefined = [];
  private deliver(fn: () => void): void {
    if (this.early) this.early.push(fn);
    else fn();
  }
  private flushEarly(): void {
    setImmediate(() => {
      const q = this.early ?? [];
      this.early = undefined;
      for (const f of q) f();
    });
  }

  // ------------------------------------------------------------------ teardown

  /** Hang up (BYE, or CANCEL while the INVITE is pending). */
  close(): void {
    if (this.state === 'closed') return;
    this.teardown({ reason: 'bye-local' }, true);
  }

  /** @internal end with an error: hang up the SIP leg too. */
  fail(error: ParleyError, reason: ClosedEvent['reason'] = 'failed'): void {
    if (this.state === 'closed') return;
    this.report(error);
    this.teardown({ reason, error }, true);
  }

  /** @internal the SIP session ended (BYE either way, failure, CANCEL): release MSRP and erase keys. */
  teardown(ev: ClosedEvent, hangup = false): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.closedEvent = ev;
    // BYE before the MSRP connection goes, so the peer learns the reason from SIP (JsSIP reports its own BYE as a
    // synchronous local 'ended', which finds the session already closed)
    if (hangup) this.sip?.hangup();
    if (this.msrp && this.neg) this.neg.transport.detach(this.msrp);
    else this.neg?.e2e?.destroy();
    this.cipher?.destroy();
    this.out.failAll(`session closed (${ev.reason})`);
    this.emit('closed', ev);
  }

  private report(e: ParleyError): void {
    if (this.listenerCount('error') > 0) this.emit('error', e);
  }
}
