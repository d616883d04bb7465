// application/im-iscomposing+xml documents and sans-IO sender/receiver state machines (RFC 3994 s3, s4, s5).
import { ParleyError, type ErrorCode } from '../../base/errors';
import { parseXml, xmlToString, elements, textOf } from './xml';

export const ISCOMPOSING_NS = 'urn:ietf:params:xml:ns:im-iscomposing';
export const ISCOMPOSING_CONTENT_TYPE = 'application/im-iscomposing+xml';
export const ISCOMPOSING_MAX_BYTES = 4 * 1024;
/** Sender: idle after this long without typing (RFC 3994 s3.2 suggests 15 s). */
export const COMPOSING_IDLE_TIMEOUT_MS = 15_000;
/** Sender: refresh interval of active indications we emit (RFC 3994 s3.2: not less than 60 s; we use 90 s). */
export const COMPOSING_REFRESH_MS = 90_000;
export const COMPOSING_MIN_REFRESH_S = 60;
/** Receiver: an active state without refresh expires after this (RFC 3994 s4: 120 s default). */
export const COMPOSING_RECEIVER_DEFAULT_TIMEOUT_MS = 120_000;

export type ComposingState = 'active' | 'idle';
export interface IsComposing {
  state: ComposingState;
  lastActive?: string; // RFC 3339
  contentType?: string; // e.g. text/plain
  refresh?: number; // seconds, only meaningful with state active
}

const DATETIME_RE = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const CT_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+\/[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function err(code: ErrorCode, msg: string): never {
  throw new ParleyError(code, `is-composing: ${msg}`);
}

export function serializeIsComposing(d: IsComposing): Uint8Array {
  if (d.state !== 'active' && d.state !== 'idle') err('ISCOMPOSING_BAD_INPUT', `invalid state ${String(d.state)}`);
  if (d.lastActive !== undefined && !DATETIME_RE.test(d.lastActive)) err('ISCOMPOSING_BAD_INPUT', 'invalid lastactive');
  if (d.contentType !== undefined && !CT_RE.test(d.contentType)) err('ISCOMPOSING_BAD_INPUT', 'invalid contenttype');
  if (d.refresh !== undefined && (!Number.isInteger(d.refresh) || d.refresh <= 0))
    err('ISCOMPOSING_BAD_INPUT', 'refresh must be a positive integer');
  return new TextEncoder().encode(
    xmlToString({
      name: 'isComposing',
      attrs: { xmlns: ISCOMPOSING_NS },
      children: [
        { name: 'state', children: [d.state] },
        d.lastActive !== undefined && { name: 'lastactive', children: [d.lastActive] },
        d.contentType !== undefined && { name: 'contenttype', children: [d.contentType] },
        d.refresh !== undefined && { name: 'refresh', children: [String(d.refresh)] },
      ],
    }),
  );
}

export function parseIsComposing(bytes: Uint8Array | string): IsComposing {
  const root = parseXml(bytes, { maxBytes: ISCOMPOSING_MAX_BYTES, maxDepth: 4, maxElements: 32 });
  if (root.ns !== ISCOMPOSING_NS || root.name !== 'isComposing')
    err('ISCOMPOSING_WRONG_ROOT', `root {${root.ns}}${root.name} is not {${ISCOMPOSING_NS}}isComposing`);
  const get = (name: string): string | undefined => {
    const els = elements(root, ISCOMPOSING_NS, name);
    if (els.length > 1) err('ISCOMPOSING_DUPLICATE_ELEMENT', `more than one <${name}>`);
    return els.length ? textOf(els[0]).trim() : undefined;
  };
  const state = get('state');
  if (state === undefined) err('ISCOMPOSING_MISSING_ELEMENT', '<state> is required');
  if (state !== 'active' && state !== 'idle') err('ISCOMPOSING_BAD_STATE', `unknown state ${JSON.stringify(state)}`);
  const out: IsComposing = { state };
  const la = get('lastactive');
  if (la !== undefined) {
    if (!DATETIME_RE.test(la)) err('ISCOMPOSING_BAD_ELEMENT', 'invalid <lastactive>');
    out.lastActive = la;
  }
  const ct = get('contenttype');
  if (ct !== undefined) out.contentType = ct;
  const r = get('refresh');
  if (r !== undefined) {
    if (!/^[0-9]{1,9}$/.test(r) || Number(r) === 0) err('ISCOMPOSING_BAD_ELEMENT', 'invalid <refresh>');
    out.refresh = Number(r);
  }
  return out;
}

export interface ComposingSenderOptions {
  now: () => number; // ms clock (injected)
  idleTimeoutMs?: number;
  refreshMs?: number;
  contentType?: string;
}

/**
 * Sender side (RFC 3994 s3.2). Call typing() on each keystroke, messageSent() when the message goes out, and tick() at
 * nextDeadline(). Each returns the document to send (or undefined). Sending the message itself implies idle: no idle
 * indication is sent then.
 */
export class ComposingSender {
  state: ComposingState = 'idle';
  private lastTyped = 0;
  private lastSent = 0;
  private readonly idleMs: number;
  private readonly refreshMs: number;
  constructor(private readonly o: ComposingSenderOptions) {
    this.idleMs = o.idleTimeoutMs ?? COMPOSING_IDLE_TIMEOUT_MS;
    this.refreshMs = Math.max(o.refreshMs ?? COMPOSING_REFRESH_MS, COMPOSING_MIN_REFRESH_S * 1000);
  }
  private active(): IsComposing {
    this.lastSent = this.o.now();
    return {
      state: 'active',
      refresh: Math.round(this.refreshMs / 1000),
      ...(this.o.contentType ? { contentType: this.o.contentType } : {}),
    };
  }
  typing(): IsComposing | undefined {
    this.lastTyped = this.o.now();
    if (this.state === 'active') return undefined;
    this.state = 'active';
    return this.active();
  }
  messageSent(): void {
    this.state = 'idle';
  }
  /** Text box cleared without sending: go idle now. */
  cleared(): IsComposing | undefined {
    if (this.state !== 'active') return undefined;
    this.state = 'idle';
    return this.idle();
  }
  private idle(): IsComposing {
    return {
      state: 'idle',
      lastActive: new Date(this.lastTyped).toISOString(),
      ...(this.o.contentType ? { contentType: this.o.contentType } : {}),
    };
  }
  tick(): IsComposing | undefined {
    if (this.state !== 'active') return undefined;
    const t = this.o.now();
    if (t - this.lastTyped >= this.idleMs) {
      this.state = 'idle';
      return this.idle();
    }
    if (t - this.lastSent >= this.refreshMs) return this.active();
    return undefined;
  }
  nextDeadline(): number | undefined {
    if (this.state !== 'active') return undefined;
    return Math.min(this.lastTyped + this.idleMs, this.lastSent + this.refreshMs);
  }
}

export interface ComposingChange {
  state: ComposingState;
  lastActive?: string;
  contentType?: string;
}

/** Receiver side (RFC 3994 s4), one per remote participant. Returns a change when the displayed state changes. */
export class ComposingReceiver {
  state: ComposingState = 'idle';
  private expiresAt = 0;
  constructor(private readonly o: { now: () => number; defaultTimeoutMs?: number }) {}
  receive(d: IsComposing): ComposingChange | undefined {
    if (d.state === 'active') {
      this.expiresAt =
        this.o.now() + (d.refresh !== undefined ? d.refresh * 1000 : (this.o.defaultTimeoutMs ?? COMPOSING_RECEIVER_DEFAULT_TIMEOUT_MS));
      if (this.state === 'active') return undefined;
      this.state = 'active';
      return { state: 'active', ...(d.contentType ? { contentType: d.contentType } : {}) };
    }
    if (this.state === 'idle') return undefined;
    this.state = 'idle';
    return { state: 'idle', ...(d.lastActive ? { lastActive: d.lastActive } : {}) };
  }
  /** A message from this participant arrived: it implies idle. */
  messageReceived(): ComposingChange | undefined {
    if (this.state === 'idle') return undefined;
    this.state = 'idle';
    return { state: 'idle' };
  }
  tick(): ComposingChange | undefined {
    if (this.state === 'active' && this.o.now() >= this.expiresAt) {
      this.state = 'idle';
      return { state: 'idle' };
    }
    return undefined;
  }
  nextDeadline(): number | undefined {
    return this.state === 'active' ? this.expiresAt : undefined;
  }
}
