// The only MSRP module with sockets: TCP/TLS connections, sharing by authority, RFC 6135 roles, fingerprints, backpressure.
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import { ParleyError } from '../../base/errors';
import { MsrpDemux } from '../../protocol/msrp/demux';
import type { ParserLimits } from '../../protocol/msrp/parser';
import type { InputFlow, MsrpSession, OutgoingOptions } from '../../protocol/msrp/session';
import type { ConnectionRole } from '../../protocol/msrp/setup';
import { fingerprintMatches, generateSelfSignedCert, type CertPair } from './tls-cert';
import type { TransactionResult } from '../../protocol/msrp/transactions';
import { makeLocalUri, type MsrpUri } from '../../protocol/msrp/uri';

/** How long a passive session waits for its peer's first request, and an active connect for TCP/TLS setup. */
export const CONNECT_TIMEOUT_MS = 30_000;
const EMPTY = Buffer.alloc(0);
/** Streamed sends pause while more than this many bytes sit unsent in the socket buffer (flat memory, few wake-ups). */
export const WRITE_BUFFER_HIGH_WATER = 1024 * 1024;

export interface MsrpTransportOptions {
  host?: string; // bind/advertise address, default 127.0.0.1
  port?: number; // listen port, 0 = ephemeral
  /** msrps: our certificate (generated self-signed when omitted) and optional CA for peers without a=fingerprint. */
  tls?: { cert?: string; key?: string; ca?: string | string[] } | boolean;
  parserLimits?: Partial<ParserLimits>;
  connectTimeoutMs?: number;
}

export interface AttachOptions {
  role: ConnectionRole;
  /** Peer a=fingerprint ("sha-256 AB:..") for msrps; verified constant-time instead of CA validation. */
  remoteFingerprint?: string;
  /** Send the empty binding SEND on the active side (default true). */
  bind?: boolean;
  /** Our own relay is the first To-Path hop: ride on the (authenticated) relay connection; never listen. */
  viaRelay?: boolean;
}

class Connection {
  readonly demux: MsrpDemux;
  closed = false;
  readonly pinnedBy = new Set<MsrpSession>();
  private holds = 0;
  /** Reading stops while any session holds the input (MsrpSession.holdInput). */
  readonly flow: InputFlow = {
    pause: () => {
      if (this.holds++ === 0) this.socket.pause();
    },
    resume: () => {
      if (--this.holds === 0 && !this.closed) this.socket.resume();
    },
  };
  constructor(
    readonly socket: net.Socket,
    readonly key: string | undefined,
    parserLimits: Partial<ParserLimits> | undefined,
    onUnknown: ((sid: string, c: Connection) => { session: MsrpSession; primary: boolean } | undefined) | undefined,
    private readonly onGone: (c: Connection) => void,
  ) {
    socket.setNoDelay(true); // Nagle stalls relayed SENDs by 40 ms (lab notes)
    this.demux = new MsrpDemux({
      write: (parts) => this.write(parts),
      onFatal: (err) => this.destroy(err),
      onUnknownSession: onUnknown ? (sid) => onUnknown(sid, this) : undefined,
      parserLimits,
    });
    socket.on('data', (d: Buffer) => this.demux.push(d));
    socket.on('error', () => {}); // 'close' follows
    socket.on('close', () => this.destroy(new ParleyError('MSRP_CONNECTION_CLOSED', 'MSRP connection closed')));
  }
  write(parts: Buffer[]): void {
    if (this.closed) return;
    this.socket.cork();
    for (const p of parts) if (p.length) this.socket.write(p);
    this.socket.uncork();
  }
  /** Everything written so far has left user space (the kernel or TLS has it): its buffers may be reused. */
  flushed(): Promise<void> {
    if (this.closed || this.socket.writableLength === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.socket.write(EMPTY, () => resolve()));
  }
  get needsDrain(): boolean {
    return this.socket.writableLength > WRITE_BUFFER_HIGH_WATER;
  }
  async drained(): Promise<void> {
    if (!this.needsDrain || this.closed) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }
  get peerDer(): Buffer | undefined {
    const s = this.socket as tls.TLSSocket;
    if (typeof s.getPeerCertificate !== 'function') return undefined;
    const c = s.getPeerCertificate();
    return c && c.raw ? c.raw : undefined;
  }
  destroy(err: ParleyError): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.demux.close(err);
    this.onGone(this);
  }
}

interface Expected {
  session: MsrpSession;
  fingerprint?: string;
  resolve: () => void;
  reject: (e: ParleyError) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class MsrpTransport {
  readonly host: string;
  private readonly opts: MsrpTransportOptions;
  private server: net.Server | undefined;
  private listenPort = 0;
  private cert: CertPair | undefined;
  private readonly pool = new Map<string, Connection>(); // outgoing, by authority
  private readonly conns = new Set<Connection>();
  private readonly expected = new Map<string, Expected>(); // passive sessions by session-id
  private readonly sessionConn = new Map<MsrpSession, Connection>();
  private readonly passiveBound = new Map<string, { session: MsrpSession; fingerprint?: string }>();

  constructor(opts: MsrpTransportOptions = {}) {
    this.opts = opts;
    this.host = opts.host ?? '127.0.0.1';
  }

  get secure(): boolean {
    return !!this.opts.tls;
  }
  get port(): number {
    return this.listenPort;
  }
  private get tlsOpts(): { cert?: string; key?: string; ca?: string | string[] } {
    return typeof this.opts.tls === 'object' ? this.opts.tls : {};
  }

  /** Our certificate (PEM), generating a self-signed one on first use for msrps (see tls-cert.ts). */
  async certificate(): Promise<CertPair> {
    if (!this.cert) {
      const t = this.tlsOpts;
      this.cert = t.cert && t.key ? { cert: t.cert, key: t.key } : await generateSelfSignedCert('parley-msrp', this.host);
    }
    return this.cert;
  }

  /** Our URI for a=path (port 9 placeholder when not listening: relayed clients are never connected to). */
  localUri(sessionId?: string): MsrpUri {
    return makeLocalUri(this.host, this.listenPort || 9, this.secure, sessionId);
  }

  /** Passive side: accept connections (TLS when configured). */
  async listen(): Promise<number> {
    const onConn = (socket: net.Socket) => {
      const c = new Connection(
        socket,
        undefined,
        this.opts.parserLimits,
        (sid, conn) => this.adopt(sid, conn),
        (x) => this.gone(x),
      );
      this.conns.add(c);
    };
    if (this.secure) {
      const { cert, key } = await this.certificate();
      const ca = this.tlsOpts.ca;
      this.server = tls.createServer({ cert, key, ca, requestCert: true, rejectUnauthorized: false }, onConn);
    } else this.server = net.createServer(onConn);
    this.server.listen(this.opts.port ?? 0, this.host);
    await once(this.server, 'listening');
    this.listenPort = (this.server.address() as net.AddressInfo).port;
    return this.listenPort;
  }

  private peerOk(conn: Connection, fingerprint: string | undefined): boolean {
    if (!this.secure) return true;
    const der = conn.peerDer;
    return fingerprint
      ? der !== undefined && fingerprintMatches(fingerprint, der)
      : !this.tlsOpts.ca || (conn.socket as tls.TLSSocket).authorized;
  }

  /**
   * First request naming a passive session: bind it to this connection. A later extra connection for an already bound
   * passive session (relays and B2BUAs may open more than one) only delivers to it; replies keep the first connection.
   */
  private adopt(sid: string, conn: Connection): { session: MsrpSession; primary: boolean } | undefined {
    const e = this.expected.get(sid);
    if (!e) {
      const bound = this.passiveBound.get(sid);
      if (bound && this.peerOk(conn, bound.fingerprint) && this.sessionConn.has(bound.session))
        return { session: bound.session, primary: false };
      return undefined;
    }
    if (!this.peerOk(conn, e.fingerprint)) return undefined; // answered 481; the session keeps waiting for the right peer
    this.expected.delete(sid);
    clearTimeout(e.timer);
    this.sessionConn.set(e.session, conn);
    e.session.setInputFlow(conn.flow);
    this.passiveBound.set(sid, { session: e.session, fingerprint: e.fingerprint });
    e.resolve();
    return { session: e.session, primary: true };
  }

  /**
   * Put a session on the wire. Active: connect (or reuse a connection to the same authority) to the first To-Path hop
   * and send the binding SEND, resolving on its 200. Passive: wait until the peer's first request arrives.
   * With viaRelay the session always uses the connection to its relay (role only decides the binding SEND).
   */
  async attach(session: MsrpSession, o: AttachOptions): Promise<void> {
    if (o.role === 'passive' && !o.viaRelay) {
      if (!this.server) throw new ParleyError('MSRP_NOT_LISTENING', 'Passive MSRP session needs listen() first');
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.expected.delete(session.sessionId);
          reject(new ParleyError('MSRP_CONNECT_TIMEOUT', 'The peer did not connect'));
        }, this.opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS);
        timer.unref();
        this.expected.set(session.sessionId, { session, fingerprint: o.remoteFingerprint, resolve, reject, timer });
      });
      return;
    }
    const conn = await this.connectionTo(session.toPath[0], o.remoteFingerprint);
    conn.demux.add(session);
    this.sessionConn.set(session, conn);
    session.setInputFlow(conn.flow);
    if (o.role === 'active' && (o.bind ?? true)) {
      const r = await new Promise<TransactionResult>((resolve) => session.sendBindRequest(resolve));
      if (r.status !== 200)
        throw new ParleyError('MSRP_BIND_FAILED', `Binding SEND answered ${r.status} ${r.comment ?? ''}`, { status: r.status });
    }
  }

  /** Remove a session; an outgoing connection without sessions is closed. */
  detach(session: MsrpSession): void {
    const e = this.expected.get(session.sessionId);
    if (e?.session === session) {
      clearTimeout(e.timer);
      this.expected.delete(session.sessionId);
      e.reject(new ParleyError('MSRP_SESSION_CLOSED', 'Session detached'));
    }
    if (this.passiveBound.get(session.sessionId)?.session === session) this.passiveBound.delete(session.sessionId);
    for (const x of this.conns) if (x !== this.sessionConn.get(session)) x.demux.remove(session);
    const c = this.sessionConn.get(session);
    this.sessionConn.delete(session);
    if (!c) return;
    session.setInputFlow(undefined);
    c.demux.remove(session);
    session.close();
    c.pinnedBy.delete(session);
    if (c.demux.sessionCount === 0 && c.pinnedBy.size === 0) c.destroy(new ParleyError('MSRP_CONNECTION_CLOSED', 'No sessions left'));
  }

  /** Keep the session's connection open even without sessions (relay connections). */
  pin(session: MsrpSession): void {
    const c = this.sessionConn.get(session);
    c?.pinnedBy.add(session);
  }

  /** Stream a message from any byte source with TCP backpressure (flat memory for huge files). Returns its Message-ID. */
  async sendStream(session: MsrpSession, source: AsyncIterable<Uint8Array>, opts: OutgoingOptions, totalBytes?: number): Promise<string> {
    const conn = this.sessionConn.get(session);
    if (!conn) throw new ParleyError('MSRP_NOT_ATTACHED', 'Session is not on a connection');
    const o = session.startMessage(opts, totalBytes);
    for await (const chunk of source) {
      if (!o.write(chunk) || conn.closed) break;
      if (conn.needsDrain) await conn.drained();
    }
    if (!o.failed && !conn.closed) o.end();
    return o.messageId;
  }

  /** Wait until the session's connection has flushed its write buffer. */
  async drained(session: MsrpSession): Promise<void> {
    await this.sessionConn.get(session)?.drained();
  }

  /** Resolves once every byte written so far on the session's connection left user space (so its buffers can be reused). */
  async flushed(session: MsrpSession): Promise<void> {
    await this.sessionConn.get(session)?.flushed();
  }

  private async connectionTo(hop: MsrpUri, fingerprint?: string): Promise<Connection> {
    const port = hop.port ?? 2855;
    const key = `${hop.scheme}://${hop.host.toLowerCase()}:${port}`;
    const existing = this.pool.get(key);
    // RFC 4975 s.5.4 connection reuse: same scheme/host/port; for msrps also the same verified peer certificate
    if (existing && !existing.closed && (!fingerprint || (existing.peerDer && fingerprintMatches(fingerprint, existing.peerDer))))
      return existing;
    const host = hop.host.replace(/^\[|\]$/g, '');
    const timeoutMs = this.opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
    let socket: net.Socket;
    if (hop.scheme === 'msrps') {
      const { cert, key: pk } = await this.certificate();
      socket = tls.connect({ host, port, cert, key: pk, ca: this.tlsOpts.ca, rejectUnauthorized: !fingerprint });
      await this.ready(socket, 'secureConnect', timeoutMs);
      if (fingerprint) {
        const der = (socket as tls.TLSSocket).getPeerCertificate().raw;
        if (!der || !fingerprintMatches(fingerprint, der)) {
          socket.destroy();
          throw new ParleyError('MSRP_FINGERPRINT_MISMATCH', `Peer certificate at ${key} does not match a=fingerprint`);
        }
      }
    } else {
      socket = net.connect({ host, port });
      await this.ready(socket, 'connect', timeoutMs);
    }
    const c = new Connection(socket, key, this.opts.parserLimits, undefined, (x) => this.gone(x));
    this.conns.add(c);
    if (!existing || existing.closed) this.pool.set(key, c);
    return c;
  }

  private async ready(socket: net.Socket, event: string, timeoutMs: number): Promise<void> {
    const ac = new AbortController();
    const t = setTimeout(() => ac.abort(), timeoutMs);
    try {
      await once(socket, event, { signal: ac.signal });
    } catch (e) {
      socket.destroy();
      const timedOut = ac.signal.aborted;
      throw new ParleyError(
        timedOut ? 'MSRP_CONNECT_TIMEOUT' : 'MSRP_CONNECT_FAILED',
        `MSRP connect failed: ${(e as Error).message}`,
        undefined,
        { cause: e },
      );
    } finally {
      clearTimeout(t);
    }
  }

  private gone(c: Connection): void {
    this.conns.delete(c);
    if (c.key && this.pool.get(c.key) === c) this.pool.delete(c.key);
    for (const [s, x] of this.sessionConn) {
      if (x !== c) continue;
      this.sessionConn.delete(s);
      if (this.passiveBound.get(s.sessionId)?.session === s) this.passiveBound.delete(s.sessionId);
    }
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  async close(): Promise<void> {
    for (const e of this.expected.values()) {
      clearTimeout(e.timer);
      e.reject(new ParleyError('MSRP_SESSION_CLOSED', 'Transport closed'));
    }
    this.expected.clear();
    for (const c of [...this.conns]) c.destroy(new ParleyError('MSRP_CONNECTION_CLOSED', 'Transport closed'));
    if (this.server) {
      const s = this.server;
      this.server = undefined;
      await new Promise<void>((r) => s.close(() => r()));
    }
  }
}
