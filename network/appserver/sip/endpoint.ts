// The app server's only SIP socket module: TCP listener, stream framing, transactions, sending through the proxy (RFC 3261 s.18, s.17, s.8.1.1.7).
import net from 'node:net';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { SipStreamFramer } from '../../../main/protocol/sip/stream-framer';
import { ParleyError } from '../../../main/base/errors';
import {
  badRequest,
  buildResponse,
  getHeader,
  getHeaders,
  parseSipMessage,
  parseVia,
  serializeSipMessage,
  type Headers,
  type SipMsg,
  type SipRequest,
  type SipResponse,
} from './message';
import { ackForNon2xx, cancelFor, CLIENT_TIMEOUT_MS, ClientTransactions, ServerTransactions, type ClientCallbacks } from './transactions';
import { systemClock, type Clock } from '../../../main/base/clock';

/** How long an INVITE we sent may ring (after a provisional response) before we CANCEL it (RFC 3261 s.9.1, Timer C-like). */
export const INVITE_RING_TIMEOUT_MS = 60_000;
/** How long outgoing requests wait for a link to the proxy before failing with a local 503. */
export const PROXY_LINK_TIMEOUT_MS = 5000;
/** Incoming SIP message limits on our listener. */
export const SIP_LIMITS = { maxHeaderBytes: 16 * 1024, maxBodyBytes: 256 * 1024 };

export const randomToken = (n = 8): string => randomBytes(n).toString('hex');

export interface Responder {
  /** Send a response (To tag fixed per request); returns it. */
  respond(status: number, o?: { reason?: string; headers?: Headers; body?: Buffer; contentType?: string }): SipResponse;
  /** Our To tag in responses to this request. */
  readonly toTag: string;
}

export interface EndpointOptions {
  host?: string;
  port?: number;
  proxy: { host: string; port: number };
  /** R-URI that the proxy routes back to us (used to make it open its own connection to us, see docs/appserver.md). */
  bootstrapUri: string;
  log?: (line: string) => void;
  clock?: Clock;
}

class Conn {
  readonly framer = new SipStreamFramer(SIP_LIMITS);
  isProxy = false;
  constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true);
  }
  write(b: Buffer): boolean {
    if (this.socket.destroyed) return false;
    this.socket.write(b);
    return true;
  }
}

export class SipEndpoint {
  readonly host: string;
  private port = 0;
  private server?: net.Server;
  private readonly conns = new Set<Conn>();
  private link?: Conn;
  private linkWaiters: Array<(c: Conn | undefined) => void> = [];
  private bootstrapping = false;
  private bootstrapSocket?: net.Socket;
  private readonly stx: ServerTransactions;
  private readonly ctx: ClientTransactions;
  private readonly pendingInvites = new Map<string, { req: SipRequest; r: Responder }>();
  private readonly log: (l: string) => void;
  /** Requests for the TU (ACK for 2xx included; CANCELled INVITEs are reported through onCancel). */
  onRequest: (req: SipRequest, r: Responder) => void = (_req, r) => {
    r.respond(501);
  };
  onCancel: (invite: SipRequest) => void = () => {};

  constructor(private readonly opts: EndpointOptions) {
    this.host = opts.host ?? '127.0.0.1';
    const clock = opts.clock ?? systemClock;
    this.stx = new ServerTransactions(clock);
    this.ctx = new ClientTransactions(clock);
    this.log = opts.log ?? (() => {});
  }

  get listenPort(): number {
    return this.port;
  }
  get sentBy(): string {
    return `${this.host}:${this.port}`;
  }

  async listen(): Promise<number> {
    this.server = net.createServer((s) => this.adopt(s));
    this.server.listen(this.opts.port ?? 0, this.host);
    await once(this.server, 'listening');
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  private adopt(s: net.Socket, isBootstrap = false): Conn {
    const c = new Conn(s);
    if (!isBootstrap) this.conns.add(c);
    s.on('data', (d: Buffer) => this.onData(c, d));
    s.on('error', () => {});
    s.on('close', () => {
      this.conns.delete(c);
      if (this.link === c) {
        this.link = undefined;
        this.log('proxy link closed');
      }
    });
    return c;
  }

  private onData(c: Conn, d: Buffer): void {
    const { events, error } = c.framer.push(d);
    for (const ev of events) {
      if (ev.type === 'ping') c.write(Buffer.from('\r\n'));
      else if (ev.type === 'message') {
        let m: SipMsg;
        try {
          m = parseSipMessage(ev.bytes);
        } catch (e) {
          this.log(`unparseable SIP message: ${(e as Error).message}`);
          const bad = badRequest(ev.bytes, (e as Error).message);
          if (bad) c.write(bad);
          continue;
        }
        try {
          this.dispatch(c, m);
        } catch (e) {
          this.log(`error handling ${m.kind === 'request' ? m.method : m.status}: ${(e as Error).stack ?? e}`);
        }
      }
    }
    if (error) {
      this.log(`closing connection: ${error.message}`);
      c.socket.destroy();
    }
  }

  private markProxy(c: Conn, m: SipMsg): void {
    if (c.isProxy || m.kind !== 'request') return;
    const v = getHeaders(m, 'Via')[0];
    try {
      const via = parseVia(v ?? '');
      if (via.host === this.opts.proxy.host && (via.port ?? 5060) === this.opts.proxy.port && this.conns.has(c)) {
        c.isProxy = true;
        this.link = c;
        for (const w of this.linkWaiters.splice(0)) w(c);
      }
    } catch {
      /* not the proxy */
    }
  }

  private dispatch(c: Conn, m: SipMsg): void {
    this.markProxy(c, m);
    if (m.kind === 'response') {
      const req = this.ctx.receive(m);
      if (!req) {
        this.log(`stray response ${m.status} dropped`);
        return;
      }
      if (req.method === 'INVITE' && m.status >= 300) this.writeTo(c, ackForNon2xx(req, m));
      return;
    }
    const req = m;
    const toTag = randomToken(6);
    const r: Responder = {
      toTag,
      respond: (status, o = {}) => {
        const res = buildResponse(req, status, { ...o, toTag });
        if (this.stx.finalSent(req)) throw new ParleyError('SIP_ALREADY_ANSWERED', `${req.method} already has a final response`);
        this.stx.responded(req, res);
        if (req.method === 'INVITE' && status >= 200) this.pendingInvites.delete(this.inviteKey(req));
        c.write(serializeSipMessage(res));
        return res;
      },
    };
    let match;
    try {
      match = this.stx.match(req);
    } catch {
      if (req.method !== 'ACK') c.write(serializeSipMessage(buildResponse(req, 503, { toTag, headers: [['Retry-After', '5']] })));
      return;
    }
    switch (match.kind) {
      case 'retransmission':
        if (match.last) c.write(serializeSipMessage(match.last));
        return;
      case 'ack-absorbed':
        return;
      case 'cancel': {
        // s.9.2: 200 to the CANCEL, 487 to the INVITE if it is still pending
        const pend = match.invite && this.pendingInvites.get(this.inviteKey(match.invite));
        c.write(serializeSipMessage(buildResponse(req, match.invite ? 200 : 481, { toTag })));
        if (pend && !match.answered) {
          pend.r.respond(487);
          this.onCancel(pend.req);
        }
        return;
      }
      default:
    }
    const mf = getHeader(req, 'Max-Forwards');
    if (req.method !== 'ACK' && mf !== undefined && Number(mf) <= 0) {
      r.respond(483, { reason: 'Too Many Hops' });
      return;
    }
    if (req.method === 'INVITE') this.pendingInvites.set(this.inviteKey(req), { req, r });
    this.onRequest(req, r);
  }

  private inviteKey(req: SipRequest): string {
    return `${getHeader(req, 'Call-ID')}|${parseVia(getHeaders(req, 'Via')[0] ?? '').params.branch ?? ''}`;
  }

  private writeTo(c: Conn, req: SipRequest): void {
    c.write(serializeSipMessage(req));
  }

  /** Via for a request we originate (s.8.1.1.7: fresh z9hG4bK branch). */
  private withVia(req: SipRequest, branch = `z9hG4bK${randomToken(8)}`): SipRequest {
    const hs = req.headers.filter(([k]) => k.toLowerCase() !== 'via');
    return { ...req, headers: [['Via', `SIP/2.0/TCP ${this.sentBy};branch=${branch};rport`], ...hs] };
  }

  /**
   * Send a request through the proxy with a client transaction. Out-of-dialog requests get the proxy as
   * outbound proxy; in-dialog ones carry their Route set (the proxy is its first entry).
   */
  send(req: SipRequest, cb: ClientCallbacks, o: { ringTimeoutMs?: number } = {}): SipRequest {
    const out = this.withVia(req);
    let timers: NodeJS.Timeout[] = [];
    const clear = () => {
      for (const t of timers) clearTimeout(t);
      timers = [];
    };
    this.ctx.start(
      out,
      req.method !== 'INVITE'
        ? cb
        : {
            onProvisional: (res) => {
              if (!timers.length) {
                // ringing too long: CANCEL; if even that gets no 487, give up locally after Timer F
                const t = setTimeout(() => {
                  this.cancel(out);
                  const f = setTimeout(() => this.ctx.expire(out, 408, 'Request Timeout (CANCEL unanswered)'), CLIENT_TIMEOUT_MS);
                  f.unref();
                  timers.push(f);
                }, o.ringTimeoutMs ?? INVITE_RING_TIMEOUT_MS);
                t.unref();
                timers.push(t);
              }
              cb.onProvisional?.(res);
            },
            onFinal: (res) => {
              clear();
              cb.onFinal(res);
            },
          },
    );
    void this.proxyLink().then((c) => {
      if (!c) {
        this.ctx.receive({
          kind: 'response',
          status: 503,
          reason: 'Service Unavailable (no proxy link)',
          headers: out.headers.filter(([k]) => /^(via|from|to|call-id|cseq)$/i.test(k)),
          body: Buffer.alloc(0),
        });
        return;
      }
      this.writeTo(c, out);
    });
    return out;
  }

  /** CANCEL a pending INVITE we sent (s.9.1); the INVITE then completes with 487 through its own transaction. */
  cancel(sentInvite: SipRequest): void {
    const c = cancelFor(sentInvite);
    this.ctx.start(c, { onFinal: (res) => this.log(`CANCEL ${sentInvite.uri}: ${res.status} ${res.reason}`) });
    void this.proxyLink().then((link) => link && this.writeTo(link, c));
  }

  /** ACK for a 2xx (s.13.2.2.4): no transaction, new branch. */
  sendAck(ack: SipRequest): void {
    const out = this.withVia(ack);
    void this.proxyLink().then((c) => c && this.writeTo(c, out));
  }

  /**
   * The connection the proxy opened to us (its requests carry its own Via). The lab proxy trusts requests that
   * arrive from our listening port (docs/appserver.md), so we never send our requests over a connection we opened.
   * If there is none yet, an OPTIONS to `bootstrapUri` sent over a throw-away connection makes the proxy open one.
   */
  private async proxyLink(): Promise<Conn | undefined> {
    if (this.link && !this.link.socket.destroyed) return this.link;
    const p = new Promise<Conn | undefined>((resolve) => {
      const t = setTimeout(() => {
        this.linkWaiters = this.linkWaiters.filter((w) => w !== done);
        resolve(undefined);
      }, PROXY_LINK_TIMEOUT_MS);
      const done = (c: Conn | undefined) => {
        clearTimeout(t);
        resolve(c);
      };
      this.linkWaiters.push(done);
    });
    void this.bootstrap();
    return p;
  }

  private async bootstrap(): Promise<void> {
    if (this.bootstrapping) return;
    this.bootstrapping = true;
    try {
      const s = net.connect({ host: this.opts.proxy.host, port: this.opts.proxy.port });
      this.bootstrapSocket = s;
      s.on('error', () => {});
      await once(s, 'connect');
      const c = this.adopt(s, true);
      const callId = `${randomToken(8)}@appserver`;
      const tag = randomToken(4);
      const req: SipRequest = {
        kind: 'request',
        method: 'OPTIONS',
        uri: this.opts.bootstrapUri,
        body: Buffer.alloc(0),
        headers: [
          ['Via', `SIP/2.0/TCP ${this.host}:${s.localPort};branch=z9hG4bK${randomToken(8)};rport`],
          ['Max-Forwards', '70'],
          ['From', `<${this.opts.bootstrapUri}>;tag=${tag}`],
          ['To', `<${this.opts.bootstrapUri}>`],
          ['Call-ID', callId],
          ['CSeq', '1 OPTIONS'],
        ],
      };
      this.ctx.start(req, {
        onFinal: () => {
          s.destroy();
        },
      });
      c.write(serializeSipMessage(req));
      this.log(`bootstrapping proxy link with OPTIONS ${this.opts.bootstrapUri}`);
      await Promise.race([once(s, 'close'), new Promise((r) => setTimeout(r, PROXY_LINK_TIMEOUT_MS).unref())]);
    } catch (e) {
      this.log(`proxy link bootstrap failed: ${(e as Error).message}`);
    } finally {
      this.bootstrapSocket?.destroy();
      this.bootstrapping = false;
    }
  }

  async close(): Promise<void> {
    this.ctx.failAll();
    this.stx.clear();
    for (const w of this.linkWaiters.splice(0)) w(undefined);
    this.bootstrapSocket?.destroy();
    for (const c of this.conns) c.socket.destroy();
    if (this.server) await new Promise<void>((r) => this.server!.close(() => r()));
  }
}
