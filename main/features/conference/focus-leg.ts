// One participant leg to a chat-room focus: SIP INVITE (RFC 3261; RFC 4579 s.5 factory URI + isfocus; RFC 5366 invite
// list in a multipart body) and the hop-by-hop MSRP session to the focus (RFC 4975, RFC 7701 s.5). No a=key-mgmt here:
// the focus holds no keys; room E2E is done in the payloads (group-e2e.ts).
import { EventEmitter } from 'node:events';
import { ParleyError } from '../../base/errors';
import type { SipUserAgent } from '../../net/sip/ua';
import type { IncomingSipRequest } from '../../net/sip/incoming';
import { MsrpSession, formatMsrpUri, type SessionEvent } from '../../protocol/msrp';
import { type MsrpTransport } from '../../net/msrp';
import { answerMsrpOffer, buildMsrpOffer, parseMsrpMedia } from '../../protocol/sdp/msrp-sdp';
import { buildMultipart } from '../../protocol/formats/multipart';
import { RESOURCE_LISTS_CONTENT_TYPE, serializeResourceList } from '../../protocol/formats/resource-lists';
import type { SdpDriver } from '../../media/peer-connection';
import { answerRtc, incomingRtc, inviteRtc, type RtcSession as Rtc } from '../../media/rtc-session';
import { JOIN_TIMEOUT_MS, ROOM_ACCEPT_TYPES, ROOM_CHUNK_BYTES, ROOM_MAX_MESSAGE_BYTES, ROOM_WRAPPED_TYPES } from './types';

interface JsSipResponse {
  status_code?: number;
  reason_phrase?: string;
  getHeader?(n: string): string | undefined;
}

export interface LegContext {
  ua: SipUserAgent;
  transport: MsrpTransport;
  maxMessageBytes?: number;
}

export interface LegClosed {
  reason: 'bye-local' | 'bye-remote' | 'failed';
  error?: ParleyError;
}

export interface FocusLegEvents {
  closed: [LegClosed];
}

/** MSRP events held until the room attaches (the focus flushes queued messages the moment we connect). */
export const EARLY_EVENTS_MAX = 1024;

/** Room URI from the focus's Contact (RFC 4579 s.5: the conference URI is the Contact's user part in our domain). */
export function roomUriFromContact(contact: string | undefined, domain: string): string | undefined {
  const user = /<?sips?:([^@;>]+)@/i.exec(contact ?? '')?.[1];
  return user ? `sip:${user}@${domain}` : undefined;
}

/** RFC 4579 s.5: a Contact with the isfocus feature parameter. */
export function isFocusContact(contact: string | undefined): boolean {
  if (!contact) return false;
  const params = contact.includes('>') ? contact.slice(contact.lastIndexOf('>') + 1) : contact;
  return /(^|;)\s*isfocus\s*(=|;|$)/i.test(params);
}

/** SDP + MSRP of one leg; always the active (connecting) side: the focus listens (docs/conferences.md s.1). */
class LegMedia implements SdpDriver {
  session: MsrpSession | undefined;
  readonly local;
  answerSdp: string | undefined;
  constructor(
    private readonly ctx: LegContext,
    private readonly offerSdp?: string,
  ) {
    this.local = ctx.transport.localUri();
    if (offerSdp !== undefined) {
      const a = answerMsrpOffer(offerSdp, {
        endpoints: [{ transport: 'TCP/MSRP', port: this.local.port ?? 9, path: [formatMsrpUri(this.local)] }],
        acceptTypes: ROOM_ACCEPT_TYPES,
        acceptWrappedTypes: ROOM_WRAPPED_TYPES,
        maxSize: this.maxBytes,
        setup: 'active',
      });
      if ('reject' in a) throw new ParleyError('CONF_BAD_OFFER', `focus offer not acceptable: ${a.reason}`);
      if (a.local.setup !== 'active') throw new ParleyError('CONF_BAD_OFFER', 'the focus insists on connecting to us; not supported');
      this.answerSdp = a.sdp;
      this.session = this.makeSession(a.remote.path);
    }
  }
  private get maxBytes(): number {
    return this.ctx.maxMessageBytes ?? ROOM_MAX_MESSAGE_BYTES;
  }
  private makeSession(path: string[]): MsrpSession {
    return new MsrpSession({
      localUri: this.local,
      toPath: path,
      acceptTypes: ROOM_ACCEPT_TYPES,
      chunkSize: ROOM_CHUNK_BYTES,
      maxMessageBytes: this.maxBytes,
    });
  }
  createOffer(): string {
    return buildMsrpOffer({
      port: this.local.port ?? 9,
      transport: 'TCP/MSRP',
      path: [formatMsrpUri(this.local)],
      acceptTypes: ROOM_ACCEPT_TYPES,
      acceptWrappedTypes: ROOM_WRAPPED_TYPES,
      maxSize: this.maxBytes,
      setup: 'active',
      address: this.local.host,
    });
  }
  createAnswer(): string {
    if (!this.answerSdp) throw new ParleyError('CONF_BAD_STATE', 'no offer to answer');
    return this.answerSdp;
  }
  async applyRemote(type: 'offer' | 'answer', sdp: string): Promise<void> {
    if (type === 'offer') {
      if (this.offerSdp === undefined || (sdp !== this.offerSdp && this.session)) return; // re-INVITE: keep the media
      return;
    }
    if (this.session) return;
    const remote = parseMsrpMedia(sdp);
    if (remote.setup === 'active') throw new ParleyError('CONF_BAD_ANSWER', 'the focus wants to connect to us; not supported');
    this.session = this.makeSession(remote.path);
  }
  close(): void {}
}

export class FocusLeg extends EventEmitter<FocusLegEvents> {
  state: 'connecting' | 'up' | 'closed' = 'connecting';
  private closedWith: LegClosed | undefined;
  private readonly pending = new Map<string, (r: { ok: boolean; status?: number; reason?: string }) => void>();
  private sink: ((e: SessionEvent) => void) | undefined;
  private early: SessionEvent[] = [];

  private constructor(
    private readonly ctx: LegContext,
    private readonly rtc: Rtc,
    private readonly media: LegMedia,
    readonly roomUri: string,
    readonly callId: string,
  ) {
    super();
    rtc.on('ended', (e: { originator: string; cause: string }) =>
      this.finish(
        e.originator === 'local'
          ? { reason: 'bye-local' }
          : e.originator === 'remote'
            ? { reason: 'bye-remote' }
            : { reason: 'failed', error: new ParleyError('CONF_LEG_FAILED', `SIP dialog ended: ${e.cause}`) },
      ),
    );
  }

  get msrp(): MsrpSession {
    if (!this.media.session) throw new ParleyError('CONF_BAD_STATE', 'MSRP session not negotiated');
    return this.media.session;
  }

  get closed(): LegClosed | undefined {
    return this.closedWith;
  }

  /** INVITE the factory (new room, optional invite list) or a room URI; resolves once the MSRP connection is bound. */
  static async dial(
    ctx: LegContext,
    target: string,
    o: { invitees?: string[]; subject?: string; timeoutMs?: number; domain: string },
  ): Promise<FocusLeg> {
    const media = new LegMedia(ctx);
    let rtc!: Rtc;
    let timedOut = false;
    const answered = new Promise<{ contact?: string }>((resolve, reject) => {
      const extraHeaders = o.subject ? [`Subject: ${o.subject.replace(/[\r\n]/g, ' ')}`] : [];
      const eventHandlers = {
        // RFC 5366: the invite list travels next to the SDP offer in multipart/mixed (JsSIP lets us mangle the body here)
        sending: (e: { request: { body: string; setHeader(n: string, v: string): void } }) => {
          if (!o.invitees?.length) return;
          const mp = buildMultipart([
            { headers: [{ name: 'Content-Type', value: 'application/sdp' }], body: Buffer.from(e.request.body) },
            {
              headers: [
                { name: 'Content-Type', value: RESOURCE_LISTS_CONTENT_TYPE },
                { name: 'Content-Disposition', value: 'recipient-list' },
              ],
              body: serializeResourceList(o.invitees.map((uri) => ({ uri }))),
            },
          ]);
          e.request.setHeader('content-type', mp.contentType);
          e.request.body = Buffer.from(mp.body).toString('utf8');
        },
        accepted: (e: { response?: JsSipResponse }) => resolve({ contact: e.response?.getHeader?.('contact') }),
        failed: (e: { cause: string; message?: JsSipResponse | null }) => {
          const status = e.message?.status_code;
          const warning = e.message?.getHeader?.('warning');
          reject(
            new ParleyError(
              timedOut
                ? 'CONF_JOIN_TIMEOUT'
                : status === 486
                  ? 'CONF_ROOM_FULL'
                  : status === 404
                    ? 'CONF_NO_SUCH_ROOM'
                    : 'CONF_JOIN_FAILED',
              `${target} ${status ? `refused: ${status} ${e.message?.reason_phrase ?? ''}` : `failed: ${e.cause}`}${warning ? ` (${warning})` : ''}`,
              { status, warning, cause: e.cause },
            ),
          );
        },
      };
      try {
        rtc = inviteRtc(ctx.ua, target, media, { extraHeaders, eventHandlers });
      } catch (e) {
        reject(new ParleyError('CONF_JOIN_FAILED', `cannot INVITE ${target}: ${(e as Error).message}`));
      }
    });
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        rtc?.terminate();
      } catch {
        /* ended */
      }
    }, o.timeoutMs ?? JOIN_TIMEOUT_MS);
    timer.unref();
    let ans: { contact?: string };
    try {
      ans = await answered;
    } finally {
      clearTimeout(timer);
    }
    const roomUri = roomUriFromContact(ans.contact, o.domain);
    const callId = (rtc as unknown as { _request?: { call_id?: string } })._request?.call_id ?? '';
    const leg = new FocusLeg(ctx, rtc, media, roomUri ?? target, callId);
    if (!roomUri) {
      leg.hangup();
      throw new ParleyError('CONF_NOT_A_FOCUS', `the 200 from ${target} has no usable Contact: ${ans.contact}`);
    }
    await leg.connect();
    return leg;
  }

  /** Answer an invitation from a focus (the INVITE whose Contact has isfocus) with 200 + MSRP answer. */
  static prepareIncoming(
    ctx: LegContext,
    req: IncomingSipRequest,
    domain: string,
  ): { roomUri: string; accept(): Promise<FocusLeg>; decline(status?: number): void; cancelled: Promise<void> } {
    const media = new LegMedia(ctx, req.bodyText);
    const rtc = incomingRtc(ctx.ua);
    const roomUri = roomUriFromContact(req.header('contact'), domain) ?? req.from;
    let onCancel = () => {};
    const cancelled = new Promise<void>((r) => (onCancel = r));
    const confirmed = new Promise<void>((resolve, reject) => {
      rtc.on('confirmed', () => resolve());
      rtc.on('failed', (e: { originator: string; cause: string }) => {
        if (e.originator === 'remote') onCancel();
        reject(new ParleyError('CONF_INVITATION_FAILED', `invitation to ${roomUri} ended: ${e.cause}`));
      });
    });
    confirmed.catch(() => {});
    rtc.init_incoming(req.raw);
    const leg = new FocusLeg(ctx, rtc, media, roomUri, req.callId);
    return {
      roomUri,
      cancelled,
      accept: async () => {
        answerRtc(rtc, media);
        // the focus admits us when our 200 is answered with ACK; frames before that are not routed
        await confirmed;
        await leg.connect();
        return leg;
      },
      decline: (status = 603) => {
        try {
          rtc.terminate({ status_code: status });
        } catch {
          /* gone */
        }
      },
    };
  }

  private async connect(): Promise<void> {
    const s = this.msrp;
    s.onEvent = (e) => {
      if (e.type === 'closed') {
        if (this.state !== 'closed')
          this.fail(new ParleyError('CONF_MSRP_FAILED', `MSRP connection to the focus lost: ${e.reason.message}`));
        return;
      }
      if (e.type === 'error' && e.fatal) this.fail(new ParleyError('CONF_MSRP_FAILED', `MSRP to the focus failed: ${e.error.message}`));
      if (e.type === 'sent' || e.type === 'sendFailed') {
        const p = this.pending.get(e.messageId);
        this.pending.delete(e.messageId);
        p?.(e.type === 'sent' ? { ok: true } : { ok: false, status: e.status, reason: e.comment });
      }
      if (this.sink) this.sink(e);
      else if (this.early.length < EARLY_EVENTS_MAX) this.early.push(e);
    };
    try {
      await this.ctx.transport.attach(s, { role: 'active' });
    } catch (e) {
      this.fail(new ParleyError('CONF_MSRP_FAILED', `cannot connect to the focus: ${(e as Error).message}`));
      throw this.closedWith!.error!;
    }
    if (this.state === 'closed') throw this.closedWith?.error ?? new ParleyError('CONF_LEG_CLOSED', 'leg closed while connecting');
    this.state = 'up';
  }

  /** Receive the leg's MSRP events (messages, reports), starting with those that arrived before this call. */
  onMsrpEvents(fn: (e: SessionEvent) => void): void {
    this.sink = fn;
    for (const e of this.early.splice(0)) fn(e);
  }

  /** RFC 7701 s.7: NICKNAME request; resolves with the focus's status (200, 423, 425 ...). */
  nickname(name: string): Promise<{ status: number; comment?: string }> {
    return new Promise((resolve) =>
      this.msrp.request('NICKNAME', [['Use-Nickname', `"${name.replace(/["\\]/g, '')}"`]], (r) =>
        resolve({ status: r.status, comment: r.comment }),
      ),
    );
  }

  /** Send one CPIM document; resolves when the focus answered the last chunk (hop-by-hop 200) or it failed. */
  send(cpim: Uint8Array): Promise<{ ok: boolean; status?: number; reason?: string; msrpMessageId?: string }> {
    if (this.state !== 'up') return Promise.resolve({ ok: false, reason: `leg is ${this.state}` });
    return new Promise((resolve) => {
      try {
        const id = this.msrp.send({ contentType: 'message/cpim', body: cpim });
        this.pending.set(id, (r) => resolve({ ...r, msrpMessageId: id }));
      } catch (e) {
        resolve({ ok: false, reason: (e as Error).message });
      }
    });
  }

  /** BYE (or CANCEL while still ringing). */
  hangup(): void {
    if (this.state === 'closed') return;
    try {
      if (!this.rtc.isEnded()) this.rtc.terminate();
    } catch {
      /* already ended */
    }
    this.finish({ reason: 'bye-local' });
  }

  private fail(error: ParleyError): void {
    if (this.state === 'closed') return;
    try {
      if (!this.rtc.isEnded()) this.rtc.terminate();
    } catch {
      /* already ended */
    }
    this.finish({ reason: 'failed', error });
  }

  private finish(c: LegClosed): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.closedWith = c;
    for (const p of this.pending.values()) p({ ok: false, reason: `leg closed (${c.reason})` });
    this.pending.clear();
    if (this.media.session) this.ctx.transport.detach(this.media.session);
    this.emit('closed', c);
  }
}
