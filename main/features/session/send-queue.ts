// The send side of one chat session (RFC 4975 s.7): messages written one after another (E2E sequence numbers must
// complete in order at the receiver), sealed, sliced with socket backpressure, each settled with its SessionDelivery from
// the MSRP responses and reports.
import { ParleyError, isParleyError } from '../../base/errors';
import type { MsrpSession } from '../../protocol/msrp/session';
import type { Negotiated } from '../../media/msrp-media';
import type { EpochCipher } from './wire';
import { SUCCESS_REPORT_WAIT_MS, type SessionDelivery } from './types';

const NO_SUCCESS_REPORT = {
  status: 'failed',
  code: 408,
  errorCode: 'MSRP_NO_SUCCESS_REPORT',
  reason: `no Success-Report from the peer within ${SUCCESS_REPORT_WAIT_MS} ms: delivery not confirmed`,
} as const;

/** Streamed sends write this much at a time, then wait for the socket to drain (flat memory for big messages). */
export const SEND_SLICE_BYTES = 1024 * 1024;
/** Slice size of relayed sends (16 relay chunks). */
export const RELAY_SEND_SLICE_BYTES = 64 * 1024;

/** What the queue needs from its session. */
export interface SendHost {
  state(): 'connecting' | 'established' | 'closed';
  ready(): Promise<void>;
  /** The negotiated MSRP session and its cipher (undefined before offer/answer). */
  link(): { msrp: MsrpSession; neg: Negotiated; cipher?: EpochCipher } | undefined;
}

interface Pending {
  resolve: (o: SessionDelivery) => void;
  outcome: Omit<SessionDelivery, 'status'>;
  successReport: boolean;
  timer?: NodeJS.Timeout;
  sealed: boolean;
}

/** A failed outcome for a message that never reached the wire. */
export function failedDelivery(imdnMessageId: string, e: unknown): SessionDelivery {
  const err = isParleyError(e) ? e : new ParleyError('SESSION_SEND_FAILED', String(e));
  return { status: 'failed', imdnMessageId, msrpMessageId: '', bytes: 0, errorCode: err.code, reason: err.message };
}

export class SendQueue {
  readonly #pending = new Map<string, Pending>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly host: SendHost) {}

  /** Queues one body (plaintext: sealed here when the session is protected); resolves with its outcome, never rejects. */
  enqueue(
    plain: Uint8Array,
    contentType: string,
    imdnMessageId: string,
    successReport: boolean,
    signal?: AbortSignal,
  ): Promise<SessionDelivery> {
    return new Promise<SessionDelivery>((resolve) => {
      this.#queue = this.#queue.then(() => this.#write(plain, contentType, imdnMessageId, successReport, resolve, signal)).catch(() => {});
    });
  }

  /**
   * Every chunk got its 200: 'sent' now when no Success-Report was asked for; else 'delivered' when the report comes, or
   * 'failed' (MSRP_NO_SUCCESS_REPORT) after SUCCESS_REPORT_WAIT_MS, never 'sent' (docs/sessions.md "Relays").
   */
  sent(msrpMessageId: string): void {
    const p = this.#pending.get(msrpMessageId);
    if (!p) return;
    if (!p.successReport) return this.#finish(msrpMessageId, { status: 'sent' });
    // every chunk got its 200, but that may be a relay's hop-by-hop answer: only the peer's report proves delivery
    p.timer = setTimeout(() => this.#finish(msrpMessageId, NO_SUCCESS_REPORT), SUCCESS_REPORT_WAIT_MS);
    p.timer.unref();
  }

  /** The peer's Success-Report covered the message. */
  delivered(msrpMessageId: string): void {
    this.#finish(msrpMessageId, { status: 'delivered' });
  }

  sendFailed(e: { messageId: string; status: number; comment?: string; local: boolean }): void {
    this.#finish(e.messageId, {
      status: 'failed',
      code: e.status,
      reason: e.comment,
      errorCode: e.local && e.status === 408 ? 'MSRP_TIMEOUT' : this.host.state() === 'closed' ? 'SESSION_CLOSED' : 'MSRP_SEND_FAILED',
    });
  }

  /** The session ended: every message still waiting fails with SESSION_CLOSED. */
  failAll(reason: string): void {
    for (const id of [...this.#pending.keys()]) this.#finish(id, { status: 'failed', errorCode: 'SESSION_CLOSED', reason });
  }

  async #write(
    plain: Uint8Array,
    plainType: string,
    imdnMessageId: string,
    successReport: boolean,
    resolve: (o: SessionDelivery) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    // sends (and automatic IMDNs for early messages) issued while the MSRP connection is still coming up wait for it
    if (this.host.state() === 'connecting') await this.host.ready().catch(() => {});
    const link = this.host.link();
    if (this.host.state() !== 'established' || !link) {
      resolve({
        status: 'failed',
        imdnMessageId,
        msrpMessageId: '',
        bytes: 0,
        errorCode: 'SESSION_CLOSED',
        reason: `session is ${this.host.state()}`,
      });
      return;
    }
    const { msrp: s, neg, cipher } = link;
    let contentType = plainType;
    let body = plain;
    if (cipher) {
      try {
        ({ contentType, body } = cipher.seal(plain));
      } catch (e) {
        resolve(failedDelivery(imdnMessageId, e));
        return;
      }
    }
    const o = s.startMessage({ contentType, successReport }, body.length);
    this.#pending.set(o.messageId, {
      resolve,
      successReport,
      sealed: !!cipher,
      outcome: { imdnMessageId, msrpMessageId: o.messageId, bytes: body.length },
    });
    // Relays have small per-connection write queues (Kamailio 5.6: 32 KiB, it drops the connection beyond): pace relayed
    // sends in small slices with an event-loop turn between them; direct sends use big slices.
    const slice = neg.relayed ? RELAY_SEND_SLICE_BYTES : SEND_SLICE_BYTES;
    for (let off = 0; off < body.length || off === 0; off += slice) {
      if (signal?.aborted) {
        o.abort();
        this.#finish(o.messageId, { status: 'interrupted', errorCode: 'SEND_INTERRUPTED', reason: 'aborted by the sender' });
        return;
      }
      if (body.length === 0) break;
      if (!o.write(body.subarray(off, Math.min(body.length, off + slice)))) return; // failed: sendFailed settles it
      await neg.transport.drained(s);
      // one turn of the event loop per slice: incoming frames and aborts are seen during a big send
      if (off + slice < body.length) await new Promise<void>((r) => setImmediate(r));
      if (this.host.state() === 'closed') return;
    }
    o.end();
  }

  #finish(msrpMessageId: string, r: Pick<SessionDelivery, 'status' | 'code' | 'reason' | 'errorCode'>): void {
    const p = this.#pending.get(msrpMessageId);
    if (!p) return;
    this.#pending.delete(msrpMessageId);
    if (p.timer) clearTimeout(p.timer);
    const cipher = this.host.link()?.cipher;
    if (p.sealed && (r.status === 'failed' || r.status === 'interrupted') && cipher && this.host.state() !== 'closed') {
      try {
        cipher.skipAfterLoss();
      } catch {
        /* keys already erased */
      }
    }
    p.resolve({ ...p.outcome, ...r });
  }
}
