// WebSocket transport to the web host (main/hosts/web): JSON frames {id, channel, payload} -> {id, ok, result|error}, events
// {event, payload}. The token is offered as the subprotocol `parley.token.<token>`. Reconnects with capped backoff.
import { IPC_ERROR } from '../../app/ipc/contract';

export type TransportStatus = 'connecting' | 'open' | 'closed';
export type Envelope = { ok: true; result: unknown } | { ok: false; error: { code: string; message: string } };

export interface RawTransport {
  invoke(channel: string, payload: unknown): Promise<Envelope>;
  on(event: string, cb: (payload: unknown) => void): () => void;
  onStatus(cb: (s: TransportStatus, reason?: string) => void): () => void;
}

export const WS_PROTOCOL = 'parley.v1';
export const TOKEN_PROTOCOL_PREFIX = 'parley.token.';
export const REQUEST_TIMEOUT_MS = 60_000;
export const RECONNECT_MIN_MS = 500;
export const RECONNECT_MAX_MS = 10_000;

interface Pending {
  resolve: (e: Envelope) => void;
  timer: ReturnType<typeof setTimeout>;
  frame: string;
  sent: boolean;
}

export interface WsTransport extends RawTransport {
  /** Stops reconnecting and closes the socket; pending requests fail with IPC_CLOSED. */
  close(): void;
}

export function connectWebSocket(url: string, token: string | null, WS: typeof WebSocket = WebSocket): WsTransport {
  const pending = new Map<number, Pending>();
  const eventListeners = new Map<string, Set<(p: unknown) => void>>();
  const statusListeners = new Set<(s: TransportStatus, reason?: string) => void>();
  let status: TransportStatus = 'connecting';
  let reason: string | undefined;
  let ws: WebSocket | null = null;
  let nextId = 1;
  let backoff = RECONNECT_MIN_MS;
  let stopped = false;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  const setStatus = (s: TransportStatus, why?: string) => {
    status = s;
    reason = why;
    for (const l of [...statusListeners]) l(s, why);
  };

  const open = () => {
    if (stopped) return;
    if (token === null) {
      setStatus('closed', 'No access token: open the address printed by `npm run start:web`.');
      return;
    }
    setStatus('connecting');
    let opened = false;
    const sock = new WS(url, [WS_PROTOCOL, TOKEN_PROTOCOL_PREFIX + token]);
    ws = sock;
    sock.onopen = () => {
      opened = true;
      backoff = RECONNECT_MIN_MS;
      setStatus('open');
      for (const p of pending.values()) {
        if (!p.sent) {
          sock.send(p.frame);
          p.sent = true;
        }
      }
    };
    sock.onmessage = (ev) => {
      let f: Record<string, unknown>;
      try {
        f = JSON.parse(String(ev.data));
      } catch {
        return;
      }
      if (typeof f.event === 'string') {
        for (const l of [...(eventListeners.get(f.event) ?? [])]) l(f.payload);
        return;
      }
      const p = typeof f.id === 'number' ? pending.get(f.id) : undefined;
      if (!p) return;
      pending.delete(f.id as number);
      clearTimeout(p.timer);
      p.resolve(f.ok === true ? { ok: true, result: f.result } : { ok: false, error: errorOf(f.error) });
    };
    // The close event follows an error; without a handler some WebSocket implementations throw.
    sock.onerror = () => {};
    sock.onclose = () => {
      ws = null;
      // Requests already on the wire have no answer coming: fail them; unsent ones wait for the next connection.
      for (const [id, p] of pending) {
        if (p.sent) {
          pending.delete(id);
          clearTimeout(p.timer);
          p.resolve({ ok: false, error: { code: IPC_ERROR.closed, message: 'Connection to Parley was lost.' } });
        }
      }
      setStatus(
        opened ? 'connecting' : 'closed',
        opened ? 'Connection to Parley lost; reconnecting.' : 'Parley refused the connection (wrong or expired access token?).',
      );
      if (stopped) return;
      const delay = backoff;
      backoff = Math.min(backoff * 2, RECONNECT_MAX_MS);
      retryTimer = setTimeout(open, delay);
    };
  };
  open();

  return {
    invoke(channel, payload) {
      return new Promise<Envelope>((resolve) => {
        if (stopped || token === null) {
          resolve({ ok: false, error: { code: IPC_ERROR.closed, message: reason ?? 'Not connected to Parley.' } });
          return;
        }
        const id = nextId++;
        const frame = JSON.stringify({ id, channel, payload });
        const timer = setTimeout(() => {
          pending.delete(id);
          resolve({ ok: false, error: { code: IPC_ERROR.timeout, message: `${channel} timed out` } });
        }, REQUEST_TIMEOUT_MS);
        const p: Pending = { resolve, timer, frame, sent: false };
        pending.set(id, p);
        if (ws && ws.readyState === WS.OPEN) {
          ws.send(frame);
          p.sent = true;
        }
      });
    },
    on(event, cb) {
      let set = eventListeners.get(event);
      if (!set) eventListeners.set(event, (set = new Set()));
      set.add(cb);
      return () => set.delete(cb);
    },
    onStatus(cb) {
      statusListeners.add(cb);
      cb(status, reason);
      return () => statusListeners.delete(cb);
    },
    close() {
      stopped = true;
      clearTimeout(retryTimer);
      ws?.close();
      for (const [id, p] of pending) {
        pending.delete(id);
        clearTimeout(p.timer);
        p.resolve({ ok: false, error: { code: IPC_ERROR.closed, message: 'Connection closed.' } });
      }
      setStatus('closed', 'Connection closed.');
    },
  };
}

function errorOf(e: unknown): { code: string; message: string } {
  const o = (typeof e === 'object' && e !== null ? e : {}) as { code?: unknown; message?: unknown };
  return {
    code: typeof o.code === 'string' ? o.code.slice(0, 64) : IPC_ERROR.internal,
    message: typeof o.message === 'string' ? o.message.slice(0, 1024) : 'Internal error',
  };
}
