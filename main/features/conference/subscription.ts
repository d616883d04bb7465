// Conference event package subscriber (RFC 4575 s.3, RFC 6665 s.4.1): JsSIP Subscriber with the NOTIFY-before-200
// race handled (buffered, then replayed), re-SUBSCRIBE on version gaps / unexpected termination, bounded retries.
import { EventEmitter } from 'node:events';
import { ParleyError } from '../../base/errors';
import type { SipUserAgent } from '../../net/sip/ua';
import { Roster, type RosterChange } from './roster';
import { CONF_SUBSCRIBE_EXPIRES_S, CONFINFO_ACCEPT, FIRST_NOTIFY_WAIT_MS, RESUBSCRIBE_BACKOFF_MS, RESUBSCRIBE_MAX_ATTEMPTS } from './types';

interface JsSipSubscriber {
  on(ev: string, fn: (...a: any[]) => void): void; // eslint-disable-line @typescript-eslint/no-explicit-any
  subscribe(body?: string | null): void;
  terminate(body?: string | null): void;
  readonly state: number;
  _params: { call_id: string };
}
interface RawRequest {
  method: string;
  call_id: string;
  from_tag: string;
  to_tag?: string;
}
interface BufferingUa {
  receiveRequest(r: unknown): void;
  _findDialog(c: string, f: string, t?: string): unknown;
  parleyNotifyBuffer?: Map<string, RawRequest[]>;
}

/** NOTIFYs that arrive before the SUBSCRIBE's 200 (JsSIP would answer 481 and the full state is lost): held per Call-ID. */
function notifyBuffer(ua: SipUserAgent): Map<string, RawRequest[]> {
  const j = ua.jssip as unknown as BufferingUa;
  if (j.parleyNotifyBuffer) return j.parleyNotifyBuffer;
  const buf = new Map<string, RawRequest[]>();
  const original = j.receiveRequest.bind(j);
  j.receiveRequest = (r: unknown) => {
    const q = r as RawRequest;
    if (q.method === 'NOTIFY' && q.to_tag && buf.has(q.call_id) && !j._findDialog(q.call_id, q.from_tag, q.to_tag)) {
      buf.get(q.call_id)!.push(q);
      return;
    }
    original(r);
  };
  j.parleyNotifyBuffer = buf;
  return buf;
}

export interface ConferenceSubscriptionEvents {
  change: [RosterChange];
  ended: [];
  /** The roster could not be kept in sync (subscription refused or lost after retries). */
  error: [ParleyError];
}

export class ConferenceSubscription extends EventEmitter<ConferenceSubscriptionEvents> {
  readonly roster: Roster;
  private sub: JsSipSubscriber | undefined;
  private attempts = 0;
  private stopped = false;
  private firstNotify: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  /** Number of SUBSCRIBE dialogs started (diagnostics and tests). */
  subscriptions = 0;

  constructor(
    private readonly ua: SipUserAgent,
    readonly roomUri: string,
  ) {
    super();
    this.roster = new Roster(roomUri, ua.account.aor);
  }

  start(): void {
    if (this.stopped) return;
    this.subscriptions++;
    this.roster.resetVersions();
    const buf = notifyBuffer(this.ua);
    let sub: JsSipSubscriber;
    try {
      sub = (this.ua.jssip as unknown as { subscribe(t: string, e: string, a: string, o: object): JsSipSubscriber }).subscribe(
        this.roomUri,
        'conference',
        CONFINFO_ACCEPT,
        { expires: CONF_SUBSCRIBE_EXPIRES_S, extraHeaders: [] },
      );
    } catch (e) {
      this.emit('error', new ParleyError('CONF_SUBSCRIBE_FAILED', `cannot SUBSCRIBE to ${this.roomUri}: ${(e as Error).message}`));
      return;
    }
    this.sub = sub;
    const callId = sub._params.call_id;
    buf.set(callId, []);
    let got = false;
    sub.on('accepted', () => {
      const held = buf.get(callId) ?? [];
      buf.delete(callId);
      for (const r of held) (this.ua.jssip as unknown as BufferingUa).receiveRequest(r);
      if (!got && this.sub === sub) {
        clearTimeout(this.firstNotify);
        this.firstNotify = setTimeout(() => {
          if (!got && this.sub === sub) this.resubscribe('no NOTIFY after the 200');
        }, FIRST_NOTIFY_WAIT_MS);
        this.firstNotify.unref();
      }
    });
    sub.on('notify', (_final: boolean, _req: unknown, body: string) => {
      if (this.sub !== sub) return;
      got = true;
      clearTimeout(this.firstNotify);
      const r = this.roster.apply(body);
      if (r.kind === 'applied') {
        this.attempts = 0;
        this.emit('change', r.change);
      } else if (r.kind === 'ended') {
        this.stop();
        this.emit('ended');
      } else if (r.kind === 'resync') this.resubscribe(`${r.error.code}: ${r.error.message}`);
    });
    sub.on('terminated', (code: number, reason?: string) => {
      buf.delete(callId);
      if (this.sub !== sub || this.stopped) return;
      clearTimeout(this.firstNotify);
      this.sub = undefined;
      if (reason === 'noresource') {
        this.stopped = true;
        this.emit('ended');
        return;
      }
      if (reason === 'deactivated' || reason === 'rejected') return; // we left / not allowed: the room decides
      this.resubscribe(`subscription terminated (code ${code}${reason ? `, ${reason}` : ''})`);
    });
    sub.subscribe();
  }

  /** Fresh subscription (full state) after a gap or loss; bounded attempts with backoff. */
  private resubscribe(why: string): void {
    if (this.stopped) return;
    const old = this.sub;
    this.sub = undefined;
    try {
      if (old && old.state !== 2 && old.state !== 3) old.terminate();
    } catch {
      /* already gone */
    }
    if (++this.attempts > RESUBSCRIBE_MAX_ATTEMPTS) {
      this.emit('error', new ParleyError('CONF_ROSTER_LOST', `participant list of ${this.roomUri} lost: ${why}`));
      return;
    }
    clearTimeout(this.retry);
    this.retry = setTimeout(() => this.start(), RESUBSCRIBE_BACKOFF_MS * (this.attempts - 1));
    this.retry.unref();
  }

  /** Unsubscribe (Expires: 0). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.firstNotify);
    clearTimeout(this.retry);
    const s = this.sub;
    this.sub = undefined;
    try {
      if (s && s.state !== 2 && s.state !== 3) s.terminate();
    } catch {
      /* already gone */
    }
  }
}
