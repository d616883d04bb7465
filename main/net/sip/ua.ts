// RFC 3261 s.10 registration (digest auth s.22), outbound proxy, recovery; wraps JsSIP 3.13 with Parley sockets and hooks.
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { ParleyError } from '../../base/errors';
import { StreamSipSocket } from './tcp-socket';
import { WsSipSocket } from './ws-polyfill';
import { createJsSipUA, JSSIP_VERSION, type ParleyJsSipUA } from './jssip-ua';
import { buildResponse, randomToken, wrapIncoming, type IncomingSipRequest, type JsSipIncomingRequest } from './incoming';
import { reasonPhrase } from '../../protocol/sip/response';
import type { ConnectionInfo, ParleySipSocket } from './connection-info';

/** How long start() waits for the first registration before rejecting with SIP_REGISTER_TIMEOUT. */
export const REGISTER_TIMEOUT_MS = 15_000;
/** How long stop() waits for the un-REGISTER answer. */
export const UNREGISTER_TIMEOUT_MS = 3_000;
/** Reconnection backoff bounds (seconds) handed to JsSIP's Transport recovery (random 2^n backoff between them). */
export const RECONNECT_MIN_S = 1;
export const RECONNECT_MAX_S = 30;

export const USER_AGENT = `Parley/0.1 JsSIP/${JSSIP_VERSION}`;

export interface SipAccount {
  /** Address of record, e.g. 'sip:alice@parley.test'. */
  aor: string;
  password: string;
  /** Outbound proxy: 'wss://127.0.0.1:5067', 'ws://…', 'tls://127.0.0.1:5061', 'tcp://127.0.0.1:5060'. */
  proxy: string;
  /** PEM file of the CA that signs the proxy certificate (TLS/WSS). */
  caFile?: string;
  /** PEM text, alternative to caFile. */
  ca?: string;
  displayName?: string;
  /** Requested registration lifetime in seconds (default 600); JsSIP re-registers at about half of it. */
  registerExpires?: number;
  keepAliveIntervalMs?: number;
  reconnectMinSeconds?: number;
  reconnectMaxSeconds?: number;
  /** Largest SIP message accepted from the network on stream/WS transports. */
  maxIncomingBytes?: number;
}

export type SipUaState = 'idle' | 'connecting' | 'registered' | 'unregistered' | 'reconnecting' | 'failed' | 'stopped';

export interface SipStateEvent {
  state: SipUaState;
  /** Stable code when something went wrong: SIP_AUTH_FAILED, SIP_TLS_ERROR, SIP_REGISTRATION_FAILED, SIP_CONNECT_FAILED... */
  error?: ParleyError;
}

export type IncomingRequestHandler = (req: IncomingSipRequest) => void;

export interface SendRequestResult {
  statusCode: number;
  reasonPhrase: string;
  /** Header lookup on the final response (absent on local timeouts and transport errors). */
  header?: (name: string) => string | undefined;
  /** 'remote' when a response was received, 'system' for a local timeout/transport error. */
  originator: 'remote' | 'system';
  cause: string;
}

export interface SipUserAgentEvents {
  state: [SipStateEvent];
  error: [ParleyError];
}

interface JsSipFailed {
  originator: string;
  response: { status_code: number; reason_phrase: string; getHeader(n: string): string } | null;
  cause: string;
}

export class SipUserAgent extends EventEmitter<SipUserAgentEvents> {
  readonly account: SipAccount;
  readonly socket: ParleySipSocket;
  private readonly ua: ParleyJsSipUA;
  private _state: SipUaState = 'idle';
  private _lastError: ParleyError | null = null;
  private everRegistered = false;
  private messageHandler: IncomingRequestHandler | null = null;
  private inviteHandler: IncomingRequestHandler | null = null;
  private invitesToJsSip = false;

  constructor(account: SipAccount) {
    super();
    this.account = account;
    const ca = account.ca ?? (account.caFile ? readCa(account.caFile) : undefined);
    const proxy = account.proxy;
    const onError = (e: ParleyError) => this.onSocketError(e);
    const common = { ca, keepAliveIntervalMs: account.keepAliveIntervalMs, onError };
    if (/^wss?:\/\//i.test(proxy)) this.socket = new WsSipSocket({ url: proxy, maxMessageBytes: account.maxIncomingBytes, ...common });
    else if (/^(tcp|tls):\/\//i.test(proxy)) {
      this.socket = new StreamSipSocket({
        url: proxy,
        limits: account.maxIncomingBytes ? { maxBodyBytes: account.maxIncomingBytes } : undefined,
        ...common,
      });
    } else throw new ParleyError('SIP_BAD_PROXY_URL', `unsupported proxy URL ${proxy} (use ws://, wss://, tcp:// or tls://)`);
    const aor = /^sips?:([^@]+)@(.+)$/i.exec(account.aor);
    if (!aor) throw new ParleyError('SIP_BAD_AOR', `not a SIP address of record: ${account.aor}`);
    const transport = this.socket.via_transport;
    // JsSIP hard-codes transport=ws in its Contact; stream transports must advertise their own.
    const contactUri =
      transport === 'TCP' || transport === 'TLS'
        ? `sip:${randomToken(8)}@${randomToken(12)}.invalid;transport=${transport.toLowerCase()}`
        : undefined;
    this.ua = createJsSipUA(
      {
        sockets: [this.socket as never],
        uri: account.aor,
        password: account.password,
        display_name: account.displayName,
        register: true,
        register_expires: account.registerExpires ?? 600,
        session_timers: false,
        contact_uri: contactUri,
        user_agent: USER_AGENT,
        connection_recovery_min_interval: account.reconnectMinSeconds ?? RECONNECT_MIN_S,
        connection_recovery_max_interval: account.reconnectMaxSeconds ?? RECONNECT_MAX_S,
      },
      {
        message: (r) => this.dispatch(r, this.messageHandler, 405),
        invite: (r) => this.dispatch(r, this.inviteHandler, 488),
        takeInvites: () => !(this.invitesToJsSip && hasWebRtcGlobals()),
        error: (e, r) => this.handlerFailed(e, r),
      },
    );
    this.ua.on('connecting', () => this.setState(this.everRegistered ? 'reconnecting' : 'connecting'));
    this.ua.on('registered', () => {
      this.everRegistered = true;
      this._lastError = null;
      this.setState('registered');
    });
    this.ua.on('unregistered', () => {
      if (this._state === 'failed' || this._state === 'stopped') return;
      this.setState(this.ua.isConnected() ? 'unregistered' : 'reconnecting');
    });
    this.ua.on('disconnected', () => {
      if (this._state === 'failed' || this._state === 'stopped') return;
      const err = this.socket.lastError;
      if (err?.code === 'SIP_TLS_ERROR') return this.fail(err);
      this.setState('reconnecting', err ?? undefined);
    });
    this.ua.on('registrationFailed', (ev: unknown) => this.onRegistrationFailed(ev as JsSipFailed));
  }

  get state(): SipUaState {
    return this._state;
  }

  get lastError(): ParleyError | null {
    return this._lastError;
  }

  get connectionInfo(): ConnectionInfo | null {
    return this.socket.connectionInfo;
  }

  get isRegistered(): boolean {
    return this._state === 'registered';
  }

  /** Connects and registers. Resolves once registered; rejects with the ParleyError of a definitive failure or a timeout. */
  start(timeoutMs = REGISTER_TIMEOUT_MS): Promise<void> {
    if (this._state === 'registered') return Promise.resolve();
    const done = this.waitForState(['registered'], timeoutMs);
    if (this._state === 'idle' || this._state === 'stopped' || this._state === 'failed') {
      this._lastError = null;
      this.ua.start();
    }
    return done;
  }

  /** Resolves when one of `states` is reached; rejects on 'failed' (with its error) or after timeoutMs. */
  waitForState(states: SipUaState[], timeoutMs = REGISTER_TIMEOUT_MS): Promise<void> {
    if (states.includes(this._state)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('state', onState);
        reject(
          new ParleyError('SIP_REGISTER_TIMEOUT', `no ${states.join('/')} within ${timeoutMs} ms (state ${this._state})`, {
            lastError: this._lastError?.message ?? this.socket.lastError?.message,
          }),
        );
      }, timeoutMs);
      const onState = (ev: SipStateEvent) => {
        if (states.includes(ev.state)) {
          clearTimeout(timer);
          this.off('state', onState);
          resolve();
        } else if (ev.state === 'failed' && !states.includes('failed')) {
          clearTimeout(timer);
          this.off('state', onState);
          reject(ev.error ?? new ParleyError('SIP_REGISTRATION_FAILED', 'registration failed'));
        }
      };
      this.on('state', onState);
    });
  }

  /** Unregisters (bounded wait) and closes the connection. */
  async stop(): Promise<void> {
    if (this._state === 'stopped') return;
    if (this.ua.isRegistered()) {
      const gone = new Promise<void>((resolve) => {
        const t = setTimeout(resolve, UNREGISTER_TIMEOUT_MS);
        this.ua.once('unregistered', () => {
          clearTimeout(t);
          resolve();
        });
      });
      this.ua.unregister();
      await gone;
    }
    this.setState('stopped');
    this.ua.stop();
    const internals = this.ua as unknown as { _closeTimer: NodeJS.Timeout | null; _transport: { disconnect(): void } };
    if (internals._closeTimer) {
      // JsSIP waits 2 s for pending transactions; un-REGISTER is already answered, so close now.
      clearTimeout(internals._closeTimer);
      internals._closeTimer = null;
      internals._transport.disconnect();
    }
  }

  /** Handles out-of-dialog MESSAGE requests (page mode). Without a handler they get 405. */
  setMessageHandler(h: IncomingRequestHandler | null): void {
    this.messageHandler = h;
  }

  /**
   * The one hook for initial INVITEs: the account's InviteRouter (main/media/invite-router.ts) installs itself here and
   * hands each INVITE to the feature that claims it. Without a hook they get 488 Not Acceptable Here.
   */
  setInviteHandler(h: IncomingRequestHandler | null): void {
    this.inviteHandler = h;
  }

  /**
   * Leaves initial INVITEs to JsSIP's RTCSession ('newRTCSession' on `jssip`) instead of the invite handler. Takes effect
   * only while `window.RTCPeerConnection` exists (a session layer installs an MSRP-capable stand-in): otherwise JsSIP would
   * crash under Node, so INVITEs keep going to the handler (or get 488).
   */
  delegateInvitesToJsSip(enabled: boolean): void {
    this.invitesToJsSip = enabled;
  }

  /** Sends an out-of-dialog MESSAGE (JsSIP handles digest challenges). Resolves with the final outcome, never rejects on SIP errors. */
  sendMessage(target: string, body: string, contentType: string, extraHeaders: string[] = []): Promise<SendRequestResult> {
    return new Promise((resolve, reject) => {
      try {
        this.ua.sendMessage(target, body, {
          contentType,
          extraHeaders,
          eventHandlers: {
            succeeded: (e: { response: { status_code: number; reason_phrase: string; getHeader(n: string): string } }) =>
              resolve({
                statusCode: e.response.status_code,
                reasonPhrase: e.response.reason_phrase,
                header: (n) => e.response.getHeader(n),
                originator: 'remote',
                cause: 'OK',
              }),
            failed: (e: JsSipFailed) => resolve(failureResult(e)),
          },
        } as never);
      } catch (e) {
        reject(new ParleyError('SIP_BAD_TARGET', `cannot send to ${target}: ${(e as Error).message}`, { target }, { cause: e }));
      }
    });
  }

  /** Emits 'error' for diagnostics when someone listens; never throws (an unhandled 'error' event would crash the process). */
  reportError(e: ParleyError): void {
    if (this.listenerCount('error') > 0) this.emit('error', e);
  }

  /** The underlying JsSIP UA, for layers that need JsSIP features directly (sessions, subscriptions). */
  get jssip(): ParleyJsSipUA {
    return this.ua;
  }

  private dispatch(raw: JsSipIncomingRequest, handler: IncomingRequestHandler | null, fallbackCode: number): void {
    const req = this.wrap(raw);
    if (!handler) {
      const headers = fallbackCode === 405 ? ['Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, NOTIFY, SUBSCRIBE, MESSAGE'] : [];
      req.reply(fallbackCode, fallbackCode === 488 ? 'Sessions Not Supported' : undefined, headers);
      return;
    }
    handler(req);
  }

  private handlerFailed(e: unknown, raw: JsSipIncomingRequest): void {
    const err =
      e instanceof ParleyError
        ? e
        : new ParleyError('SIP_HANDLER_FAILED', `handling ${raw.method} failed: ${(e as Error)?.message ?? e}`, {}, { cause: e });
    this.reportError(err);
    try {
      const tr = raw.server_transaction as unknown as { state?: number; receiveResponse(c: number, r: string): void } | null;
      if (tr) tr.receiveResponse(500, buildResponse(raw, 500, reasonPhrase(500), []));
    } catch {
      /* already answered: nothing more to do */
    }
  }

  private wrap(raw: JsSipIncomingRequest): IncomingSipRequest {
    return wrapIncoming(raw, this.socket, USER_AGENT);
  }

  private onRegistrationFailed(ev: JsSipFailed): void {
    const status = ev.response?.status_code;
    const socketErr = this.socket.lastError;
    if (status === 401 || status === 403 || status === 407) {
      this.fail(
        new ParleyError('SIP_AUTH_FAILED', `registration of ${this.account.aor} refused: ${status} ${ev.response?.reason_phrase}`, {
          status,
          cause: ev.cause,
        }),
      );
    } else if (socketErr?.code === 'SIP_TLS_ERROR') {
      this.fail(socketErr);
    } else if (status) {
      this.fail(
        new ParleyError('SIP_REGISTRATION_FAILED', `registration of ${this.account.aor} failed: ${status} ${ev.response?.reason_phrase}`, {
          status,
          cause: ev.cause,
        }),
      );
    } else {
      // Timeout or transport error: JsSIP's transport recovery reconnects and registers again.
      this.setState(
        'reconnecting',
        new ParleyError('SIP_REGISTRATION_FAILED', `registration attempt failed: ${ev.cause}`, { cause: ev.cause }),
      );
    }
  }

  private onSocketError(e: ParleyError): void {
    this.reportError(e);
    if (e.code === 'SIP_INTERNAL_ERROR') return;
    this._lastError = e;
    if (e.code === 'SIP_TLS_ERROR') this.fail(e);
  }

  private fail(e: ParleyError): void {
    if (this._state === 'failed' || this._state === 'stopped') return;
    this._lastError = e;
    this.setState('failed', e);
    // A wrong password or a refused certificate does not fix itself: stop retrying.
    this.ua.stop();
  }

  private setState(state: SipUaState, error?: ParleyError): void {
    if (error) this._lastError = error;
    if (state === this._state && !error) return;
    this._state = state;
    this.emit('state', { state, error });
  }
}

function hasWebRtcGlobals(): boolean {
  const g = globalThis as { window?: { RTCPeerConnection?: unknown } };
  return typeof g.window?.RTCPeerConnection === 'function';
}

function failureResult(e: JsSipFailed): SendRequestResult {
  if (e.response) {
    return {
      statusCode: e.response.status_code,
      reasonPhrase: e.response.reason_phrase,
      header: (n) => e.response!.getHeader(n),
      originator: 'remote',
      cause: e.cause,
    };
  }
  const timeout = /timeout/i.test(e.cause);
  return { statusCode: timeout ? 408 : 503, reasonPhrase: e.cause, originator: 'system', cause: e.cause };
}

function readCa(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new ParleyError('SIP_CA_UNREADABLE', `cannot read CA file ${file}: ${(e as Error).message}`, { file }, { cause: e });
  }
}
