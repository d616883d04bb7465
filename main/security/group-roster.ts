// Member-authorised group rosters: a hash chain of membership changes, each signed by a current member's identity key
// (docs/security.md s.5.12). A focus that adds someone on its own is detected and that someone gets no key material.
import { ParleyError } from '../base/errors';
import { Reader, concat, u8, u16, u32, u64, lp16, utf8, h256, ctEqual } from './sodium';
import { normalizeAoR, compareAoR } from './aor';
import { verifySignature, type Identity } from './identity';

export const ROSTER_CHANGE_MAGIC = utf8('PGRC');
export const ROSTER_CHANGE_VERSION = 1;
export const MAX_GROUP_MEMBERS = 256;
const SIG = utf8('parley-roster-change-v1\0');
const HASH = utf8('parley-roster-v1\0');

export type RosterAction = 'create' | 'add' | 'remove';
const ACTION_BYTE: Record<RosterAction, number> = { create: 0, add: 1, remove: 2 };
const ACTION_NAME = ['create', 'add', 'remove'] as const;

export interface RosterMember {
  aor: string;
  identityKey: Uint8Array;
}

/** The authenticated roster: what the user sees, and the only set sender keys go to. */
export interface Roster {
  conferenceId: string;
  version: number;
  members: RosterMember[];
  hash: Uint8Array;
}

export interface RosterChange {
  action: RosterAction;
  conferenceId: string;
  version: number;
  prevHash: Uint8Array;
  member: RosterMember;
  by: RosterMember;
  at: number;
  signature: Uint8Array;
  bytes: Uint8Array;
}

const bad = (m: string) => new ParleyError('GROUP_BAD_FORMAT', `bad roster change: ${m}`);

export function rosterHash(conferenceId: string, version: number, members: RosterMember[]): Uint8Array {
  const sorted = [...members].sort((a, b) => compareAoR(a.aor, b.aor)); // AoRs are unique in a roster
  return h256(concat(HASH, lp16(conferenceId), u32(version), u16(sorted.length), ...sorted.map((m) => concat(lp16(m.aor), m.identityKey))));
}

/** Sign a change as `me` against the current roster (null for create, where member must be me). */
export function signRosterChange(
  me: Identity,
  current: Roster | null,
  action: RosterAction,
  member: RosterMember,
  conferenceId: string,
  at: number,
): Uint8Array {
  const body = concat(
    ROSTER_CHANGE_MAGIC,
    u8(ROSTER_CHANGE_VERSION),
    u8(ACTION_BYTE[action]),
    lp16(conferenceId),
    u32(current ? current.version + 1 : 1),
    current ? current.hash : new Uint8Array(32),
    lp16(normalizeAoR(member.aor)),
    member.identityKey,
    lp16(normalizeAoR(me.aor)),
    me.publicKey,
    u64(at),
  );
  return concat(body, me.sign(concat(SIG, body)));
}

export function parseRosterChange(bytes: Uint8Array): RosterChange {
  const r = new Reader(bytes, 'GROUP_BAD_FORMAT');
  if (!ctEqual(r.bytes(4), ROSTER_CHANGE_MAGIC)) throw bad('magic');
  const v = r.u8();
  if (v !== ROSTER_CHANGE_VERSION) throw bad(`unsupported version ${v}`);
  const action = ACTION_NAME[r.u8()];
  if (!action) throw bad('unknown action');
  const conferenceId = r.str16(256);
  const version = r.u32();
  const prevHash = r.bytes(32);
  const member = { aor: r.str16(256), identityKey: r.bytes(32) };
  const by = { aor: r.str16(256), identityKey: r.bytes(32) };
  const at = r.u64();
  const signature = r.bytes(64);
  r.end();
  return { action, conferenceId, version, prevHash, member, by, at: Number(at), signature, bytes };
}

/**
 * Apply one signed change to the roster (null before create). Accepted only when signed by `by`, `by` is a current
 * member with that key (or the creator adding itself), the version follows and the previous hash matches (a fork or a
 * replay is GROUP_STALE_CHANGE). Errors: GROUP_BAD_FORMAT, GROUP_BAD_SIGNATURE, GROUP_UNAUTHORISED, GROUP_STALE_CHANGE,
 * GROUP_WRONG_CONFERENCE.
 */
export function applyRosterChange(current: Roster | null, bytes: Uint8Array, conferenceId?: string): Roster {
  const c = parseRosterChange(bytes);
  if (!verifySignature(c.by.identityKey, concat(SIG, bytes.subarray(0, bytes.length - 64)), c.signature))
    throw new ParleyError('GROUP_BAD_SIGNATURE', 'roster change signature does not verify');
  const conf = conferenceId ?? current?.conferenceId ?? c.conferenceId;
  if (c.conferenceId !== conf || (current && current.conferenceId !== conf))
    throw new ParleyError('GROUP_WRONG_CONFERENCE', 'roster change for another conference');
  const expectVersion = current ? current.version + 1 : 1;
  if (c.version !== expectVersion || !ctEqual(c.prevHash, current ? current.hash : new Uint8Array(32)))
    throw new ParleyError('GROUP_STALE_CHANGE', 'roster change does not follow the current roster (replay or fork)', {
      version: c.version,
      expected: expectVersion,
    });
  const members = current?.members ?? [];
  const isMember = (m: RosterMember) => members.some((x) => x.aor === m.aor && ctEqual(x.identityKey, m.identityKey));
  let next: RosterMember[];
  if (c.action === 'create') {
    if (current || c.member.aor !== c.by.aor || !ctEqual(c.member.identityKey, c.by.identityKey))
      throw new ParleyError('GROUP_UNAUTHORISED', 'a group is created by its first member for itself');
    next = [c.member];
  } else {
    if (!current || !isMember(c.by))
      throw new ParleyError('GROUP_UNAUTHORISED', `${c.by.aor} is not a member and cannot change the roster`, { by: c.by.aor });
    if (c.action === 'add') {
      if (members.some((x) => x.aor === c.member.aor)) throw new ParleyError('GROUP_STALE_CHANGE', `${c.member.aor} is already a member`);
      if (members.length >= MAX_GROUP_MEMBERS) throw new ParleyError('GROUP_BAD_INPUT', `a group has at most ${MAX_GROUP_MEMBERS} members`);
      next = [...members, c.member];
    } else {
      if (!isMember(c.member)) throw new ParleyError('GROUP_STALE_CHANGE', `${c.member.aor} is not a member`);
      next = members.filter((x) => x.aor !== c.member.aor);
    }
  }
  return { conferenceId: conf, version: c.version, members: next, hash: rosterHash(conf, c.version, next) };
}

/** Verify a whole chain from create (what an invitee receives with the invitation). */
export function rosterFromChain(changes: Uint8Array[], conferenceId?: string): Roster {
  if (changes.length === 0) throw bad('empty chain');
  return changes.reduce<Roster | null>((r, c) => applyRosterChange(r, c, conferenceId), null)!;
}

/**
 * Compare the focus's conference-info roster (RFC 4575) with the authenticated one: `unauthorised` are users the focus
 * shows that no member added (warn everyone, send them nothing); `absent` are members the focus does not show.
 */
export function checkFocusRoster(roster: Roster, focusUsers: string[]): { unauthorised: string[]; absent: string[] } {
  const shown = new Set(focusUsers.map(normalizeAoR));
  const members = new Set(roster.members.map((m) => m.aor));
  return { unauthorised: [...shown].filter((a) => !members.has(a)), absent: [...members].filter((a) => !shown.has(a)) };
}

export function isRosterMember(roster: Roster, aor: string, identityKey?: Uint8Array): boolean {
  const a = normalizeAoR(aor);
  return roster.members.some((m) => m.aor === a && (!identityKey || ctEqual(m.identityKey, identityKey)));
}
