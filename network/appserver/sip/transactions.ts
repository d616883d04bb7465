// SIP transaction matching over reliable transports (RFC 3261 s.17.1.3, s.17.2.3; timers s.17.1.1.2/s.17.1.2.2/s.17.2). Sans-IO.
import { ParleyError } from '../../../main/base/errors';
import { systemClock, type Clock } from '../../../main/base/clock';
import { getHeaders, parseCSeq, parseVia, getHeader, type SipRequest, type SipResponse } from './message';

/** RFC 3261 s.17.1.1.1 T1. Over TCP there are no retransmissions; only the 64*T1 timeouts remain. */
export const T1_MS = 500;
/** Timer B / F: client transaction timeout (64*T1). */
export const CLIENT_TIMEOUT_MS = 64 * T1_MS;
/** How long a completed server transaction absorbs retransmissions (Timer J/H are 64*T1 for unreliable; we keep it for duplicates). */
export const SERVER_LINGER_MS = 64 * T1_MS;
/** Cap on live transactions of each kind (a flood is refused with 503 rather than growing memory). */
export const MAX_TRANSACTIONS = 10_000;

/** s.17.2.3: branch + sent-by + method, ACK and CANCEL mapped as the rules say. */
export function serverKey(req: SipRequest, methodOverride?: string): string {
  const v = parseVia(getHeaders(req, 'Via')[0] ?? '');
  const method = methodOverride ?? (req.method === 'ACK' ? 'INVITE' : req.method);
  return `${v.params.branch ?? ''}|${v.host}:${v.port ?? 5060}|${method}`;
}

interface ServerTx {
  req: SipRequest;
  last?: SipResponse;
  timer?: unknown;
}

export type ServerMatch =
  | { kind: 'new' }
  /** Duplicate request: resend the last response if any (s.17.2.1/17.2.2). */
  | { kind: 'retransmission'; last?: SipResponse }
  /** ACK of a non-2xx final response: ends the INVITE server transaction (s.17.2.1); nothing to pass up. */
  | { kind: 'ack-absorbed' }
  /** ACK not matching a transaction (the ACK for a 2xx, s.13.3.1.4): goes to the dialog. */
  | { kind: 'ack-2xx' }
  /** CANCEL (s.9.2): `invite` is the matching pending INVITE server transaction's request, if any. */
  | { kind: 'cancel'; invite?: SipRequest; answered: boolean };

export class ServerTransactions {
  private readonly txs = new Map<string, ServerTx>();
  constructor(private readonly clock: Clock = systemClock) {}

  get size(): number {
    return this.txs.size;
  }

  match(req: SipRequest): ServerMatch {
    if (req.method === 'CANCEL') {
      const inv = this.txs.get(serverKey(req, 'INVITE'));
      return { kind: 'cancel', invite: inv?.req, answered: !!inv?.last && inv.last.status >= 200 };
    }
    const key = serverKey(req);
    const tx = this.txs.get(key);
    if (req.method === 'ACK') {
      if (tx && tx.last && tx.last.status >= 300) {
        this.finish(key);
        return { kind: 'ack-absorbed' };
      }
      return { kind: 'ack-2xx' };
    }
    if (tx) return { kind: 'retransmission', last: tx.last };
    if (this.txs.size >= MAX_TRANSACTIONS) throw new ParleyError('SIP_TOO_MANY_TRANSACTIONS', 'too many server transactions');
    this.txs.set(key, { req });
    return { kind: 'new' };
  }

  /** Record a response sent for `req`; a final response starts the linger timer. */
  responded(req: SipRequest, res: SipResponse): void {
    const key = serverKey(req);
    const tx = this.txs.get(key);
    if (!tx) return;
    tx.last = res;
    if (res.status >= 200 && tx.timer === undefined) tx.timer = this.clock.setTimeout(() => this.txs.delete(key), SERVER_LINGER_MS);
  }

  /** The final response already sent for this request, if any (a TU must not answer twice). */
  finalSent(req: SipRequest): boolean {
    const last = this.txs.get(serverKey(req))?.last;
    return !!last && last.status >= 200;
  }

  private finish(key: string): void {
    const tx = this.txs.get(key);
    if (tx?.timer !== undefined) this.clock.clearTimeout(tx.timer);
    this.txs.delete(key);
  }

  clear(): void {
    for (const k of [...this.txs.keys()]) this.finish(k);
  }
}

export interface ClientCallbacks {
  onProvisional?: (res: SipResponse) => void;
  onFinal: (res: SipResponse) => void;
}
interface ClientTx {
  req: SipRequest;
  cb: ClientCallbacks;
  timer: unknown;
  proceeding: boolean;
}

/** s.17.1.3: a response matches the client transaction with the same top-Via branch and CSeq method. */
export function clientKey(m: SipRequest | SipResponse): string {
  const v = parseVia(getHeaders(m, 'Via')[0] ?? '');
  return `${v.params.branch ?? ''}|${parseCSeq(getHeader(m, 'CSeq') ?? '').method}`;
}

export class ClientTransactions {
  private readonly txs = new Map<string, ClientTx>();
  constructor(
    private readonly clock: Clock = systemClock,
    private readonly timeoutMs = CLIENT_TIMEOUT_MS,
  ) {}

  get size(): number {
    return this.txs.size;
  }

  /** Track a request about to be sent; on timeout onFinal gets a locally generated 408 (s.17.1.1.2, s.8.1.3.1). */
  start(req: SipRequest, cb: ClientCallbacks): void {
    if (this.txs.size >= MAX_TRANSACTIONS) throw new ParleyError('SIP_TOO_MANY_TRANSACTIONS', 'too many client transactions');
    const key = clientKey(req);
    const timer = this.clock.setTimeout(() => {
      this.txs.delete(key);
      cb.onFinal(localResponse(req, 408, 'Request Timeout (no response)'));
    }, this.timeoutMs);
    this.txs.set(key, { req, cb, timer, proceeding: false });
  }

  /** End a pending transaction with a local response (the TU gave up, e.g. after a CANCEL went unanswered). */
  expire(req: SipRequest, status = 408, reason = 'Request Timeout'): void {
    const key = clientKey(req);
    const tx = this.txs.get(key);
    if (!tx) return;
    this.clock.clearTimeout(tx.timer);
    this.txs.delete(key);
    tx.cb.onFinal(localResponse(tx.req, status, reason));
  }

  /** Returns the request of the matched transaction, or undefined for a stray response (dropped, s.18.1.2). */
  receive(res: SipResponse): SipRequest | undefined {
    const key = clientKey(res);
    const tx = this.txs.get(key);
    if (!tx) return undefined;
    if (res.status < 200) {
      // s.17.1.1.2: Timer B only runs in the calling state; once proceeding, the TU decides how long to ring (CANCEL)
      if (tx.req.method === 'INVITE' && !tx.proceeding) {
        tx.proceeding = true;
        this.clock.clearTimeout(tx.timer);
      }
      tx.cb.onProvisional?.(res);
      return tx.req;
    }
    this.clock.clearTimeout(tx.timer);
    this.txs.delete(key);
    tx.cb.onFinal(res);
    return tx.req;
  }

  /** Fail every pending transaction (transport gone). */
  failAll(status = 503, reason = 'Service Unavailable (transport closed)'): void {
    for (const [k, tx] of [...this.txs]) {
      this.clock.clearTimeout(tx.timer);
      this.txs.delete(k);
      tx.cb.onFinal(localResponse(tx.req, status, reason));
    }
  }
}

/** A response generated locally for our own request (timeouts, transport errors). */
export function localResponse(req: SipRequest, status: number, reason: string): SipResponse {
  const hs = req.headers.filter(([k]) => /^(via|from|to|call-id|cseq)$/i.test(k));
  return { kind: 'response', status, reason, headers: hs, body: Buffer.alloc(0) };
}

/** s.9.1: CANCEL for a pending INVITE: same R-URI, Call-ID, From, To, CSeq number, top Via (branch) and Route. */
export function cancelFor(invite: SipRequest): SipRequest {
  const hs: Array<[string, string]> = [['Via', getHeaders(invite, 'Via')[0]]];
  for (const [k, v] of invite.headers) if (/^(route|from|to|call-id|max-forwards)$/i.test(k)) hs.push([k, v]);
  hs.push(['CSeq', `${parseCSeq(getHeader(invite, 'CSeq') ?? '').seq} CANCEL`]);
  return { kind: 'request', method: 'CANCEL', uri: invite.uri, headers: hs, body: Buffer.alloc(0) };
}

/** s.17.1.1.3: ACK for a non-2xx final response: same R-URI, Call-ID, From, CSeq number, top Via, Route; To of the response. */
export function ackForNon2xx(invite: SipRequest, res: SipResponse): SipRequest {
  const hs: Array<[string, string]> = [];
  const via = getHeaders(invite, 'Via')[0];
  hs.push(['Via', via]);
  for (const [k, v] of invite.headers) if (/^(route|from|call-id|max-forwards)$/i.test(k)) hs.push([k, v]);
  hs.push(['To', getHeader(res, 'To') ?? ''], ['CSeq', `${parseCSeq(getHeader(invite, 'CSeq') ?? '').seq} ACK`]);
  return { kind: 'request', method: 'ACK', uri: invite.uri, headers: hs, body: Buffer.alloc(0) };
}
