// Outgoing request transactions and their timeout (RFC 4975 s.7.1.1: 30 s without a response means 408).
import type { Header, MsrpFrameHead } from './message';

/** s.7.1.1: a sender waits 30 seconds for a transaction response before treating the request as failed with 408. */
export const TRANSACTION_TIMEOUT_MS = 30_000;

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface TransactionResult {
  status: number;
  comment?: string;
  headers: Header[];
  /** true when generated locally (timeout, connection loss) rather than received */
  local: boolean;
}

interface Pending {
  onResult: (r: TransactionResult) => void;
  deadline: number;
  silent: boolean;
}

/**
 * Pending transactions in start order. All share one timeout, so deadlines are monotonic and a single timer armed for
 * the oldest entry covers them all (no timer churn per chunk).
 */
export class TransactionTable {
  private pending = new Map<string, Pending>();
  private timer: unknown;
  private timerAt = 0;

  constructor(
    private readonly clock: Clock = systemClock,
    private readonly timeoutMs: number = TRANSACTION_TIMEOUT_MS,
  ) {}

  get size(): number {
    return this.pending.size;
  }

  has(tid: string): boolean {
    return this.pending.has(tid);
  }

  /** silent: forget the transaction after the timeout without a 408 (Failure-Report: partial, s.7.1.2). */
  start(tid: string, onResult: (r: TransactionResult) => void, silent = false): void {
    this.pending.set(tid, { onResult, deadline: this.clock.now() + this.timeoutMs, silent });
    if (this.timer === undefined) this.arm();
  }

  private arm(): void {
    const first = this.pending.values().next();
    if (first.done) return;
    this.timerAt = first.value.deadline;
    this.timer = this.clock.setTimeout(() => this.expire(), Math.max(0, this.timerAt - this.clock.now()));
  }

  private expire(): void {
    this.timer = undefined;
    const now = this.clock.now();
    const due: Pending[] = [];
    for (const [tid, p] of this.pending) {
      if (p.deadline > now) break;
      this.pending.delete(tid);
      due.push(p);
    }
    this.arm();
    for (const p of due) if (!p.silent) p.onResult({ status: 408, comment: 'Request Timeout', headers: [], local: true });
  }

  private disarmIfEmpty(): void {
    if (this.pending.size === 0 && this.timer !== undefined) {
      this.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  /** Returns false when no transaction matches (stray or late response). */
  handleResponse(head: MsrpFrameHead): boolean {
    const p = this.pending.get(head.tid);
    if (!p || head.status === undefined) return false;
    this.pending.delete(head.tid);
    this.disarmIfEmpty();
    p.onResult({ status: head.status, comment: head.comment, headers: head.headers, local: false });
    return true;
  }

  /** Fail every pending transaction locally (connection closed). */
  failAll(status = 408, comment = 'Connection closed'): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    this.disarmIfEmpty();
    for (const p of all) p.onResult({ status, comment, headers: [], local: true });
  }
}

/** Manual clock for tests and simulations. */
export class FakeClock implements Clock {
  private t = 0;
  private seq = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.timers.delete(h as number);
  }
  advance(ms: number): void {
    const target = this.t + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].at <= target && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = target;
  }
  get pendingTimers(): number {
    return this.timers.size;
  }
}
