// Replay cache for page-mode envelopes: (sender, IMDN Message-ID) with a DateTime window (docs/security.md s.5.2; RFC 5438 s.6.3 Message-ID).
import { ParleyError } from '../base/errors';
import type { KeyStore } from './keystore';

/** Deferred delivery (msilo) may hold messages this long. */
export const REPLAY_WINDOW_MS = 30 * 24 * 3600 * 1000;
/** Accepted clock skew for DateTime in the future. */
export const FUTURE_SKEW_MS = 10 * 60 * 1000;
export const REPLAY_CAPACITY = 20_000;

export interface ReplayState {
  floor: number;
  e: [string, string, number][];
}

export interface ReplayOptions {
  capacity?: number;
  windowMs?: number;
  skewMs?: number;
}

/** Throws E2E_STALE when dateTime is outside [now - window, now + skew] or below `floor`. Pure. */
export function checkWindow(dateTime: number, now: number, floor = 0, windowMs = REPLAY_WINDOW_MS, skewMs = FUTURE_SKEW_MS): void {
  if (!Number.isFinite(dateTime) || dateTime < now - windowMs || dateTime < floor) {
    throw new ParleyError('E2E_STALE', 'message DateTime is older than the replay window', { dateTime, now, floor });
  }
  if (dateTime > now + skewMs) throw new ParleyError('E2E_STALE', 'message DateTime is too far in the future', { dateTime, now });
}

/** In-memory replay cache with a JSON form; see PersistentReplayGuard for the key-store-backed one. */
export class ReplayCache {
  #map = new Map<string, number>();
  #floor = 0;
  readonly capacity: number;
  readonly windowMs: number;
  readonly skewMs: number;

  constructor(state?: ReplayState, opts: ReplayOptions = {}) {
    this.capacity = opts.capacity ?? REPLAY_CAPACITY;
    this.windowMs = opts.windowMs ?? REPLAY_WINDOW_MS;
    this.skewMs = opts.skewMs ?? FUTURE_SKEW_MS;
    if (state) {
      if (typeof state.floor !== 'number' || !Array.isArray(state.e)) throw new ParleyError('KEYSTORE_CORRUPT', 'bad replay section');
      this.#floor = state.floor;
      for (const [s, id, t] of state.e) this.#map.set(JSON.stringify([s, id]), t);
    }
  }

  get size(): number {
    return this.#map.size;
  }
  get floor(): number {
    return this.#floor;
  }

  /** Throws E2E_STALE or E2E_REPLAY; does not record. */
  check(sender: string, messageId: string, dateTime: number, now: number): void {
    checkWindow(dateTime, now, this.#floor, this.windowMs, this.skewMs);
    if (this.#map.has(JSON.stringify([sender, messageId]))) {
      throw new ParleyError('E2E_REPLAY', 'message already received (same sender and Message-ID)', { sender, messageId });
    }
  }

  /** Check, then record. Returns an undo function (used when persisting fails). */
  checkAndRecord(sender: string, messageId: string, dateTime: number, now: number): () => void {
    this.check(sender, messageId, dateTime, now);
    const key = JSON.stringify([sender, messageId]);
    const prevFloor = this.#floor;
    const evicted: [string, number][] = [];
    if (this.#map.size >= this.capacity) evicted.push(...this.#makeRoom(now));
    this.#map.set(key, dateTime);
    return () => {
      this.#map.delete(key);
      for (const [k, t] of evicted) this.#map.set(k, t);
      this.#floor = prevFloor;
    };
  }

  #makeRoom(now: number): [string, number][] {
    const out: [string, number][] = [];
    const limit = now - this.windowMs - this.skewMs;
    for (const [k, t] of this.#map) if (t < limit) out.push([k, t]);
    for (const [k] of out) this.#map.delete(k);
    while (this.#map.size >= this.capacity) {
      let oldestKey = '';
      let oldest = Infinity;
      for (const [k, t] of this.#map) if (t < oldest) [oldest, oldestKey] = [t, k];
      this.#map.delete(oldestKey);
      out.push([oldestKey, oldest]);
      // Anything at or below an evicted entry's DateTime can no longer be checked: refuse it as stale from now on.
      this.#floor = Math.max(this.#floor, oldest + 1);
    }
    return out;
  }

  toJSON(): ReplayState {
    return { floor: this.#floor, e: [...this.#map].map(([k, t]) => [...(JSON.parse(k) as [string, string]), t]) };
  }
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
    this.cache = new ReplayCache(store.getSection<ReplayState>('replay'), opts);
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
