// Chat room state of the focus: participants, RFC 7701 nicknames and private messages, RFC 4575 conference-info documents. Sans-IO.
import { createCpim, formatCpimAddress, parseCpimAddress, type CpimAddress, type CpimMessage } from '../../../main/protocol/formats/cpim';
import type { ConferenceInfo, ConfUser } from '../../../main/protocol/formats/conference-info';
import { aorOf } from '../sip/message';

export interface Participant {
  /** Internal key of this participation (one per SIP dialog / MSRP session). */
  key: string;
  /** Authenticated identity (AoR) as asserted by the proxy. */
  aor: string;
  nickname?: string;
  joinedAt: number;
  joiningMethod: 'dialed-in' | 'dialed-out';
}

/** RFC 7701 nickname rules we enforce (the RFC leaves the policy to the focus; see docs/appserver.md). */
export const NICKNAME_MAX_CHARS = 32;

export type NicknameResult = { ok: true; changed: boolean } | { ok: false; status: 423 | 425; reason: string };

export type RouteResult =
  { ok: true; private: boolean; deliveries: Array<{ key: string; cpim: CpimMessage }> } | { ok: false; status: number; reason: string };

/** Case-insensitive comparison form of a nickname (Unicode NFKC + lower case, close to RFC 8266's comparison). */
export const nicknameKey = (n: string): string => n.normalize('NFKC').toLowerCase();

export function validateNickname(n: string): string | undefined {
  const t = n.normalize('NFKC').trim();
  if (!t) return 'empty nickname';
  if ([...t].length > NICKNAME_MAX_CHARS) return `longer than ${NICKNAME_MAX_CHARS} characters`;
  if (/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}<>"\\]/u.test(t)) return 'control or reserved characters';
  return undefined;
}

export class Room {
  readonly participants = new Map<string, Participant>();
  /** AoRs invited by the focus and not yet joined (they may SUBSCRIBE and join by the room URI). */
  readonly invited = new Set<string>();
  readonly createdAt: number;
  emptySince: number | undefined;

  constructor(
    readonly id: string,
    readonly uri: string,
    readonly creator: string,
    readonly subject: string | undefined,
    readonly maxParticipants: number,
    now: number,
  ) {
    this.createdAt = now;
    this.emptySince = now;
  }

  get size(): number {
    return this.participants.size;
  }
  get full(): boolean {
    return this.participants.size >= this.maxParticipants;
  }
  /** Distinct AoRs in the room. */
  get users(): string[] {
    return [...new Set([...this.participants.values()].map((p) => p.aor))];
  }
  isMember(aor: string): boolean {
    return [...this.participants.values()].some((p) => p.aor === aor);
  }
  mayObserve(aor: string): boolean {
    return this.isMember(aor) || this.invited.has(aor) || aor === this.creator;
  }

  join(p: Omit<Participant, 'nickname'>): Participant {
    const full: Participant = { ...p };
    this.participants.set(p.key, full);
    this.invited.delete(p.aor);
    this.emptySince = undefined;
    return full;
  }

  /** Returns the participant removed and whether its AoR left the room entirely. */
  leave(key: string, now: number): { p?: Participant; userGone: boolean } {
    const p = this.participants.get(key);
    if (!p) return { userGone: false };
    this.participants.delete(key);
    if (this.participants.size === 0) this.emptySince = now;
    return { p, userGone: !this.isMember(p.aor) };
  }

  /** RFC 7701 NICKNAME: 423 for a nickname we do not allow, 425 when another user holds it (case-insensitive). */
  setNickname(key: string, nick: string): NicknameResult {
    const p = this.participants.get(key);
    if (!p) return { ok: false, status: 423, reason: 'not a participant' };
    const why = validateNickname(nick);
    if (why) return { ok: false, status: 423, reason: `Nickname not allowed: ${why}` };
    const clean = nick.normalize('NFKC').trim();
    const k = nicknameKey(clean);
    for (const o of this.participants.values()) {
      if (o.aor !== p.aor && o.nickname !== undefined && nicknameKey(o.nickname) === k)
        return { ok: false, status: 425, reason: 'Nickname already in use' };
    }
    const changed = p.nickname !== clean;
    for (const o of this.participants.values()) if (o.aor === p.aor) o.nickname = clean; // one nickname per user
    return { ok: true, changed };
  }

  /**
   * Route one CPIM message from participant `from` (RFC 7701 s.5/s.6): the CPIM From is replaced by the sender's
   * authenticated identity (nickname as display name); To = the room URI (or absent) goes to every other participant,
   * To naming participants (AoR or nickname) is a private message for them only. The body is never touched.
   */
  route(fromKey: string, msg: CpimMessage): RouteResult {
    const sender = this.participants.get(fromKey);
    if (!sender) return { ok: false, status: 403, reason: 'not a participant' };
    const roomAor = aorOf(this.uri);
    const targets = new Set<string>();
    let isPrivate = false;
    for (const t of msg.to) {
      let aor: string | undefined;
      try {
        aor = aorOf(t.uri);
      } catch {
        aor = undefined;
      }
      if (aor === roomAor) continue;
      isPrivate = true;
      const byAor = aor && this.isMember(aor) ? aor : undefined;
      const byNick = [...this.participants.values()].find(
        (p) => p.nickname !== undefined && t.name !== undefined && nicknameKey(p.nickname) === nicknameKey(t.name),
      )?.aor;
      const hit = byAor ?? byNick;
      if (!hit) return { ok: false, status: 403, reason: `Private message recipient ${t.uri} is not in the room` };
      targets.add(hit);
    }
    const from: CpimAddress = { uri: sender.aor, ...(sender.nickname ? { name: sender.nickname } : {}) };
    const rewritten = withFrom(msg, from);
    const deliveries: Array<{ key: string; cpim: CpimMessage }> = [];
    for (const p of this.participants.values()) {
      if (p.key === fromKey) continue;
      if (isPrivate ? targets.has(p.aor) : true) deliveries.push({ key: p.key, cpim: rewritten });
    }
    return { ok: true, private: isPrivate, deliveries };
  }

  // ---- RFC 4575 documents ----

  private user(aor: string): ConfUser {
    const eps = [...this.participants.values()].filter((p) => p.aor === aor);
    const nick = eps.find((p) => p.nickname)?.nickname;
    return {
      entity: aor,
      state: 'full',
      ...(nick ? { displayText: nick } : {}),
      roles: [aor === this.creator ? 'creator' : 'participant'],
      endpoints: [
        {
          entity: aor,
          status: 'connected',
          joiningMethod: eps[0]?.joiningMethod ?? 'dialed-in',
          joiningInfo: { when: new Date(eps[0]?.joinedAt ?? 0).toISOString() },
          media: [{ id: '1', type: 'message', status: 'sendrecv' }],
        },
      ],
    };
  }

  fullState(version: number): ConferenceInfo {
    return {
      entity: this.uri,
      version,
      state: 'full',
      description: {
        ...(this.subject ? { subject: this.subject } : {}),
        confUris: [{ uri: this.uri, purpose: 'grouptextchat' }],
        maximumUserCount: this.maxParticipants,
      },
      conferenceState: { userCount: this.users.length, active: true },
      users: { list: this.users.map((a) => this.user(a)) },
    };
  }

  /** Partial document for users that joined/changed (present) or left (absent from the room). */
  partialState(version: number, changedAors: string[]): ConferenceInfo {
    return {
      entity: this.uri,
      version,
      state: 'partial',
      conferenceState: { state: 'partial', userCount: this.users.length, active: true },
      users: {
        state: 'partial',
        list: changedAors.map((a) => (this.isMember(a) ? this.user(a) : { entity: a, state: 'deleted' as const })),
      },
    };
  }

  endedState(version: number): ConferenceInfo {
    return { entity: this.uri, version, state: 'deleted' };
  }
}

/** Replace (or add) the CPIM From header, keeping every other header and the body byte for byte. */
export function withFrom(m: CpimMessage, from: CpimAddress): CpimMessage {
  const value = formatCpimAddress(from);
  const i = m.headers.findIndex((h) => h.name.toLowerCase() === 'from');
  const headers = [...m.headers];
  if (i >= 0) headers[i] = { name: 'From', value };
  else headers.unshift({ name: 'From', value });
  return { ...m, headers, from: parseCpimAddress(value) };
}

/** A notice from the room itself (e.g. a focus-originated message), as CPIM. */
export function roomNotice(roomUri: string, to: string, text: string): CpimMessage {
  return createCpim({
    from: { uri: roomUri },
    to: [to],
    contentType: 'text/plain;charset=utf-8',
    body: text,
    dateTime: new Date().toISOString(),
  });
}
