// The one clock of the repository: the time now and one-shot timers, injected wherever code waits, so that tests advance
// time without sleeping. `systemClock` is the real one (unref'd timers: a pending timer never keeps the process alive);
// `FakeClock` moves only when told to. Used by the MSRP core, the relay client, the UE (typing) and the app server.

/** Time in milliseconds (Date.now() semantics) and one-shot timers. */
export interface Clock {
  now(): number;
  /** Runs fn once after ms; the handle is for clearTimeout only. */
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The real clock with another time source (e.g. a UE's injected `now`); timers are real and unref'd. */
export function systemClockWith(now: () => number): Clock {
  return {
    now,
    setTimeout: (fn, ms) => {
      const t = setTimeout(fn, Math.max(0, ms));
      t.unref?.();
      return t;
    },
    clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  };
}

/** The real clock: Date.now() and unref'd timers. */
export const systemClock: Clock = systemClockWith(() => Date.now());

interface FakeTimer {
  at: number;
  fn: () => void;
}

/**
 * A clock for tests and simulations: now() is `base()` plus `offset`, and only advance() moves the offset. By default the
 * base is 0 (pure simulated time); `new FakeClock(Date.now)` follows real time plus the advances (for code that also stamps
 * network messages). advance() fires the due timers in deadline order, each with now() at its deadline, including timers
 * set by those callbacks when they fall due within the same advance.
 */
export class FakeClock implements Clock {
  /** Milliseconds added to the base by advance() (may be reset by a test). */
  offset = 0;
  readonly #base: () => number;
  readonly #timers = new Map<number, FakeTimer>();
  #seq = 0;

  constructor(base: () => number = () => 0) {
    this.#base = base;
  }

  /** Bound, so it can be handed out as a bare `now` function. */
  readonly now = (): number => this.#base() + this.offset;

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.#seq;
    this.#timers.set(id, { at: this.now() + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  advance(ms: number): void {
    const target = this.offset + ms;
    for (;;) {
      const limit = this.#base() + target;
      let next: [number, FakeTimer] | undefined;
      for (const e of this.#timers) if (e[1].at <= limit && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.#timers.delete(next[0]);
      this.offset = Math.max(this.offset, next[1].at - this.#base());
      next[1].fn();
    }
    this.offset = target;
  }

  /** Timers set and neither fired nor cleared. */
  get pendingTimers(): number {
    return this.#timers.size;
  }
}
