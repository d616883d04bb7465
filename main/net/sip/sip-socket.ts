// What the stream (tcp-socket.ts, RFC 3261 s.18) and WebSocket (ws-polyfill.ts, RFC 7118) JsSIP sockets share: the
// socket fields JsSIP reads, handing one complete SIP message to JsSIP, and the keep-alive with its answer deadline
// (RFC 5626 s.4.4.1 CRLF pings on streams, WebSocket pings on WS).
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { ParleyError } from '../../base/errors';
import { tlsInfoOf, type ConnectionInfo, type ParleySipSocket, type SipTransportName } from './connection-info';

/** Interval between keep-alive pings (RFC 5626 s.4.4.1 suggests 95-120 s for TCP; NAT-friendly shorter default). */
export const KEEPALIVE_INTERVAL_MS = 30_000;
/** A ping not followed by any answer from the peer within this time means the connection is dead (RFC 5626 s.4.4.1: 10 s). */
export const KEEPALIVE_PONG_TIMEOUT_MS = 10_000;
/** TCP connect + TLS handshake (or the WebSocket handshake) must finish within this time. */
export const CONNECT_TIMEOUT_MS = 10_000;

export interface KeepAliveOptions {
  keepAliveIntervalMs?: number;
  pongTimeoutMs?: number;
  /** Called with every error that ends or prevents a connection. */
  onError?: (e: ParleyError) => void;
}

export abstract class SipSocketBase implements ParleySipSocket {
  onconnect: () => void = () => {};
  ondisconnect: (error: boolean, code?: number, reason?: string) => void = () => {};
  ondata: (data: string) => void = () => {};
  connectionInfo: ConnectionInfo | null = null;
  lastError: ParleyError | null = null;
  lastMessage: { bytes: Uint8Array; bodyOffset: number } | null = null;
  #keepAliveTimer: NodeJS.Timeout | null = null;
  #pongTimer: NodeJS.Timeout | null = null;
  readonly #decoder = new TextDecoder('utf-8');

  protected constructor(
    readonly via_transport: SipTransportName,
    readonly url: string,
    readonly sip_uri: string,
    protected readonly keepAlive: KeepAliveOptions,
  ) {}

  abstract connect(): void;
  abstract disconnect(): void;
  abstract send(message: string): boolean;
  abstract isConnected(): boolean;
  abstract isConnecting(): boolean;

  /** Hand one complete SIP message to JsSIP; a throw above us is reported (SIP_INTERNAL_ERROR), never thrown into a socket callback. */
  protected deliver(bytes: Uint8Array, bodyOffset: number | null): void {
    this.lastMessage = bodyOffset === null ? null : { bytes, bodyOffset };
    try {
      this.ondata(this.#decoder.decode(bytes));
    } catch (e) {
      this.keepAlive.onError?.(
        new ParleyError('SIP_INTERNAL_ERROR', `processing a received message failed: ${(e as Error)?.message ?? e}`, {}, { cause: e }),
      );
    } finally {
      this.lastMessage = null;
    }
  }

  /** The connection is up: record its addresses and TLS facts (`tlsSocket` for TLS and WSS). */
  protected recordConnection(raw: Socket | null, tlsSocket: TLSSocket | null): void {
    this.connectionInfo = {
      transport: this.via_transport,
      url: this.url,
      localAddress: raw?.localAddress ?? null,
      localPort: raw?.localPort ?? null,
      remoteAddress: raw?.remoteAddress ?? null,
      remotePort: raw?.remotePort ?? null,
      tls: tlsSocket ? tlsInfoOf(tlsSocket) : null,
      connectedAt: Date.now(),
    };
  }

  /** Remember and report the error that ends the connection. */
  protected report(e: ParleyError): void {
    this.lastError = e;
    this.keepAlive.onError?.(e);
  }

  /**
   * Every interval, unless a ping is unanswered: `ping()` (false when this connection is no longer current), then
   * `onSilence` unless `answered()` comes within the pong timeout.
   */
  protected startKeepAlive(ping: () => boolean, onSilence: () => void): void {
    const interval = this.keepAlive.keepAliveIntervalMs ?? KEEPALIVE_INTERVAL_MS;
    if (interval <= 0) return;
    this.#keepAliveTimer = setInterval(() => {
      if (this.#pongTimer || !ping()) return;
      this.#pongTimer = setTimeout(onSilence, this.keepAlive.pongTimeoutMs ?? KEEPALIVE_PONG_TIMEOUT_MS);
    }, interval);
    this.#keepAliveTimer.unref();
  }

  /** The peer answered (any bytes on a stream, a pong on a WebSocket). */
  protected answered(): void {
    if (this.#pongTimer) clearTimeout(this.#pongTimer);
    this.#pongTimer = null;
  }

  /** Timers off and no connection facts: the connection is over. */
  protected stopKeepAlive(): void {
    if (this.#keepAliveTimer) clearInterval(this.#keepAliveTimer);
    this.answered();
    this.#keepAliveTimer = null;
    this.connectionInfo = null;
  }
}
