// Group chat for the UE (chat conferences through a focus, main/features/conference/): the conference.* channels and
// room.upserted / room.message / room.invitation views. One ConferenceClient per signed-in account, sharing its SIP UA,
// MSRP endpoint and INVITE router (focus invitations). Rooms live as long as the account is signed in (no history).
import type { InvitationView, Req, Res, RoomMessageView, RoomView } from '../../../app/ipc/contract';
import { ParleyError } from '../../base/errors';
import { plainText } from '../../../app/ipc/text';
import { normalizeAoR } from '../../security/aor';
import type { FeatureContext } from '../feature';
import { ConferenceClient, type FocusInvitation } from './client';
import type { ConferenceRoom } from './room';
import type { RoomMessage } from './types';

/** Messages kept per room in memory (oldest dropped). */
export const MAX_ROOM_MESSAGES = 2000;
export const MAX_TEXT = 65_536;

interface RoomEntry {
  id: string;
  room: ConferenceRoom;
  messages: RoomMessageView[];
  myNickname?: string;
  failure?: { code: string; reason: string };
  at: number;
}

let seq = 0;
const nextId = (p: string) => `${p}-${Date.now().toString(36)}-${(++seq).toString(36)}`;

export class UeConference {
  readonly #rooms = new Map<string, RoomEntry>();
  readonly #invitations = new Map<string, { inv: FocusInvitation; view: InvitationView }>();

  private constructor(
    private readonly s: FeatureContext,
    readonly client: ConferenceClient,
  ) {
    client.on('invitation', (inv) => this.#onInvitation(inv));
    client.on('error', (e) => s.log(`conference: ${e.code}: ${e.message}`));
  }

  static async start(s: FeatureContext): Promise<UeConference> {
    const client = new ConferenceClient({
      ua: s.ua,
      endpoint: s.endpoint,
      router: s.router,
      security: s.policy === 'off' ? undefined : s.security,
    });
    await client.start();
    return new UeConference(s, client);
  }

  async create(req: Req<'conference.create'>): Promise<RoomView> {
    const room = await this.client.create({ invite: req.participants.map((p) => normalizeAoR(p)), subject: req.subject || undefined });
    return this.#adopt(room);
  }

  async join(req: Req<'conference.join'>): Promise<RoomView> {
    return this.#adopt(await this.client.join(normalizeAoR(req.room)));
  }

  async accept(req: Req<'conference.accept'>): Promise<RoomView> {
    const i = this.#invitation(req.invitationId);
    const room = await i.inv.accept();
    this.#setInvitation(i, 'accepted');
    return this.#adopt(room);
  }

  async decline(req: Req<'conference.decline'>): Promise<null> {
    const i = this.#invitation(req.invitationId);
    i.inv.decline();
    this.#setInvitation(i, 'declined');
    return null;
  }

  async invite(req: Req<'conference.invite'>): Promise<null> {
    await this.#joined(req.roomId).room.invite(req.participants.map((p) => normalizeAoR(p)));
    return null;
  }

  async nick(req: Req<'conference.nick'>): Promise<null> {
    const e = this.#joined(req.roomId);
    await e.room.setNickname(req.nickname);
    e.myNickname = req.nickname;
    this.#emitRoom(e);
    return null;
  }

  send(req: Req<'conference.send'>): Promise<Res<'conference.send'>> {
    return this.#send(req.roomId, req.text, undefined);
  }

  sendPrivate(req: Req<'conference.sendPrivate'>): Promise<Res<'conference.sendPrivate'>> {
    return this.#send(req.roomId, req.text, normalizeAoR(req.to));
  }

  async leave(req: Req<'conference.leave'>): Promise<null> {
    const e = this.#get(req.roomId);
    e.room.leave();
    this.#emitRoom(e);
    return null;
  }

  async list(): Promise<RoomView[]> {
    return [...this.#rooms.values()].map((e) => this.#view(e));
  }

  async messages(req: Req<'conference.messages'>): Promise<RoomMessageView[]> {
    return [...this.#get(req.roomId).messages];
  }

  async stop(): Promise<void> {
    for (const i of this.#invitations.values()) if (i.view.state === 'pending') i.inv.decline(480);
    this.client.removeAllListeners('invitation');
    await this.client.stop();
  }

  // ---- internals

  async #send(roomId: string, text: string, to: string | undefined): Promise<{ messageId: string }> {
    const e = this.#joined(roomId);
    const v: RoomMessageView = {
      id: nextId('m'),
      roomId,
      direction: 'out',
      from: this.s.aor,
      private: !!to,
      text,
      at: Date.now(),
      state: 'sending',
      protected: !!e.room.crypto,
      ...(to ? { to } : {}),
      ...(e.myNickname ? { nickname: e.myNickname } : {}),
    };
    this.#addMessage(e, v);
    const done = (patch: Partial<RoomMessageView>) => this.#addMessage(e, { ...v, ...patch });
    (to ? e.room.sendPrivate(to, text) : e.room.say(text)).then(
      (r) =>
        done(
          r.status === 'sent'
            ? { state: 'sent' }
            : { state: 'failed', failure: { code: r.errorCode ?? 'CONF_SEND_FAILED', reason: (r.reason ?? 'not sent').slice(0, 1024) } },
        ),
      (err: unknown) =>
        done({
          state: 'failed',
          failure: { code: (err as ParleyError).code ?? 'CONF_SEND_FAILED', reason: String((err as Error).message).slice(0, 1024) },
        }),
    );
    return { messageId: v.id };
  }

  #adopt(room: ConferenceRoom): RoomView {
    const have = [...this.#rooms.values()].find((x) => x.room === room);
    if (have) return this.#view(have);
    const e: RoomEntry = { id: nextId('room'), room, messages: [], at: Date.now() };
    this.#rooms.set(e.id, e);
    room.on('participants', () => this.#emitRoom(e));
    room.on('security', () => this.#emitRoom(e));
    room.on('state', () => this.#emitRoom(e));
    room.on('message', (m) => this.#onMessage(e, m));
    room.on('undelivered', (u) => {
      this.s.log(`conference: undelivered ${u.imdnMessageId ?? ''}: ${u.status} ${u.reason ?? ''}`);
    });
    room.on('error', (err) => {
      e.failure = { code: err.code, reason: err.message.slice(0, 1024) };
      this.#emitRoom(e);
    });
    this.#emitRoom(e);
    return this.#view(e);
  }

  #onMessage(e: RoomEntry, m: RoomMessage): void {
    if (m.text === undefined) return; // key distribution and other non-text payloads are the room layer's business
    let from = m.from;
    try {
      from = normalizeAoR(m.from);
    } catch {
      /* keep as asserted by the focus */
    }
    this.#addMessage(e, {
      id: nextId('m'),
      roomId: e.id,
      direction: 'in',
      from,
      private: m.private,
      text: m.text.slice(0, MAX_TEXT),
      at: m.sentAt?.getTime() ?? m.receivedAt.getTime(),
      state: 'received',
      protected: m.protected,
      ...nick(m.nickname),
    });
  }

  #addMessage(e: RoomEntry, v: RoomMessageView): void {
    const i = e.messages.findIndex((x) => x.id === v.id);
    if (i >= 0) e.messages[i] = v;
    else {
      e.messages.push(v);
      if (e.messages.length > MAX_ROOM_MESSAGES) e.messages.shift();
    }
    this.s.emit('room.message', v);
  }

  #onInvitation(inv: FocusInvitation): void {
    const view: InvitationView = {
      id: nextId('inv'),
      room: inv.roomUri,
      state: 'pending',
      at: Date.now(),
      ...(inv.inviter ? { inviter: inv.inviter } : {}),
      ...(inv.subject ? { subject: inv.subject.slice(0, 256) } : {}),
    };
    const entry = { inv, view };
    this.#invitations.set(view.id, entry);
    inv.on('cancelled', () => this.#setInvitation(entry, 'cancelled'));
    this.s.emit('room.invitation', view);
  }

  #setInvitation(i: { view: InvitationView }, state: InvitationView['state']): void {
    if (i.view.state !== 'pending') return;
    i.view = { ...i.view, state };
    this.s.emit('room.invitation', i.view);
  }

  #view(e: RoomEntry): RoomView {
    const r = e.room;
    const sec = r.security();
    return {
      id: e.id,
      uri: r.uri,
      state: r.state,
      e2e: sec.e2e,
      allKeyed: sec.allKeyed,
      at: e.at,
      participants: r.participants.slice(0, 1000).map((p) => ({ aor: p.aor, isMe: p.isMe, ...nick(p.nickname) })),
      ...(r.subject ? { subject: r.subject.slice(0, 256) } : {}),
      ...(e.myNickname ? { myNickname: e.myNickname } : {}),
      ...(e.failure ? { failure: e.failure } : {}),
    };
  }

  #emitRoom(e: RoomEntry): void {
    this.s.emit('room.upserted', this.#view(e));
  }

  #get(id: string): RoomEntry {
    const e = this.#rooms.get(id);
    if (!e) throw new ParleyError('CONF_ROOM_NOT_FOUND', 'no such room');
    return e;
  }

  #joined(id: string): RoomEntry {
    const e = this.#get(id);
    if (e.room.state !== 'joined') throw new ParleyError('CONF_NOT_IN_ROOM', `you are not in this room (${e.room.state})`);
    return e;
  }

  #invitation(id: string): { inv: FocusInvitation; view: InvitationView } {
    const i = this.#invitations.get(id);
    if (!i) throw new ParleyError('CONF_INVITATION_NOT_FOUND', 'no such invitation');
    if (i.view.state !== 'pending') throw new ParleyError('CONF_BAD_STATE', `invitation already ${i.view.state}`);
    return i;
  }
}

/** A nickname as shown (RFC 7701 display text from the focus or a peer): invisible and reordering characters removed. */
function nick(n: string | undefined): { nickname?: string } {
  const shown = n ? plainText(n, 64) : '';
  return shown ? { nickname: shown } : {};
}
