// Initial INVITEs of one SipUserAgent (RFC 3261 s.13.3), handed to the feature that claims them: focus invitations
// (Contact with isfocus, RFC 4579 s.5), file offers (a=file-selector, RFC 5547), chat sessions (the default route).
// One router per account, created by the composition root (main/ue/); features add their routes, in any order.
import { EventEmitter } from 'node:events';
import { ParleyError, isParleyError } from '../base/errors';
import { isPeerAddress } from '../security/aor';
import type { SipUserAgent } from '../net/sip/ua';
import type { IncomingSipRequest } from '../net/sip/incoming';

/** Route priorities: what the sender is (a focus) beats what the offer carries (a file), which beats the default. */
export const ROUTE_PRIORITY = { sender: 200, content: 100, fallback: 0 } as const;

export interface InviteRoute {
  /** For errors and logs ('conference', 'file transfer', 'chat session'). */
  name: string;
  /** Routes are asked highest priority first; among equals, the one added last first. */
  priority: number;
  /** Whether this route takes the INVITE; must not throw (a throw counts as false). */
  claims(req: IncomingSipRequest): boolean;
  /** Answers the INVITE (exactly once, now or later). A throw or rejection answers 500 and emits 'error'. */
  handle(req: IncomingSipRequest): void | Promise<void>;
}

export class InviteRouter extends EventEmitter<{ error: [ParleyError] }> {
  #routes: { route: InviteRoute; seq: number }[] = [];
  #seq = 0;

  /** Installs itself as the UA's INVITE hook (without a claiming route, INVITEs get 488 as with no hook). */
  constructor(private readonly ua: SipUserAgent) {
    super();
    ua.setInviteHandler((req) => this.dispatch(req));
  }

  /** Adds a route; returns the function that removes it. */
  add(route: InviteRoute): () => void {
    const entry = { route, seq: ++this.#seq };
    this.#routes = [...this.#routes, entry].sort((a, b) => b.route.priority - a.route.priority || b.seq - a.seq);
    return () => {
      this.#routes = this.#routes.filter((e) => e !== entry);
    };
  }

  /** The routes in the order they are asked (tests, diagnostics). */
  get routes(): InviteRoute[] {
    return this.#routes.map((e) => e.route);
  }

  dispatch(req: IncomingSipRequest): void {
    // Every feature keeps the caller's address (history, views): one that cannot be shown is refused before any route.
    if (!isPeerAddress(req.from)) return answer(req, 400, 'Invalid From');
    const route = this.#routes.find((e) => safeClaims(e.route, req))?.route;
    if (!route) return answer(req, 488, 'Sessions Not Supported');
    try {
      const p = route.handle(req);
      if (p) p.catch((e: unknown) => this.#failed(route, req, e));
    } catch (e) {
      this.#failed(route, req, e);
    }
  }

  /** Removes the hook from the UA (INVITEs get 488 again) and forgets every route. */
  close(): void {
    this.ua.setInviteHandler(null);
    this.#routes = [];
  }

  #failed(route: InviteRoute, req: IncomingSipRequest, e: unknown): void {
    const err = isParleyError(e)
      ? e
      : new ParleyError('SIP_HANDLER_FAILED', `${route.name}: INVITE handling failed: ${(e as Error)?.message ?? e}`, {}, { cause: e });
    if (this.listenerCount('error') > 0) this.emit('error', err);
    answer(req, 500, 'Server Internal Error');
  }
}

function safeClaims(route: InviteRoute, req: IncomingSipRequest): boolean {
  try {
    return route.claims(req);
  } catch {
    return false;
  }
}

function answer(req: IncomingSipRequest, status: number, reason: string): void {
  try {
    if (!req.replied) req.reply(status, reason);
  } catch {
    /* transaction already gone */
  }
}
