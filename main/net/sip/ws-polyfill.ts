// RFC 7118 SIP over WebSocket for Node: a `ws`-based WebSocket (with TLS options) and a JsSIP Socket built on it.
import type { TLSSocket } from 'node:tls';
import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { ParleyError } from '../../base/errors';
import { classifySocketError } from './connection-info';
import { CONNECT_TIMEOUT_MS, SipSocketBase, type KeepAliveOptions } from './sip-socket';

export interface WsTlsOptions {
  /** PEM CA bundle used to validate a wss:// server. */
  ca?: string | Buffer;
  servername?: string;
}

/**
 * A WebSocket class (the browser constructor shape `new WebSocket(url, protocols)`) with TLS options baked in.
 * JsSIP's own WebSocketInterface does `new WebSocket(url, 'sip')` on the global.
 */
export type WebSocketCtor = new (url: string | URL, protocols?: string | string[]) => WebSocket;

export function createWebSocketClass(tlsOpts: WsTlsOptions = {}): WebSocketCtor {
  const options = { ca: tlsOpts.ca, servername: tlsOpts.servername, rejectUnauthorized: true, handshakeTimeout: CONNECT_TIMEOUT_MS };
  return class ParleyWebSocket extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols, options as WebSocket.ClientOptions);
    }
  };
}

/**
 * Sets `globalThis.WebSocket` (absent in Node 20) once, for code that uses JsSIP.WebSocketInterface directly.
 * Parley's own UA does not rely on it: WsSipSocket below carries per-account TLS options and reports errors,
 * which a process-wide global cannot. Returns false when a global WebSocket already existed (left untouched).
 */
export function installWebSocketGlobal(tlsOpts: WsTlsOptions = {}): boolean {
  const g = globalThis as { WebSocket?: unknown };
  if (g.WebSocket) return false;
  g.WebSocket = createWebSocketClass(tlsOpts);
  return true;
}

export interface WsSocketOptions extends WsTlsOptions, KeepAliveOptions {
  url: string;
  /** Largest WebSocket message accepted (bytes). */
  maxMessageBytes?: number;
}

/** A JsSIP Socket for ws:// and wss:// with TLS validation, error reporting, TLS facts and WebSocket ping keep-alives. */
export class WsSipSocket extends SipSocketBase {
  declare readonly via_transport: 'WS' | 'WSS';
  private readonly opts: WsSocketOptions;
  private readonly WS: WebSocketCtor;
  private ws: WebSocket | null = null;
  private tlsSocket: TLSSocket | null = null;

  constructor(opts: WsSocketOptions) {
    const m = /^(wss?):\/\/(\[[^\]]+\]|[^:/]+)(?::(\d{1,5}))?(\/.*)?$/i.exec(opts.url);
    if (!m) throw new ParleyError('SIP_BAD_PROXY_URL', `not a ws:// or wss:// URL: ${opts.url}`);
    super(m[1].toLowerCase() === 'wss' ? 'WSS' : 'WS', opts.url, `sip:${m[2]}${m[3] ? `:${m[3]}` : ''};transport=ws`, opts);
    this.opts = opts;
    this.WS = createWebSocketClass(opts);
  }

  isConnected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  isConnecting(): boolean {
    return this.ws?.readyState === WebSocket.CONNECTING;
  }

  connect(): void {
    if (this.ws) return;
    this.lastError = null;
    const ws = new this.WS(this.url, 'sip');
    this.ws = ws;
    const tlsTarget = this.via_transport === 'WSS';
    let opened = false;
    ws.on('upgrade', (res: IncomingMessage) => {
      if (tlsTarget) this.tlsSocket = res.socket as TLSSocket;
    });
    ws.on('open', () => {
      if (this.ws !== ws) return;
      opened = true;
      if (ws.protocol !== 'sip') {
        this.fail(ws, new ParleyError('SIP_WS_PROTOCOL', `server at ${this.url} did not accept the "sip" subprotocol`));
        return;
      }
      const raw = this.tlsSocket ?? (ws as unknown as { _socket?: import('node:net').Socket })._socket ?? null;
      this.recordConnection(raw, this.tlsSocket);
      this.startKeepAlive(
        () => {
          if (this.ws !== ws) return false;
          ws.ping();
          return true;
        },
        () => this.fail(ws, new ParleyError('SIP_KEEPALIVE_TIMEOUT', `no pong from ${this.url}`)),
      );
      this.onconnect();
    });
    ws.on('message', (data: WebSocket.RawData) => {
      if (this.ws !== ws) return;
      const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      if (this.opts.maxMessageBytes && bytes.length > this.opts.maxMessageBytes) {
        this.fail(
          ws,
          new ParleyError('SIP_BODY_TOO_LARGE', `WebSocket message of ${bytes.length} bytes exceeds ${this.opts.maxMessageBytes}`),
        );
        return;
      }
      const sep = bytes.indexOf('\r\n\r\n');
      this.deliver(bytes, sep >= 0 ? sep + 4 : null);
    });
    ws.on('pong', () => this.answered());
    ws.on('unexpected-response', (_req, res) => {
      this.fail(ws, new ParleyError('SIP_CONNECT_FAILED', `WebSocket upgrade to ${this.url} refused: HTTP ${res.statusCode}`));
    });
    ws.on('error', (e) => this.fail(ws, classifySocketError(e, tlsTarget && !opened, this.url)));
    ws.on('close', (code: number, reason: Buffer) => this.closed(ws, code, reason.toString()));
  }

  disconnect(): void {
    const ws = this.ws;
    this.teardown();
    if (ws) {
      ws.removeAllListeners();
      ws.on('error', () => {});
      ws.terminate();
    }
  }

  send(message: string): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(message);
    return true;
  }

  private fail(ws: WebSocket, e: ParleyError): void {
    if (this.ws !== ws) return;
    this.report(e);
    this.teardown();
    ws.removeAllListeners();
    ws.on('error', () => {});
    ws.terminate();
    this.ondisconnect(true, undefined, e.message);
  }

  private closed(ws: WebSocket, code: number, reason: string): void {
    if (this.ws !== ws) return;
    this.teardown();
    this.ondisconnect(code !== 1000, code, reason || this.lastError?.message);
  }

  private teardown(): void {
    this.stopKeepAlive();
    this.ws = null;
    this.tlsSocket = null;
  }
}
