// Live participant list of a chat room from RFC 4575 conference-info documents (s.4.1 versions, s.6 partial state). Sans-IO.
import { ParleyError, isParleyError } from '../../base/errors';
import { applyConferenceInfo, parseConferenceInfo, type ConferenceView, type ConfUser } from '../../protocol/formats/conference-info';
import { isPeerAddress, normalizeAoR } from '../../security/aor';
import type { Participant } from './types';

export interface RosterChange {
  joined: Participant[];
  left: string[];
  /** Nickname (display-text) or role changes. */
  changed: Participant[];
  /** The document replaced the whole state (first NOTIFY or a resync). */
  full: boolean;
}

export type RosterResult =
  | { kind: 'applied'; change: RosterChange }
  /** Out of order or duplicate (version not newer): ignored. */
  | { kind: 'stale' }
  /** A version gap or a partial document without a base: the caller re-SUBSCRIBEs for a full state (RFC 4575 s.4.1). */
  | { kind: 'resync'; error: ParleyError }
  /** The conference is gone (state deleted). */
  | { kind: 'ended' };

function safeAor(u: string): string {
  try {
    return normalizeAoR(u);
  } catch {
    return u;
  }
}

export class Roster {
  private view: ConferenceView | undefined;
  private readonly users = new Map<string, Participant>();

  constructor(
    readonly roomUri: string,
    private readonly me: string,
  ) {}

  get version(): number | undefined {
    return this.view?.version;
  }
  get subject(): string | undefined {
    return this.view?.description?.subject;
  }
  get participants(): Participant[] {
    return [...this.users.values()];
  }
  /** AoRs of the other participants. */
  get others(): string[] {
    return [...this.users.keys()].filter((a) => a !== this.me);
  }
  has(aor: string): boolean {
    return this.users.has(safeAor(aor));
  }
  get(aor: string): Participant | undefined {
    return this.users.get(safeAor(aor));
  }
  byNickname(n: string): Participant | undefined {
    const k = n.normalize('NFKC').toLowerCase();
    return this.participants.find((p) => p.nickname !== undefined && p.nickname.normalize('NFKC').toLowerCase() === k);
  }

  /** A new subscription starts its own version space (RFC 4575 s.4.1): the next document must be full. */
  resetVersions(): void {
    this.view = undefined;
  }

  /** Apply one NOTIFY body. Never throws for bad input: a malformed document is reported as resync. */
  apply(body: Uint8Array | string): RosterResult {
    let doc;
    try {
      doc = parseConferenceInfo(body);
    } catch (e) {
      return { kind: 'resync', error: isParleyError(e) ? e : new ParleyError('CONFINFO_MALFORMED', String(e)) };
    }
    if (safeAor(doc.entity) !== safeAor(this.roomUri)) {
      return { kind: 'resync', error: new ParleyError('CONFINFO_ENTITY_MISMATCH', `document for ${doc.entity}, not ${this.roomUri}`) };
    }
    let next: ConferenceView;
    try {
      next = applyConferenceInfo(this.view, doc);
    } catch (e) {
      const err = isParleyError(e) ? e : new ParleyError('CONFINFO_MALFORMED', String(e));
      if (err.code === 'CONFINFO_STALE_VERSION') return { kind: 'stale' };
      return { kind: 'resync', error: err };
    }
    this.view = next;
    if (next.state === 'deleted') {
      this.users.clear();
      return { kind: 'ended' };
    }
    return { kind: 'applied', change: this.diff(next.users.list, doc.state === 'full') };
  }

  private diff(list: ConfUser[], full: boolean): RosterChange {
    const now = new Map<string, Participant>();
    for (const u of list) {
      if (u.state === 'deleted') continue;
      const eps = u.endpoints ?? [];
      if (eps.length && eps.every((e) => e.status === 'disconnected')) continue;
      // an entity that is no peer address (no user part, a user part over 128 characters) cannot be shown: skipped
      if (!isPeerAddress(u.entity)) continue;
      const aor = safeAor(u.entity);
      now.set(aor, { aor, nickname: u.displayText, roles: u.roles ?? [], status: eps[0]?.status ?? 'connected', isMe: aor === this.me });
    }
    const change: RosterChange = { joined: [], left: [], changed: [], full };
    for (const [aor, p] of now) {
      const old = this.users.get(aor);
      if (!old) change.joined.push(p);
      else if (old.nickname !== p.nickname || old.roles.join() !== p.roles.join()) change.changed.push(p);
    }
    for (const aor of this.users.keys()) if (!now.has(aor)) change.left.push(aor);
    this.users.clear();
    for (const [k, v] of now) this.users.set(k, v);
    return change;
  }
}
