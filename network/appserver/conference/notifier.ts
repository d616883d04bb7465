// Conference event package notifier (RFC 4575 s.3, RFC 6665 s.4.2 notifier behaviour: Expires, refresh, terminated NOTIFY).
import { serializeConferenceInfo, CONFINFO_CONTENT_TYPE, type ConferenceInfo } from '../../../main/protocol/formats/conference-info';
import { Dialog, dialogIdOfRequest } from '../sip/dialog';
import { getHeader, getHeaders, type SipRequest } from '../sip/message';
import type { Responder } from '../sip/endpoint';
import { warning, type AsContext } from '../context';
import type { Room } from './room';

interface Subscription {
  dialog: Dialog;
  room: Room;
  subscriber: string;
  /** Last version sent in this subscription (RFC 4575 s.5.1: versions are scoped to the subscription). */
  version: number;
  timer?: NodeJS.Timeout;
  expiresAt: number;
}

export class ConferenceNotifier {
  private readonly subs = new Map<string, Subscription>();
  constructor(private readonly ctx: AsContext) {}

  count(room: Room): number {
    return [...this.subs.values()].filter((s) => s.room === room).length;
  }

  /** Out-of-dialog SUBSCRIBE to a room URI; `subscriber` is the asserted identity. */
  subscribe(req: SipRequest, r: Responder, room: Room, subscriber: string): void {
    const expires = this.expiresOf(req, r);
    if (expires === undefined) return;
    if (!room.mayObserve(subscriber)) {
      r.respond(403, { headers: [warning(this.ctx.domain, 'only participants and invitees may subscribe to this room')] });
      return;
    }
    if (this.count(room) >= this.ctx.limits.maxSubscriptionsPerRoom) {
      r.respond(403, { headers: [warning(this.ctx.domain, 'too many subscriptions to this room')] });
      return;
    }
    const contact = this.ctx.contact(room.id, true);
    const dialog = Dialog.asUas(req, r.toTag, contact);
    r.respond(200, {
      headers: [
        ['Contact', contact],
        ['Expires', String(expires)],
      ],
    });
    const sub: Subscription = { dialog, room, subscriber, version: 0, expiresAt: Date.now() + expires * 1000 };
    if (expires === 0) {
      this.notify(sub, room.fullState(++sub.version), 'terminated;reason=timeout');
      return;
    }
    this.subs.set(dialog.id, sub);
    this.arm(sub, expires);
    this.notify(sub, room.fullState(++sub.version), `active;expires=${expires}`);
  }

  /** In-dialog SUBSCRIBE (refresh or Expires: 0). Returns false when the request is not ours. */
  inDialog(req: SipRequest, r: Responder): boolean {
    const id = dialogIdOfRequest(req);
    const sub = id ? this.subs.get(id) : undefined;
    if (!sub) return false;
    if (req.method !== 'SUBSCRIBE') {
      r.respond(405, { headers: [['Allow', 'SUBSCRIBE']] });
      return true;
    }
    if (!sub.dialog.acceptRemote(req)) {
      r.respond(500, { reason: 'CSeq out of order' });
      return true;
    }
    const expires = this.expiresOf(req, r);
    if (expires === undefined) return true;
    r.respond(200, {
      headers: [
        ['Contact', sub.dialog.contact],
        ['Expires', String(expires)],
      ],
    });
    if (expires === 0) {
      this.end(sub, 'timeout');
      return true;
    }
    this.arm(sub, expires);
    this.notify(sub, sub.room.fullState(++sub.version), `active;expires=${expires}`);
    return true;
  }

  /** Partial notification to every subscriber of the room (users that joined, left or changed nickname). */
  changed(room: Room, aors: string[]): void {
    for (const s of this.subs.values()) {
      // RFC 6665 s.4.1.3: active NOTIFYs carry the remaining duration
      if (s.room === room)
        this.notify(s, room.partialState(++s.version, aors), `active;expires=${Math.max(0, Math.ceil((s.expiresAt - Date.now()) / 1000))}`);
    }
  }

  /** A user left: their own subscription ends (they are no longer allowed to observe). */
  userLeft(room: Room, aor: string): void {
    for (const s of [...this.subs.values()])
      if (s.room === room && s.subscriber === aor && !room.mayObserve(aor)) this.end(s, 'deactivated');
  }

  /** The room is gone: terminated NOTIFY with reason=noresource to everyone (RFC 6665 s.4.2.2). */
  roomEnded(room: Room): void {
    for (const s of [...this.subs.values()]) if (s.room === room) this.end(s, 'noresource', room.endedState(s.version + 1));
  }

  /** Final NOTIFY (RFC 6665 s.4.2.2): full state unless a document is given. */
  private end(s: Subscription, reason: string, doc?: ConferenceInfo): void {
    clearTimeout(s.timer);
    this.subs.delete(s.dialog.id);
    s.version++;
    this.notify(s, doc ?? s.room.fullState(s.version), `terminated;reason=${reason}`);
  }

  private arm(s: Subscription, expires: number): void {
    clearTimeout(s.timer);
    s.expiresAt = Date.now() + expires * 1000;
    s.timer = setTimeout(() => this.end(s, 'timeout'), expires * 1000);
    s.timer.unref();
  }

  /** Expires of a SUBSCRIBE (RFC 6665 s.4.2.1.1): default when absent, 423 + Min-Expires when too short, capped at the default. */
  private expiresOf(req: SipRequest, r: Responder): number | undefined {
    const ev = (getHeader(req, 'Event') ?? '').split(';')[0].trim().toLowerCase();
    if (ev !== 'conference') {
      r.respond(489, { headers: [['Allow-Events', 'conference']] });
      return undefined;
    }
    const accept = getHeaders(req, 'Accept').map((a) => a.split(';')[0].trim().toLowerCase());
    if (accept.length && !accept.some((a) => a === CONFINFO_CONTENT_TYPE || a === 'application/*' || a === '*/*')) {
      r.respond(406, { reason: 'Not Acceptable', headers: [['Accept', CONFINFO_CONTENT_TYPE]] }); // RFC 6665 s.4.2.1.1
      return undefined;
    }
    const lim = this.ctx.limits;
    const v = getHeader(req, 'Expires');
    if (v === undefined) return lim.subscribeExpiresS;
    if (!/^\d{1,10}$/.test(v.trim())) {
      r.respond(400, { reason: 'Bad Expires' });
      return undefined;
    }
    const n = Number(v);
    if (n !== 0 && n < lim.subscribeMinExpiresS) {
      r.respond(423, { headers: [['Min-Expires', String(lim.subscribeMinExpiresS)]] });
      return undefined;
    }
    return Math.min(n, lim.subscribeExpiresS);
  }

  private notify(s: Subscription, doc: ConferenceInfo, state: string): void {
    const req = s.dialog.request('NOTIFY', {
      headers: [
        ['Event', 'conference'],
        ['Subscription-State', state],
      ],
      body: Buffer.from(serializeConferenceInfo(doc)),
      contentType: CONFINFO_CONTENT_TYPE,
    });
    this.ctx.endpoint.send(req, {
      onFinal: (res) => {
        if (res.status === 481 || res.status === 408) {
          // RFC 6665 s.4.2.2: the subscriber is gone
          clearTimeout(s.timer);
          this.subs.delete(s.dialog.id);
        }
        if (res.status >= 300) this.ctx.log(`NOTIFY to ${s.subscriber} for ${s.room.id}: ${res.status} ${res.reason}`);
      },
    });
  }

  stop(): void {
    for (const s of this.subs.values()) clearTimeout(s.timer);
    this.subs.clear();
  }
}
