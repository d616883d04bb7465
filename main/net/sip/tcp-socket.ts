// JsSIP Socket over TCP/TLS (RFC 3261 s.18: stream transports; s.26.2 TLS) with RFC 5626 s.4.4.1 CRLF keep-alives.
import net from 'node:net';
import tls from 'node:tls';
import { ParleyError } from '../../base/errors';
import { SipStreamFramer, type FramerLimits } from '../../protocol/sip/stream-framer';
import { classifySocketError, tlsInfoOf, type ConnectionInfo, type ParleySipSocket } from './connection-info';

/** Interval between double-CRLF keep-alive pings on an idle-or-not connection (RFC 5626 s.4.4.1 suggests 95-120 s for TCP; NAT-friendly shorter default). */
export const KEEPALIVE_INTERVAL_MS = 30_000;
/** A ping not followed by any byte from the peer within this time means the connection is dead (RFC 5626 s.4.4.1: 10 s). */
export const KEEPALIVE_PONG_TIMEOUT_MS = 10_000;
/** TCP connect + TLS handshake must finish within this time. */
export const CONNECT_TIMEOUT_MS = 10_000;

export interface StreamSocketOptions {
  /** 'tcp://127.0.0.1:5060' or 'tls://127.0.0.1:5061' */
  url: string;
  /** PEM CA bundle used to validate the server (TLS). Without it, the system store is used. */
  ca?: string | Buffer;
  /** Name to validate the certificate against (default: the host of the URL, IPs included). */
  servername?: string;
  keepAliveIntervalMs?: number;
  pongTimeoutMs?: number;
  limits?: Partial<FramerLimits>;
  /** Called with every error that ends or prevents a connection. */
  onError?: (e: ParleyError) => void;
}

export function parseStreamUrl(url: string): { tls: boolean; host: string; port: number } {
  const m = /^(tcp|tls):\/\/(\[[^\]]+\]|[^:/]+):(\d{1,5})\/?$/i.exec(url);
  if (!m) throw new ParleyError('SIP_BAD_PROXY_URL', `not a tcp:// or tls:// URL with host and port: ${url}`);
  return { tls: m[1].toLowerCase() === 'tls', host: m[2].replace(/^\[|\]$/g, ''), port: Number(m[3]) };
}

export class StreamSipSocket implements ParleySipSocket {
  readonly via_transport: 'TCP' | 'TLS';
  readonly url: string;
  readonly sip_uri: string;
  onconnect: () => void = () => {};
  ondisconnect: (error: boolean, code?: number, reason?: string) => void = () => {};
  ondata: (data: string) => void = () => {};
  connectionInfo: ConnectionInfo | null = null;
  lastError: ParleyError | null = null;
  lastMessage: { bytes: Uint8Array; bodyOffset: number } | null = null;

  private readonly opts: StreamSocketOptions;
  private readonly target: { tls: boolean; host: string; port: number };
  private sock: net.Socket | null = null;
  private state: 'idle' | 'connecting' | 'open' = 'idle';
  private framer: SipStreamFramer | null = null;
  private keepAliveTimer: NodeJS.Timeout | null = null;
  private pongTimer: NodeJS.Timeout | null = null;
  private readonly decoder = new TextDecoder('utf-8');

  constructor(opts: StreamSocketOptions) {
    this.opts = opts;
    this.target = parseStreamUrl(opts.url);
    this.url = opts.url;
    this.via_transport = this.target.tls ? 'TLS' : 'TCP';
    const host = this.target.host.includes(':') ? `[${this.target.host}]` : this.target.host;
    this.sip_uri = `sip:${host}:${this.target.port};transport=${this.target.tls ? 'tls' : 'tcp'}`;
  }

  isConnected(): boolean {
    return this.state === 'open';
  }

  isConnecting(): boolean {
    return this.state === 'connecting';
  }

  connect(): void {
    if (this.state !== 'idle') return;
    this.state = 'connecting';
    this.lastError = null;
    this.framer = new SipStreamFramer(this.opts.limits);
    const { host, port } = this.target;
    const sock = this.target.tls
      ? tls.connect({
          host,
          port,
          ca: this.opts.ca,
          servername: this.opts.servername,
          rejectUnauthorized: true,
          timeout: CONNECT_TIMEOUT_MS,
        })
      : net.connect({ host, port, timeout: CONNECT_TIMEOUT_MS });
    this.sock = sock;
    sock.setNoDelay(true);
    sock.once(this.target.tls ? 'secureConnect' : 'connect', () => {
      if (this.sock !== sock) return;
      sock.setTimeout(0);
      this.state = 'open';
      this.connectionInfo = {
        transport: this.via_transport,
        url: this.url,
        localAddress: sock.localAddress ?? null,
        localPort: sock.localPort ?? null,
        remoteAddress: sock.remoteAddress ?? null,
        remotePort: sock.remotePort ?? null,
        tls: this.target.tls ? tlsInfoOf(sock as tls.TLSSocket) : null,
        connectedAt: Date.now(),
      };
      this.armKeepAlive();
      this.onconnect();
    });
    sock.on('timeout', () =>
      this.fail(sock, new ParleyError('SIP_CONNECT_TIMEOUT', `no connection to ${this.url} within ${CONNECT_TIMEOUT_MS} ms`)),
    );
    sock.on('data', (chunk: Buffer) => this.onBytes(sock, chunk));
    sock.on('error', (e) => this.fail(sock, classifySocketError(e, this.target.tls && this.state === 'connecting', this.url)));
    sock.on('close', () => this.closed(sock));
  }

  disconnect(): void {
    const sock = this.sock;
    this.teardown();
    sock?.destroy();
  }

  send(message: string): boolean {
    if (this.state !== 'open' || !this.sock) return false;
    this.sock.write(message);
    return true;
  }

  private onBytes(sock: net.Socket, chunk: Buffer): void {
    if (this.sock !== sock || !this.framer) return;
    if (this.pongTimer) {
      clearTimeout(this.pongTimer);
      this.pongTimer = null;
    }
    const { events, error } = this.framer.push(chunk);
    for (const ev of events) {
      if (this.sock !== sock) return; // a handler closed us
      if (ev.type === 'ping') sock.write('\r\n');
      else if (ev.type === 'message') {
        this.lastMessage = { bytes: ev.bytes, bodyOffset: ev.bodyOffset };
        try {
          this.ondata(this.decoder.decode(ev.bytes));
        } catch (e) {
          // A bug above us must not take the process down from a socket callback.
          this.opts.onError?.(
            new ParleyError('SIP_INTERNAL_ERROR', `processing a received message failed: ${(e as Error)?.message ?? e}`, {}, { cause: e }),
          );
        } finally {
          this.lastMessage = null;
        }
      }
    }
    if (error && this.sock === sock) this.fail(sock, error);
  }

  private armKeepAlive(): void {
    const interval = this.opts.keepAliveIntervalMs ?? KEEPALIVE_INTERVAL_MS;
    if (interval <= 0) return;
    this.keepAliveTimer = setInterval(() => {
      if (this.state !== 'open' || !this.sock || this.pongTimer) return;
      this.sock.write('\r\n\r\n');
      const sock = this.sock;
      this.pongTimer = setTimeout(
        () => this.fail(sock, new ParleyError('SIP_KEEPALIVE_TIMEOUT', `no answer to keep-alive from ${this.url}`)),
        this.opts.pongTimeoutMs ?? KEEPALIVE_PONG_TIMEOUT_MS,
      );
    }, interval);
    this.keepAliveTimer.unref();
  }

  private fail(sock: net.Socket, e: ParleyError): void {
    if (this.sock !== sock) return;
    this.lastError = e;
    this.opts.onError?.(e);
    sock.destroy();
    this.closed(sock, true);
  }

  private closed(sock: net.Socket, error = false): void {
    if (this.sock !== sock) return;
    const wasError = error || this.lastError !== null || this.state === 'connecting';
    this.teardown();
    this.ondisconnect(wasError, undefined, this.lastError?.message);
  }

  private teardown(): void {
    if (this.keepAliveTimer) clearInterval(this.keepAliveTimer);
    if (this.pongTimer) clearTimeout(this.pongTimer);
    this.keepAliveTimer = this.pongTimer = null;
    this.sock = null;
    this.framer = null;
    this.state = 'idle';
    this.connectionInfo = null;
  }
}
