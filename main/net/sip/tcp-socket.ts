// JsSIP Socket over TCP/TLS (RFC 3261 s.18: stream transports; s.26.2 TLS) with RFC 5626 s.4.4.1 CRLF keep-alives.
import net from 'node:net';
import tls from 'node:tls';
import { ParleyError } from '../../base/errors';
import { SipStreamFramer, type FramerLimits } from '../../protocol/sip/stream-framer';
import { classifySocketError } from './connection-info';
import { CONNECT_TIMEOUT_MS, SipSocketBase, type KeepAliveOptions } from './sip-socket';

export { CONNECT_TIMEOUT_MS, KEEPALIVE_INTERVAL_MS, KEEPALIVE_PONG_TIMEOUT_MS } from './sip-socket';

export interface StreamSocketOptions extends KeepAliveOptions {
  /** 'tcp://127.0.0.1:5060' or 'tls://127.0.0.1:5061' */
  url: string;
  /** PEM CA bundle used to validate the server (TLS). Without it, the system store is used. */
  ca?: string | Buffer;
  /** Name to validate the certificate against (default: the host of the URL, IPs included). */
  servername?: string;
  limits?: Partial<FramerLimits>;
}

export function parseStreamUrl(url: string): { tls: boolean; host: string; port: number } {
  const m = /^(tcp|tls):\/\/(\[[^\]]+\]|[^:/]+):(\d{1,5})\/?$/i.exec(url);
  if (!m) throw new ParleyError('SIP_BAD_PROXY_URL', `not a tcp:// or tls:// URL with host and port: ${url}`);
  return { tls: m[1].toLowerCase() === 'tls', host: m[2].replace(/^\[|\]$/g, ''), port: Number(m[3]) };
}

export class StreamSipSocket extends SipSocketBase {
  declare readonly via_transport: 'TCP' | 'TLS';
  private readonly opts: StreamSocketOptions;
  private readonly target: { tls: boolean; host: string; port: number };
  private sock: net.Socket | null = null;
  private state: 'idle' | 'connecting' | 'open' = 'idle';
  private framer: SipStreamFramer | null = null;

  constructor(opts: StreamSocketOptions) {
    const target = parseStreamUrl(opts.url);
    const host = target.host.includes(':') ? `[${target.host}]` : target.host;
    const sipUri = `sip:${host}:${target.port};transport=${target.tls ? 'tls' : 'tcp'}`;
    super(target.tls ? 'TLS' : 'TCP', opts.url, sipUri, opts);
    this.opts = opts;
    this.target = target;
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
      this.recordConnection(sock, this.target.tls ? (sock as tls.TLSSocket) : null);
      this.startKeepAlive(
        () => {
          if (this.sock !== sock || this.state !== 'open') return false;
          sock.write('\r\n\r\n');
          return true;
        },
        () => this.fail(sock, new ParleyError('SIP_KEEPALIVE_TIMEOUT', `no answer to keep-alive from ${this.url}`)),
      );
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
    this.answered();
    const { events, error } = this.framer.push(chunk);
    for (const ev of events) {
      if (this.sock !== sock) return; // a handler closed us
      if (ev.type === 'ping') sock.write('\r\n');
      else if (ev.type === 'message') this.deliver(ev.bytes, ev.bodyOffset);
    }
    if (error && this.sock === sock) this.fail(sock, error);
  }

  private fail(sock: net.Socket, e: ParleyError): void {
    if (this.sock !== sock) return;
    this.report(e);
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
    this.stopKeepAlive();
    this.sock = null;
    this.framer = null;
    this.state = 'idle';
  }
}
