// Items that arrive while a test waits for them (frames, requests, events, peer messages), for the lab's test helpers.
// An arriving item goes to the oldest waiter whose predicate takes it, else it is kept; a wait takes a kept item first.
// Every wait is bounded and names what it waited for (no sleeps).

interface Waiter<T> {
  pred: (item: T) => boolean;
  resolve: (item: T) => void;
}

export class WaitQueue<T> {
  /** Items that arrived and were not taken by a wait yet, oldest first. */
  readonly kept: T[] = [];
  readonly #waiters: Waiter<T>[] = [];

  /** Hand `item` to the first waiter that takes it, or keep it. */
  push(item: T): void {
    const i = this.#waiters.findIndex((w) => w.pred(item));
    if (i >= 0) this.#waiters.splice(i, 1)[0].resolve(item);
    else this.kept.push(item);
  }

  /** Whether a kept item matches (no waiting, nothing taken). */
  has(pred: (item: T) => boolean): boolean {
    return this.kept.some(pred);
  }

  /**
   * The first kept item matching `pred`, or the next one to arrive within `timeoutMs`; rejects with
   * "no WHAT within N ms" (plus `detail()`, e.g. a peer's output, read when the wait fails).
   */
  take(pred: (item: T) => boolean, timeoutMs: number, what: string, detail?: () => string): Promise<T> {
    const i = this.kept.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.kept.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const waiter: Waiter<T> = {
        pred,
        resolve: (item) => {
          clearTimeout(timer);
          resolve(item);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(new Error(`no ${what} within ${timeoutMs} ms${detail ? `\n${detail()}` : ''}`));
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }
}
