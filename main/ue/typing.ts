// RFC 3994 is-composing for the UE: one ComposingSender per conversation we type in (rate limiting, refresh, idle), one
// ComposingReceiver per peer (expiry). Timers run on an injected clock so tests can advance time without sleeping.
import { ComposingReceiver, ComposingSender, type IsComposing } from '../protocol/formats/is-composing';
import { systemClockWith, type Clock } from '../base/clock';

/** The UE's clock is the repository's one Clock (main/base/clock.ts); this name stays for the UE files that import it. */
export type UeClock = Clock;

/** The real clock with the UE's time source (systemClockWith, under the name ue.ts imports). */
export const realClock = (now: () => number = Date.now): UeClock => systemClockWith(now);

export interface TypingCallbacks {
  /** Send an is-composing document to the conversation's peer (best effort). */
  send(conversationId: string, doc: IsComposing): void;
  /** The peer's indicator changed. */
  changed(conversationId: string, active: boolean, at: number): void;
}

export class TypingManager {
  readonly #senders = new Map<string, { s: ComposingSender; cancel?: () => void }>();
  readonly #receivers = new Map<string, { r: ComposingReceiver; cancel?: () => void }>();

  constructor(
    private readonly clock: UeClock,
    private readonly cb: TypingCallbacks,
  ) {}

  /** typing.set from the UI: active=true on keystrokes (rate-limited by ComposingSender), false when the box is cleared. */
  set(conversationId: string, active: boolean): void {
    let e = this.#senders.get(conversationId);
    if (!e) {
      e = { s: new ComposingSender({ now: () => this.clock.now(), contentType: 'text/plain' }) };
      this.#senders.set(conversationId, e);
    }
    const doc = active ? e.s.typing() : e.s.cleared();
    if (doc) this.cb.send(conversationId, doc);
    this.#armSender(conversationId);
  }

  /** Our message went out: RFC 3994 s.3.2, the message itself implies idle. */
  messageSent(conversationId: string): void {
    const e = this.#senders.get(conversationId);
    if (!e) return;
    e.s.messageSent();
    this.#armSender(conversationId);
  }

  received(conversationId: string, doc: IsComposing): void {
    const e = this.#receiver(conversationId);
    const ch = e.r.receive(doc);
    if (ch) this.cb.changed(conversationId, ch.state === 'active', this.clock.now());
    this.#armReceiver(conversationId);
  }

  /** A message from the peer arrived: it implies idle. */
  peerMessage(conversationId: string): void {
    const e = this.#receivers.get(conversationId);
    if (!e) return;
    const ch = e.r.messageReceived();
    if (ch) this.cb.changed(conversationId, false, this.clock.now());
    this.#armReceiver(conversationId);
  }

  close(): void {
    for (const e of this.#senders.values()) e.cancel?.();
    for (const e of this.#receivers.values()) e.cancel?.();
    this.#senders.clear();
    this.#receivers.clear();
  }

  #receiver(id: string) {
    let e = this.#receivers.get(id);
    if (!e) {
      e = { r: new ComposingReceiver({ now: () => this.clock.now() }) };
      this.#receivers.set(id, e);
    }
    return e;
  }

  #armSender(id: string): void {
    const e = this.#senders.get(id);
    if (!e) return;
    e.cancel?.();
    e.cancel = undefined;
    const at = e.s.nextDeadline();
    if (at === undefined) return;
    const timer = this.clock.setTimeout(() => {
      e.cancel = undefined;
      const doc = e.s.tick();
      if (doc) this.cb.send(id, doc);
      this.#armSender(id);
    }, at - this.clock.now());
    e.cancel = () => this.clock.clearTimeout(timer);
  }

  #armReceiver(id: string): void {
    const e = this.#receivers.get(id);
    if (!e) return;
    e.cancel?.();
    e.cancel = undefined;
    const at = e.r.nextDeadline();
    if (at === undefined) return;
    const timer = this.clock.setTimeout(() => {
      e.cancel = undefined;
      const ch = e.r.tick();
      if (ch) this.cb.changed(id, ch.state === 'active', this.clock.now());
      this.#armReceiver(id);
    }, at - this.clock.now());
    e.cancel = () => this.clock.clearTimeout(timer);
  }
}
