// One chat room as seen by a participant: focus leg (INVITE/MSRP), RFC 4575 roster, RFC 7701 nicknames and private
// messages, group end-to-end keys (group-e2e.ts). Events for messages, participants, state and security.
import type { SecurityBundle } from '../../security/bundle';
import { EventEmitter } from 'node:events';
import { ParleyError, isParleyError } from '../../base/errors';
import type { SipUserAgent } from '../../net/sip/ua';
import type { SessionEvent } from '../../protocol/msrp';
import { buildChatCpim, cpimHeader, parseCpim, serializeCpim, IMDN_NS_URI, type CpimMessage } from '../../protocol/formats/cpim';
import { newImdnMessageId } from '../../protocol/formats/imdn';
import { RESOURCE_LISTS_CONTENT_TYPE, serializeResourceList } from '../../protocol/formats/resource-lists';
import { normalizeAoR } from '../../security/aor';
import type { FocusLeg } from './focus-leg';
import { ConferenceSubscription } from './subscription';
import type { RosterChange } from './roster';
import { RoomCrypto } from './group-e2e';
import { GROUP_E2E_CONTENT_TYPE, type Participant, type RoomMessage, type RoomSecurity, type RoomState, type RoomDelivery } from './types';

export interface RoomEvents {
  message: [RoomMessage];
  participants: [{ list: Participant[]; joined: Participant[]; left: string[]; changed: Participant[] }];
  state: [RoomState];
  security: [RoomSecurity];
  /** A message the focus refused after accepting it (MSRP REPORT, e.g. 403 private recipient not in the room). */
  undelivered: [{ imdnMessageId?: string; status: number; reason?: string }];
  /** Problems that do not end the room: undecryptable messages, roster lost, malformed input. */
  error: [ParleyError];
}

const dec = new TextDecoder();
const safeAor = (u: string): string => {
  try {
    return normalizeAoR(u);
  } catch {
    return u;
  }
};

export class ConferenceRoom extends EventEmitter<RoomEvents> {
  state: RoomState = 'joined';
  readonly me: string;
  readonly events: ConferenceSubscription;
  readonly crypto: RoomCrypto | undefined;
  private inbound: Promise<void> = Promise.resolve();
  private readonly sentIds = new Map<string, string>();

  constructor(
    readonly uri: string,
    private readonly ua: SipUserAgent,
    readonly leg: FocusLeg,
    security?: SecurityBundle,
  ) {
    super();
    this.me = normalizeAoR(ua.account.aor);
    this.crypto = security
      ? new RoomCrypto(uri, security, { sendPrivate: (to, ct, body) => this.sendPrivateRaw(to, ct, body) })
      : undefined;
    this.crypto?.on('decrypted', (d) => this.emitMessage(d.cpim, d.from, false, true, d.receivedAt, d.epoch));
    this.crypto?.on('undecryptable', (u) =>
      this.report(new ParleyError(u.error.code, `message from ${u.from} unreadable: ${u.error.message}`, { from: u.from })),
    );
    this.crypto?.on('status', () => this.emit('security', this.security()));
    leg.onMsrpEvents((e) => this.onMsrp(e));
    leg.on('closed', (c) => {
      if (this.state === 'left') return;
      this.end(c.reason === 'bye-local' ? 'left' : c.reason === 'bye-remote' ? 'left' : 'failed', c.error);
    });
    this.events = new ConferenceSubscription(ua, uri);
    this.events.on('change', (c) => this.onRoster(c));
    this.events.on('error', (e) => this.report(e));
    this.events.on('ended', () => {
      if (this.state === 'joined') this.leave();
    });
    this.events.start();
  }

  get participants(): Participant[] {
    return this.events.roster.participants;
  }
  get subject(): string | undefined {
    return this.events.roster.subject;
  }

  security(): RoomSecurity {
    return (
      this.crypto?.status() ?? {
        e2e: 'off',
        epoch: 0,
        members: this.events.roster.others.map((aor) => ({ aor, keyState: 'unknown', haveTheirKey: false, theyHaveOurKey: false })),
        allKeyed: false,
        verified: [],
        unverified: this.events.roster.others,
        changed: [],
      }
    );
  }

  private onRoster(c: RosterChange): void {
    if (this.events.roster.has(this.me) || c.full) this.crypto?.setMembers(this.events.roster.others);
    this.emit('participants', { list: this.participants, joined: c.joined, left: c.left, changed: c.changed });
  }

  // ---------------------------------------------------------------- sending

  /** Send to everyone in the room (group-encrypted when the room has E2E). */
  say(content: string | { contentType: string; body: Uint8Array | string }): Promise<RoomDelivery> {
    return this.sendCpim(undefined, content);
  }

  /** RFC 7701 s.6 private message to one participant (AoR or nickname); sealed pairwise when the room has E2E. */
  sendPrivate(to: string, content: string | { contentType: string; body: Uint8Array | string }): Promise<RoomDelivery> {
    const p = this.resolve(to);
    if (!p)
      return Promise.resolve({
        status: 'failed',
        imdnMessageId: '',
        errorCode: 'CONF_NOT_A_PARTICIPANT',
        reason: `${to} is not in the room`,
      });
    return this.sendCpim(p, content);
  }

  private resolve(to: string): string | undefined {
    const r = this.events.roster;
    if (!/^sips?:/i.test(to)) {
      const byNick = r.byNickname(to);
      if (byNick) return byNick.aor;
    }
    const uri = /^sips?:/i.test(to) ? to : `sip:${to.includes('@') ? to : `${to}@${this.me.split('@')[1]}`}`;
    return r.has(uri) ? safeAor(uri) : undefined;
  }

  private async sendCpim(
    privateTo: string | undefined,
    content: string | { contentType: string; body: Uint8Array | string },
  ): Promise<RoomDelivery> {
    const imdnMessageId = newImdnMessageId();
    if (this.state !== 'joined') return { status: 'failed', imdnMessageId, errorCode: 'CONF_NOT_IN_ROOM', reason: `room is ${this.state}` };
    const to = privateTo ?? this.uri;
    const body = typeof content === 'string' ? { text: content } : { content };
    let wire: CpimMessage;
    try {
      const inner = buildChatCpim({ from: this.me, to: [to], messageId: imdnMessageId, ...body });
      if (this.crypto && privateTo) {
        wire = buildChatCpim({
          from: this.me,
          to: [to],
          messageId: imdnMessageId,
          content: { contentType: 'application/vnd.parley.e2e', body: this.crypto.sealPrivate(privateTo, inner, imdnMessageId) },
        });
      } else if (this.crypto) {
        wire = buildChatCpim({
          from: this.me,
          to: [to],
          messageId: imdnMessageId,
          content: { contentType: GROUP_E2E_CONTENT_TYPE, body: this.crypto.encrypt(serializeCpim(inner)) },
        });
      } else wire = inner;
    } catch (e) {
      const err = isParleyError(e) ? e : new ParleyError('CONF_SEND_FAILED', String(e));
      return { status: 'failed', imdnMessageId, errorCode: err.code, reason: err.message };
    }
    const r = await this.leg.send(serializeCpim(wire));
    if (r.msrpMessageId) this.rememberSent(r.msrpMessageId, imdnMessageId);
    return r.ok
      ? { status: 'sent', imdnMessageId }
      : { status: 'failed', imdnMessageId, code: r.status, reason: r.reason, errorCode: 'CONF_SEND_FAILED' };
  }

  private rememberSent(msrpId: string, imdnId: string): void {
    this.sentIds.set(msrpId, imdnId);
    if (this.sentIds.size > 1024) this.sentIds.delete(this.sentIds.keys().next().value!);
  }

  private async sendPrivateRaw(to: string, contentType: string, body: string): Promise<void> {
    const id = newImdnMessageId();
    const r = await this.leg.send(serializeCpim(buildChatCpim({ from: this.me, to: [to], messageId: id, content: { contentType, body } })));
    if (!r.ok) throw new ParleyError('CONF_SEND_FAILED', `private ${contentType} to ${to}: ${r.status ?? ''} ${r.reason ?? ''}`);
  }

  /** RFC 7701 s.7 NICKNAME: CONF_NICKNAME_TAKEN on 425, CONF_NICKNAME_REFUSED on 423/other. */
  async setNickname(name: string): Promise<void> {
    const r = await this.leg.nickname(name);
    if (r.status === 200) return;
    if (r.status === 425)
      throw new ParleyError('CONF_NICKNAME_TAKEN', `nickname "${name}" is already used in ${this.uri}`, { status: 425 });
    throw new ParleyError('CONF_NICKNAME_REFUSED', `nickname "${name}" refused: ${r.status} ${r.comment ?? ''}`.trim(), {
      status: r.status,
    });
  }

  /** Ask the focus to invite more users (RFC 5366-style list in a MESSAGE to the room; answered 202). */
  async invite(uris: string[]): Promise<void> {
    const r = await this.ua.sendMessage(
      this.uri,
      dec.decode(serializeResourceList(uris.map((uri) => ({ uri })))),
      RESOURCE_LISTS_CONTENT_TYPE,
    );
    if (r.statusCode >= 300)
      throw new ParleyError('CONF_INVITE_FAILED', `invitation refused: ${r.statusCode} ${r.reasonPhrase}`, { status: r.statusCode });
  }

  /** BYE and unsubscribe; keys are erased. */
  leave(): void {
    if (this.state === 'left' || this.state === 'failed') return;
    this.end('left');
  }

  private end(state: 'left' | 'failed', error?: ParleyError): void {
    if (this.state === 'left' || this.state === 'failed') return;
    this.state = state;
    this.events.stop();
    this.leg.hangup();
    this.crypto?.destroy();
    if (error) this.report(error);
    this.emit('state', state);
  }

  // ---------------------------------------------------------------- receiving

  private onMsrp(e: SessionEvent): void {
    if (e.type === 'report' && e.status >= 300) {
      this.emit('undelivered', { imdnMessageId: this.sentIds.get(e.messageId), status: e.status, reason: e.comment });
      return;
    }
    if (e.type !== 'message' || !e.body) return;
    const body = e.body;
    const receivedAt = new Date();
    this.inbound = this.inbound
      .then(() => this.onCpim(body, receivedAt))
      .catch((err) => this.report(isParleyError(err) ? err : new ParleyError('CONF_INBOUND_FAILED', String(err))));
  }

  private async onCpim(bytes: Uint8Array, receivedAt: Date): Promise<void> {
    const cpim = parseCpim(bytes);
    const from = cpim.from ? safeAor(cpim.from.uri) : undefined;
    if (!from) throw new ParleyError('CONF_NO_SENDER', 'room message without CPIM From');
    const isPrivate = cpim.to.some((t) => safeAor(t.uri) !== safeAor(this.uri));
    const type = cpim.contentType.split(';')[0].trim().toLowerCase();
    const nick = cpim.from?.name;
    if (type === GROUP_E2E_CONTENT_TYPE && !isPrivate) {
      if (!this.crypto)
        throw new ParleyError('CONF_E2E_UNSUPPORTED', `group-encrypted message from ${from} but this room has no E2E identity`);
      const r = this.crypto.openPublic(from, cpim.body, receivedAt);
      if (r) this.emitMessage(r.cpim, from, false, true, receivedAt, r.epoch, nick);
      return;
    }
    if (isPrivate && this.crypto) {
      const r = await this.crypto.onPrivate(from, cpim);
      if (r.kind === 'message') this.emitMessage(r.cpim, from, true, r.protected, receivedAt, undefined, nick);
      return;
    }
    this.emitMessage(cpim, from, isPrivate, false, receivedAt, undefined, nick);
  }

  private emitMessage(
    cpim: CpimMessage,
    from: string,
    isPrivate: boolean,
    prot: boolean,
    receivedAt: Date,
    epoch?: number,
    nick?: string,
  ): void {
    const text = /^text\//i.test(cpim.contentType.trim()) ? dec.decode(cpim.body) : undefined;
    this.emit('message', {
      roomUri: this.uri,
      from,
      nickname: nick ?? this.events.roster.get(from)?.nickname,
      private: isPrivate,
      protected: prot,
      contentType: cpim.contentType,
      body: cpim.body,
      text,
      imdnMessageId: cpimHeader(cpim, IMDN_NS_URI, 'Message-ID'),
      sentAt: cpim.dateTime ? new Date(cpim.dateTime) : undefined,
      receivedAt,
      ...(epoch !== undefined ? { epoch } : {}),
    });
  }

  private report(e: ParleyError): void {
    if (this.listenerCount('error') > 0) this.emit('error', e);
  }
}
