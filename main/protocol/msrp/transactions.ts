// Outgoing request transactions and their timeout (RFC 4975 s.7.1.1: 30 s without a response means 408).
import type { Header, MsrpFrameHead } from './message';
import { systemClock, type Clock } from '../../base/clock';

/** s.7.1.1: a sender waits 30 seconds for a transaction response before treating the request as failed with 408. */
export const TRANSACTION_TIMEOUT_MS = 30_000;

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
