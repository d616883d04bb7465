// Sender-key distributions from someone the room does not list (yet): refused, and kept a short while in case the
// focus's roster NOTIFY naming a joiner arrives after the joiner's key (docs/conferences.md s.3, issue 12). Bounded in
// count and time; a sender the roster never lists within the time is forgotten, one that leaves is dropped.
import { HELD_KEYS_MAX, PENDING_TTL_MS } from './types';

export class HeldKeys {
  readonly #held = new Map<string, { body: Uint8Array; until: number }>();

  constructor(private readonly now: () => number) {}

  /** Keeps `sender`'s latest distribution (an authenticated envelope's inner body); the oldest goes when full. */
  hold(sender: string, body: Uint8Array): void {
    this.#held.delete(sender);
    this.#held.set(sender, { body, until: this.now() + PENDING_TTL_MS });
    if (this.#held.size > HELD_KEYS_MAX) this.#held.delete(this.#held.keys().next().value!);
  }

  /** The held distribution of a sender who just became a member, if still fresh. */
  take(sender: string): Uint8Array | undefined {
    const h = this.#held.get(sender);
    this.#held.delete(sender);
    return h && this.now() <= h.until ? h.body : undefined;
  }

  forget(sender: string): void {
    this.#held.delete(sender);
  }

  get size(): number {
    return this.#held.size;
  }
}
