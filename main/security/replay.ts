// Replay cache for page-mode envelopes: (sender, IMDN Message-ID) with a DateTime window (docs/security.md s.5.2; RFC 5438 s.6.3 Message-ID).
// Each sender has its own budget of remembered ids and its own floor, so one sender's flood never touches another's messages.
import { ParleyError } from '../base/errors';
import type { KeyStore } from './keystore';

/** Deferred delivery (msilo) may hold messages this long. */
export const REPLAY_WINDOW_MS = 30 * 24 * 3600 * 1000;
/** Accepted clock skew for DateTime in the future. */
export const FUTURE_SKEW_MS = 10 * 60 * 1000;
/** Ids remembered for all senders together (bounds the key store file: ~1 MB). */
export const REPLAY_CAPACITY = 20_000;
/** Ids remembered per sender; beyond it the sender's own oldest id is forgotten and its own floor raised. */
export const REPLAY_PER_SENDER = 1_000;
/** Ids dated in the future a sender may hold at once (clock skew is rare; a flood of them is refused, not stored). */
export const REPLAY_FUTURE_PER_SENDER = 50;
/** Persisted format version (the key store's `replay` section). v1 files (one shared floor) are still read. */
export const REPLAY_STATE_VERSION = 2;

/** Persisted form, v2: per sender its floor and remembered [Message-ID, DateTime] pairs. */
export interface ReplayState {
  v: 2;
  /** Legacy floor carried over from a v1 file (applies to every sender, never raised); absent when 0. */
  g?: number;
  s: Record<string, { f: number; e: [string, number][] }>;
}

/** The v1 form (one shared floor: the flood hole of issue 12); read, never written. */
export interface ReplayStateV1 {
  floor: number;
  e: [string, string, number][];
}

export interface ReplayOptions {
  capacity?: number;
  perSender?: number;
  futurePerSender?: number;
  windowMs?: number;
  skewMs?: number;
  /** Time used to clamp a v1 file's shared floor when loading (default Date.now()). */
  loadedAt?: number;
}

interface SenderRecord {
  floor: number;
  ids: Map<string, number>;
}

/** Throws E2E_STALE when dateTime is outside [now - window, now + skew] or below `floor`. Pure. */
export function checkWindow(dateTime: number, now: number, floor = 0, windowMs = REPLAY_WINDOW_MS, skewMs = FUTURE_SKEW_MS): void {
  if (!Number.isFinite(dateTime) || dateTime < now - windowMs || dateTime < floor) {
    throw new ParleyError('E2E_STALE', 'message DateTime is older than the replay window', { dateTime, now, floor });
  }
  if (dateTime > now + skewMs) throw new ParleyError('E2E_STALE', 'message DateTime is too far in the future', { dateTime, now });
}

const corrupt = (why: string) => new ParleyError('KEYSTORE_CORRUPT', `bad replay section: ${why}`);
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/**
 * In-memory replay cache with a JSON form; see PersistentReplayGuard for the key-store-backed one.
 * Bounds: `perSender` ids per sender, `futurePerSender` of them dated ahead of now, `capacity` ids in all. A floor is
 * only ever raised to the DateTime of an id that is forgotten, that id is never in the future, and only that sender's
 * floor moves. docs/security.md s.5.2 lists every case.
 */
export class ReplayCache {
  #senders = new Map<string, SenderRecord>();
  #size = 0;
  #legacyFloor = 0;
  readonly capacity: number;
  readonly perSender: number;
  readonly futurePerSender: number;
  readonly windowMs: number;
  readonly skewMs: number;

  constructor(state?: ReplayState | ReplayStateV1, opts: ReplayOptions = {}) {
    this.capacity = opts.capacity ?? REPLAY_CAPACITY;
    this.perSender = Math.min(opts.perSender ?? REPLAY_PER_SENDER, this.capacity);
    this.futurePerSender = Math.min(opts.futurePerSender ?? REPLAY_FUTURE_PER_SENDER, Math.max(0, this.perSender - 1));
    this.windowMs = opts.windowMs ?? REPLAY_WINDOW_MS;
    this.skewMs = opts.skewMs ?? FUTURE_SKEW_MS;
    if (state) this.#load(state, opts.loadedAt ?? Date.now());
  }

  #load(state: ReplayState | ReplayStateV1, loadedAt: number): void {
    if (typeof state !== 'object' || state === null) throw corrupt('not an object');
    if ('v' in state) {
      if (state.v !== REPLAY_STATE_VERSION) throw corrupt(`unknown version ${String(state.v)}`);
      if (typeof state.s !== 'object' || state.s === null) throw corrupt('no senders');
      if (state.g !== undefined && !isNum(state.g)) throw corrupt('bad legacy floor');
      this.#legacyFloor = state.g ?? 0;
      for (const [sender, r] of Object.entries(state.s)) {
        if (!isNum(r?.f) || !Array.isArray(r.e)) throw corrupt('bad sender record');
        const rec = this.#record(sender);
        rec.floor = r.f;
        for (const pair of r.e) {
          if (!Array.isArray(pair) || typeof pair[0] !== 'string' || !isNum(pair[1])) throw corrupt('bad entry');
          this.#put(rec, pair[0], pair[1]);
        }
      }
      return;
    }
    if (!isNum(state.floor) || !Array.isArray(state.e)) throw corrupt('bad v1 section');
    // v1 kept one floor for everyone and could raise it into the future: keep it as a never-raised legacy floor, clamped
    // to the load time so a poisoned value stops refusing current messages.
    this.#legacyFloor = Math.min(state.floor, loadedAt);
    for (const entry of state.e) {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string' || typeof entry[1] !== 'string' || !isNum(entry[2]))
        throw corrupt('bad v1 entry');
      this.#put(this.#record(entry[0]), entry[1], entry[2]);
    }
  }

  /** Ids remembered, all senders. */
  get size(): number {
    return this.#size;
  }
  get senderCount(): number {
    return this.#senders.size;
  }
  /** The floor that applies to `sender` (its own, or the v1 legacy floor if higher). */
  floorOf(sender: string): number {
    return Math.max(this.#senders.get(sender)?.floor ?? 0, this.#legacyFloor);
  }
  /** How many ids of `sender` are remembered. */
  countOf(sender: string): number {
    return this.#senders.get(sender)?.ids.size ?? 0;
  }

  /** Throws E2E_STALE or E2E_REPLAY; does not record. */
  check(sender: string, messageId: string, dateTime: number, now: number): void {
    checkWindow(dateTime, now, this.floorOf(sender), this.windowMs, this.skewMs);
    if (this.#senders.get(sender)?.ids.has(messageId)) {
      throw new ParleyError('E2E_REPLAY', 'message already received (same sender and Message-ID)', { sender, messageId });
    }
  }

  /**
   * Check, then record. Throws E2E_STALE, E2E_REPLAY, or E2E_RATE_LIMITED (this sender holds too many ids dated in the
   * future, or the cache is full of ids that cannot be forgotten yet). Returns an undo function (used when persisting fails).
   */
  checkAndRecord(sender: string, messageId: string, dateTime: number, now: number): () => void {
    this.check(sender, messageId, dateTime, now);
    const undo: (() => void)[] = [];
    try {
      const rec = this.#senders.get(sender);
      if (dateTime > now && rec && this.#futureCount(rec, now) >= this.futurePerSender) {
        throw limited(`more than ${this.futurePerSender} messages dated in the future from this sender`, sender);
      }
      if (rec && rec.ids.size >= this.perSender && !this.#forgetOldest(sender, rec, now, undo)) {
        throw limited(`this sender's ${this.perSender} remembered messages are all dated in the future`, sender);
      }
      if (this.#size >= this.capacity) this.#makeRoom(now, undo);
      const target = this.#record(sender);
      this.#put(target, messageId, dateTime);
      undo.push(() => this.#delete(sender, target, messageId));
    } catch (e) {
      for (const u of undo.reverse()) u();
      throw e;
    }
    return () => {
      for (const u of undo.reverse()) u();
    };
  }

  #record(sender: string): SenderRecord {
    let rec = this.#senders.get(sender);
    if (!rec) this.#senders.set(sender, (rec = { floor: 0, ids: new Map() }));
    return rec;
  }

  #put(rec: SenderRecord, id: string, t: number): void {
    if (!rec.ids.has(id)) this.#size++;
    rec.ids.set(id, t);
  }

  #delete(sender: string, rec: SenderRecord, id: string): void {
    if (rec.ids.delete(id)) this.#size--;
    if (rec.ids.size === 0 && rec.floor === 0 && this.#senders.get(sender) === rec) this.#senders.delete(sender);
  }

  #futureCount(rec: SenderRecord, now: number): number {
    let n = 0;
    for (const t of rec.ids.values()) if (t > now) n++;
    return n;
  }

  /** Forgets the sender's oldest id that is not in the future and raises that sender's floor past it. */
  #forgetOldest(sender: string, rec: SenderRecord, now: number, undo: (() => void)[]): boolean {
    let oldestId: string | undefined;
    let oldest = Infinity;
    for (const [id, t] of rec.ids) if (t < oldest) [oldest, oldestId] = [t, id];
    if (oldestId === undefined || oldest > now) return false;
    const prevFloor = rec.floor;
    const id = oldestId;
    rec.ids.delete(id);
    this.#size--;
    // Anything at or below the forgotten id's DateTime can no longer be checked: refuse it as stale from now on
    // (an expired id needs no floor: the window refuses it already).
    if (oldest >= now - this.windowMs - this.skewMs) rec.floor = Math.max(rec.floor, oldest + 1);
    undo.push(() => {
      rec.ids.set(id, oldest);
      this.#size++;
      rec.floor = prevFloor;
      if (this.#senders.get(sender) !== rec) this.#senders.set(sender, rec);
    });
    return true;
  }

  /** Global room: drop expired ids, then forget from the sender holding the most ids (never a sender's last one). */
  #makeRoom(now: number, undo: (() => void)[]): void {
    const limit = now - this.windowMs - this.skewMs;
    for (const [sender, rec] of this.#senders) {
      for (const [id, t] of rec.ids) {
        if (t >= limit) continue;
        rec.ids.delete(id);
        this.#size--;
        undo.push(() => {
          rec.ids.set(id, t);
          this.#size++;
        });
      }
      // A floor below the window refuses nothing the window does not: the record can go.
      if (rec.ids.size === 0 && rec.floor < now - this.windowMs) {
        this.#senders.delete(sender);
        undo.push(() => this.#senders.set(sender, rec));
      }
    }
    while (this.#size >= this.capacity) {
      const order = [...this.#senders].filter(([, r]) => r.ids.size > 1).sort((a, b) => b[1].ids.size - a[1].ids.size);
      if (!order.some(([sender, rec]) => this.#forgetOldest(sender, rec, now, undo))) {
        throw limited(`the replay cache holds ${this.capacity} messages that cannot be forgotten yet`);
      }
    }
  }

  toJSON(): ReplayState {
    const s: ReplayState['s'] = {};
    for (const [sender, rec] of this.#senders) s[sender] = { f: rec.floor, e: [...rec.ids] };
    return this.#legacyFloor ? { v: 2, g: this.#legacyFloor, s } : { v: 2, s };
  }
}

function limited(why: string, sender?: string): ParleyError {
  return new ParleyError('E2E_RATE_LIMITED', `message refused: ${why}`, sender ? { sender } : undefined);
}

/** What openEnvelope needs: atomic check-and-record that is durable before it resolves. */
export interface ReplayGuard {
  checkAndRecord(sender: string, messageId: string, dateTime: number, now: number): Promise<void>;
}

/**
 * Replay cache kept in the key store's encrypted `replay` section; every accepted message is on disk before its
 * checkAndRecord resolves. Calls that arrive while a write is in flight share the next write (group commit), so a burst
 * of deferred messages costs a few key store writes, not one per message.
 */
export class PersistentReplayGuard implements ReplayGuard {
  readonly cache: ReplayCache;
  #writing: Promise<void> | null = null;
  #next: Promise<void> | null = null;

  constructor(
    private readonly store: KeyStore,
    opts?: ReplayOptions,
  ) {
    this.cache = new ReplayCache(store.getSection<ReplayState | ReplayStateV1>('replay'), opts);
  }

  async checkAndRecord(sender: string, messageId: string, dateTime: number, now: number): Promise<void> {
    const undo = this.cache.checkAndRecord(sender, messageId, dateTime, now);
    try {
      await this.#flush();
    } catch (e) {
      undo();
      throw e;
    }
  }

  /** Resolves once a write that started after this call completed. */
  #flush(): Promise<void> {
    if (this.#next) return this.#next;
    if (!this.#writing) {
      this.#writing = this.store.setSection('replay', this.cache.toJSON()).finally(() => (this.#writing = null));
      return this.#writing;
    }
    const after = this.#writing
      .catch(() => {})
      .then(() => {
        this.#next = null;
        this.#writing = this.store.setSection('replay', this.cache.toJSON()).finally(() => (this.#writing = null));
        return this.#writing;
      });
    this.#next = after;
    return after;
  }
}
