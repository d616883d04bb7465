// Chat conference focus (RFC 4353 focus, RFC 4579 s.5 factory URI and isfocus, RFC 5366 invite lists, RFC 7701 MSRP chat rooms).
import { randomBytes } from 'node:crypto';
import { parseCpim, serializeCpim } from '../../../main/protocol/formats/cpim';
import { parseMultipart, partHeader, parseContentType } from '../../../main/protocol/formats/multipart';
import { parseResourceList, type ResourceListEntry } from '../../../main/protocol/formats/resource-lists';
import type { SessionEvent } from '../../../main/protocol/msrp';
import { Dialog, dialogIdOfRequest } from '../sip/dialog';
import { randomToken, type Responder } from '../sip/endpoint';
import { aorOf, getHeader, parseNameAddr, type SipRequest } from '../sip/message';
import { assertedIdentity, warning, type AsContext } from '../context';
import { Room } from './room';
import type { ConferenceNotifier } from './notifier';
import type { FocusMedia, Leg } from './media';

export const FACTORY_USER = 'conf-factory';
const ALLOW = 'INVITE, ACK, BYE, CANCEL, OPTIONS, SUBSCRIBE, MESSAGE';

interface Member {
  room: Room;
  dialog: Dialog;
  leg: Leg;
  aor: string;
}

export interface RoomSummary {
  id: string;
  uri: string;
  participants: Array<{ aor: string; nickname?: string }>;
}

export class Focus {
  private readonly rooms = new Map<string, Room>();
  private readonly members = new Map<string, Member>();
  private readonly timers = new Map<Room, NodeJS.Timeout[]>();

  constructor(
    private readonly ctx: AsContext,
    private readonly media: FocusMedia,
    private readonly notifier: ConferenceNotifier,
  ) {
    media.onClosed = (session) => {
      for (const [key, m] of this.members) {
        if (m.leg.session !== session) continue;
        this.ctx.log(`${m.room.id}: MSRP connection of ${m.aor} lost: dropping`);
        this.hangUp(key, 'MSRP connection lost');
      }
    };
  }

  static handles(user: string): boolean {
    return user === FACTORY_USER || /^conf-[0-9a-z]+$/i.test(user);
  }

  roomSummaries(): RoomSummary[] {
    return [...this.rooms.values()].map((r) => ({
      id: r.id,
      uri: r.uri,
      participants: [...r.participants.values()].map((p) => ({ aor: p.aor, nickname: p.nickname })),
    }));
  }

  /** Out-of-dialog request for the factory or a room URI. */
  onRequest(req: SipRequest, r: Responder, user: string): void {
    const id = assertedIdentity(req, this.ctx);
    if (!id) {
      r.respond(403, {
        headers: [warning(this.ctx.domain, 'only authenticated users of this domain and its peer networks may use the conference service')],
      });
      return;
    }
    const who = id.aor;
    if (user === FACTORY_USER && id.kind !== 'home') {
      // a peer network's users join rooms (by URI or invitation); their own network's focus creates theirs
      r.respond(403, { headers: [warning(this.ctx.domain, `rooms here are created by users of ${this.ctx.domain}; join one by its URI`)] });
      return;
    }
    const room = user === FACTORY_USER ? undefined : this.rooms.get(user.toLowerCase());
    if (user !== FACTORY_USER && !room) {
      r.respond(404, { headers: [warning(this.ctx.domain, `no such room ${user}`)] });
      return;
    }
    switch (req.method) {
      case 'INVITE':
        return this.onInvite(req, r, who, room);
      case 'SUBSCRIBE':
        if (!room) {
          r.respond(404, { headers: [warning(this.ctx.domain, 'subscribe to a room URI, not the factory')] });
          return;
        }
        return this.notifier.subscribe(req, r, room, who);
      case 'MESSAGE':
        if (!room) {
          r.respond(404);
          return;
        }
        return this.onInviteList(req, r, who, room);
      default:
        r.respond(405, { headers: [['Allow', ALLOW]] });
    }
  }

  /** In-dialog request (BYE, re-INVITE, ACK) of a participant; false when the dialog is not ours. */
  inDialog(req: SipRequest, r: Responder): boolean {
    const id = dialogIdOfRequest(req);
    const m = id ? this.members.get(id) : undefined;
    if (!m) return false;
    if (req.method === 'ACK') return true;
    if (!m.dialog.acceptRemote(req)) {
      r.respond(500, { reason: 'CSeq out of order' });
      return true;
    }
    if (req.method === 'BYE') {
      r.respond(200);
      this.leave(id!, 'bye');
      return true;
    }
    if (req.method === 'INVITE') {
      r.respond(488, { headers: [warning(this.ctx.domain, 're-INVITE is not supported by this focus')] });
      return true;
    }
    r.respond(405, { headers: [['Allow', ALLOW]] });
    return true;
  }

  private onInvite(req: SipRequest, r: Responder, who: string, existing: Room | undefined): void {
    const lim = this.ctx.limits;
    let body: { sdp?: string; list?: ResourceListEntry[] };
    try {
      body = inviteBody(req);
    } catch (e) {
      r.respond(400, { headers: [warning(this.ctx.domain, (e as Error).message)] });
      return;
    }
    if (!body.sdp) {
      r.respond(415, { headers: [['Accept', 'application/sdp, multipart/mixed']] });
      return;
    }
    if (!existing && this.rooms.size >= lim.maxRooms) {
      r.respond(403, { headers: [warning(this.ctx.domain, `too many rooms (max ${lim.maxRooms})`)] });
      return;
    }
    if (existing?.full) {
      r.respond(486, { headers: [warning(this.ctx.domain, `room is full (max ${existing.maxParticipants} participants)`)] });
      return;
    }
    if ((body.list?.length ?? 0) > lim.maxRecipients) {
      r.respond(403, { headers: [warning(this.ctx.domain, `too many invitees (max ${lim.maxRecipients})`)] });
      return;
    }
    const room = existing ?? this.createRoom(who, getHeader(req, 'Subject'));
    const contact = this.ctx.contact(room.id, true);
    const dialog = Dialog.asUas(req, r.toTag, contact);
    const key = dialog.id;
    const ans = this.media.answer(body.sdp, (e) => this.onMsrp(key, e));
    if ('reject' in ans) {
      r.respond(488, { headers: [warning(this.ctx.domain, ans.reject)] });
      if (!existing) this.endRoom(room, 'creation failed');
      return;
    }
    r.respond(200, {
      headers: [
        ['Contact', contact],
        ['Allow', ALLOW],
        ['Allow-Events', 'conference'],
      ],
      body: Buffer.from(ans.sdp),
      contentType: 'application/sdp',
    });
    this.admit(room, dialog, ans.leg, who, 'dialed-in');
    for (const e of body.list ?? []) this.invite(room, who, e.uri);
  }

  private admit(room: Room, dialog: Dialog, leg: Leg, aor: string, how: 'dialed-in' | 'dialed-out'): void {
    const isNewUser = !room.isMember(aor);
    room.join({ key: dialog.id, aor, joinedAt: Date.now(), joiningMethod: how });
    this.members.set(dialog.id, { room, dialog, leg, aor });
    this.clearEmptyTimer(room);
    this.ctx.log(`${room.id}: ${aor} joined (${how}), ${room.size} in the room`);
    if (isNewUser) this.notifier.changed(room, [aor]);
    leg.ready.catch((e) => {
      if (!this.members.has(dialog.id)) return;
      this.ctx.log(`${room.id}: MSRP for ${aor} failed (${(e as Error).message}): dropping`);
      this.hangUp(dialog.id, 'MSRP connection failed');
    });
  }

  private createRoom(creator: string, subject: string | undefined): Room {
    const id = `conf-${randomBytes(6).toString('hex')}`;
    const room = new Room(id, `sip:${id}@${this.ctx.domain}`, creator, subject, this.ctx.limits.maxParticipants, Date.now());
    this.rooms.set(id, room);
    const life = setTimeout(() => this.endRoom(room, 'maximum lifetime reached'), this.ctx.limits.roomLifetimeMs);
    life.unref();
    this.timers.set(room, [life]);
    this.ctx.log(`${id}: created by ${creator}`);
    return room;
  }

  // ---- MSRP from participants ----

  private onMsrp(key: string, e: SessionEvent): void {
    const m = this.members.get(key);
    if (!m) return;
    if (e.type === 'message') {
      if (!e.body) return;
      const fail = (status: number, reason: string) => {
        this.ctx.log(`${m.room.id}: message from ${m.aor} refused: ${status} ${reason}`);
        // the SEND was already answered 200 by the session: report the failure (RFC 4975 s.7.1.2)
        m.leg.session.request('REPORT', [
          ['Message-ID', e.messageId],
          ['Byte-Range', `1-${e.totalBytes}/${e.totalBytes}`],
          ['Status', `000 ${status} ${reason.replace(/[\r\n]/g, ' ')}`],
        ]);
      };
      let cpim;
      try {
        cpim = parseCpim(e.body);
      } catch (err) {
        fail(400, `bad CPIM: ${(err as Error).message}`);
        return;
      }
      const routed = m.room.route(key, cpim);
      if (!routed.ok) {
        fail(routed.status, routed.reason);
        return;
      }
      const wire = new Map<object, Uint8Array>(); // every recipient gets the same rewritten message: serialize once
      for (const d of routed.deliveries) {
        const to = this.members.get(d.key);
        if (!to) continue;
        try {
          let body = wire.get(d.cpim);
          if (!body) {
            body = serializeCpim(d.cpim);
            wire.set(d.cpim, body);
          }
          to.leg.session.send({ contentType: 'message/cpim', body });
        } catch (err) {
          this.ctx.log(`${m.room.id}: delivery to ${to.aor} failed: ${(err as Error).message}`);
        }
      }
    } else if (e.type === 'nickname') {
      const res = m.room.setNickname(key, e.nickname);
      if (!res.ok) {
        e.respond(res.status, res.reason);
        return;
      }
      e.respond(200);
      if (res.changed) this.notifier.changed(m.room, [m.aor]);
    } else if (e.type === 'sendFailed' && e.local) {
      // our SEND to this participant timed out or its connection is gone (a crashed client never sends BYE)
      this.ctx.log(`${m.room.id}: MSRP to ${m.aor} failed locally (${e.status} ${e.comment ?? ''}): dropping`);
      this.hangUp(key, 'MSRP connection lost');
    } else if (e.type === 'error' && e.fatal) {
      this.ctx.log(`${m.room.id}: MSRP error from ${m.aor}: ${e.error.message}`);
    }
  }

  // ---- invitations (focus as UAC) ----

  /** RFC 5366-style invite list sent as a MESSAGE to the room by a participant (see docs/appserver.md). */
  private onInviteList(req: SipRequest, r: Responder, who: string, room: Room): void {
    if (!room.isMember(who)) {
      r.respond(403, { headers: [warning(this.ctx.domain, 'only participants may invite')] });
      return;
    }
    const ct = (getHeader(req, 'Content-Type') ?? '').split(';')[0].trim().toLowerCase();
    if (ct !== 'application/resource-lists+xml') {
      r.respond(415, { headers: [['Accept', 'application/resource-lists+xml']] });
      return;
    }
    let list: ResourceListEntry[];
    try {
      list = parseResourceList(req.body);
    } catch (e) {
      r.respond(400, { headers: [warning(this.ctx.domain, (e as Error).message)] });
      return;
    }
    if (list.length > this.ctx.limits.maxRecipients) {
      r.respond(403, { headers: [warning(this.ctx.domain, `too many invitees (max ${this.ctx.limits.maxRecipients})`)] });
      return;
    }
    r.respond(202);
    for (const e of list) this.invite(room, who, e.uri);
  }

  private invite(room: Room, inviter: string, target: string): void {
    let aor: string;
    try {
      aor = aorOf(target);
    } catch {
      this.ctx.log(`${room.id}: bad invitee URI ${target}`);
      return;
    }
    if (room.isMember(aor) || aor === aorOf(room.uri)) return;
    room.invited.add(aor);
    let key = '';
    const offer = this.media.offer((e) => this.onMsrp(key, e));
    const contact = this.ctx.contact(room.id, true);
    const req: SipRequest = {
      kind: 'request',
      method: 'INVITE',
      uri: aor,
      body: Buffer.from(offer.sdp),
      headers: [
        ['Max-Forwards', '70'],
        ['From', `<${room.uri}>;tag=${randomToken(4)}`],
        ['To', `<${aor}>`],
        ['Call-ID', `${randomToken(10)}@${this.ctx.domain}`],
        ['CSeq', '1 INVITE'],
        ['Contact', contact],
        ['Referred-By', `<${inviter}>`],
        ['Allow', ALLOW],
        ['Allow-Events', 'conference'],
        ...(room.subject ? [['Subject', room.subject] as [string, string]] : []),
        ['Content-Type', 'application/sdp'],
      ],
    };
    const sent = this.ctx.endpoint.send(
      req,
      {
        onFinal: (res) => {
          if (res.status >= 300 || res.status < 200) {
            this.media.close(offer.session);
            room.invited.delete(aor);
            this.ctx.log(`${room.id}: invitation of ${aor} by ${inviter}: ${res.status} ${res.reason}`);
            return;
          }
          const dialog = Dialog.asUac(sent, res, contact);
          this.ctx.endpoint.sendAck(dialog.request('ACK', { cseq: 1 }));
          if (!this.rooms.has(room.id) || room.full) {
            this.media.close(offer.session);
            this.ctx.endpoint.send(dialog.request('BYE', { headers: [warning(this.ctx.domain, 'room is full or gone')] }), {
              onFinal: () => {},
            });
            return;
          }
          let leg: Leg;
          try {
            leg = this.media.completeOffer(offer, res.body.toString());
          } catch (e) {
            this.ctx.log(`${room.id}: ${(e as Error).message}`);
            this.media.close(offer.session);
            this.ctx.endpoint.send(dialog.request('BYE'), { onFinal: () => {} });
            return;
          }
          key = dialog.id;
          this.admit(room, dialog, leg, aor, 'dialed-out');
        },
      },
      { ringTimeoutMs: this.ctx.limits.inviteRingTimeoutMs },
    );
    this.ctx.log(`${room.id}: inviting ${aor} (by ${inviter})`);
  }

  // ---- leaving and ending ----

  /** Focus-initiated BYE (RFC 3261 s.15.1.1), then removal. */
  private hangUp(key: string, why: string): void {
    const m = this.members.get(key);
    if (!m) return;
    this.ctx.endpoint.send(m.dialog.request('BYE', { headers: [['Reason', `SIP;cause=200;text="${why.replace(/"/g, '')}"`]] }), {
      onFinal: () => {},
    });
    this.leave(key, why);
  }

  private leave(key: string, why: string): void {
    const m = this.members.get(key);
    if (!m) return;
    this.members.delete(key);
    this.media.close(m.leg.session);
    const { userGone } = m.room.leave(key, Date.now());
    this.ctx.log(`${m.room.id}: ${m.aor} left (${why}), ${m.room.size} in the room`);
    if (userGone) {
      this.notifier.userLeft(m.room, m.aor);
      this.notifier.changed(m.room, [m.aor]);
    }
    if (m.room.size === 0) this.armEmptyTimer(m.room);
  }

  private armEmptyTimer(room: Room): void {
    const t = setTimeout(() => {
      if (room.size === 0) this.endRoom(room, 'empty');
    }, this.ctx.limits.emptyRoomGraceMs);
    t.unref();
    (this.timers.get(room) ?? []).push(t);
  }

  private clearEmptyTimer(room: Room): void {
    const ts = this.timers.get(room) ?? [];
    for (const t of ts.slice(1)) clearTimeout(t);
    this.timers.set(room, ts.slice(0, 1));
  }

  endRoom(room: Room, why: string): void {
    if (!this.rooms.has(room.id)) return;
    this.notifier.roomEnded(room);
    for (const [key, m] of [...this.members]) if (m.room === room) this.hangUp(key, `room ended: ${why}`);
    for (const t of this.timers.get(room) ?? []) clearTimeout(t);
    this.timers.delete(room);
    this.rooms.delete(room.id);
    this.ctx.log(`${room.id}: ended (${why})`);
  }

  stop(): void {
    for (const room of [...this.rooms.values()]) this.endRoom(room, 'server stopping');
  }
}

/** The SDP offer and the optional RFC 5366 recipient list of an INVITE body (application/sdp or multipart/mixed). */
export function inviteBody(req: SipRequest): { sdp?: string; list?: ResourceListEntry[] } {
  const ct = getHeader(req, 'Content-Type');
  if (!ct || !req.body.length) return {};
  const type = parseContentType(ct);
  const full = `${type.type}/${type.subtype}`.toLowerCase();
  if (full === 'application/sdp') return { sdp: req.body.toString('utf8') };
  if (full !== 'multipart/mixed') return {};
  const out: { sdp?: string; list?: ResourceListEntry[] } = {};
  for (const p of parseMultipart(req.body, ct)) {
    const pct = (partHeader(p, 'Content-Type') ?? '').split(';')[0].trim().toLowerCase();
    const disp = (partHeader(p, 'Content-Disposition') ?? '').split(';')[0].trim().toLowerCase();
    if (pct === 'application/sdp') out.sdp = Buffer.from(p.body).toString('utf8');
    else if (pct === 'application/resource-lists+xml' && disp === 'recipient-list') out.list = parseResourceList(p.body);
  }
  return out;
}

/** Display name + URI of a From header, for logs. */
export const fromOf = (req: SipRequest): string => {
  try {
    return parseNameAddr(getHeader(req, 'From') ?? '').uri;
  } catch {
    return '?';
  }
};
