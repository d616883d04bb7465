// The renderer's typed IPC client: Electron's preload bridge (window.parley) when present, else the web host's WebSocket.
// Requests are checked before sending; responses and events are validated against the contract before use.
import {
  eventChannels,
  invokeChannels,
  IpcError,
  IPC_ERROR,
  type EventChannel,
  type EventPayload,
  type InvokeChannel,
  type Req,
  type Res,
} from '../../app/ipc/contract';
import { check, formatIssues } from '../../app/ipc/schema';
import { connectWebSocket, type RawTransport, type TransportStatus } from './ws-transport';

export type { TransportStatus } from './ws-transport';

export interface IpcClient {
  invoke<C extends InvokeChannel>(channel: C, payload: Req<C>): Promise<Res<C>>;
  on<E extends EventChannel>(event: E, cb: (payload: EventPayload<E>) => void): () => void;
  /** Link to main: 'open' (Electron: always), 'connecting'/'closed' (web host restarts, wrong token). */
  onStatus(cb: (s: TransportStatus, reason?: string) => void): () => void;
  readonly kind: 'electron' | 'web';
}

/** What app/preload.ts exposes: raw verbs only; the envelope mirrors the WebSocket response frame. */
export interface ParleyBridge {
  invoke(
    channel: string,
    payload: unknown,
  ): Promise<{ ok: true; result: unknown } | { ok: false; error: { code: string; message: string } }>;
  on(event: string, cb: (payload: unknown) => void): () => void;
  /** Electron only: the path of a dropped File (webUtils.getPathForFile), recorded in main as picked ('' if none); the
   *  renderer never reads the file itself. */
  pathForFile?(file: File): Promise<string>;
}

declare global {
  interface Window {
    parley?: ParleyBridge;
  }
}

export function createClient(raw: RawTransport, kind: IpcClient['kind']): IpcClient {
  const listeners = new Map<EventChannel, Set<(p: unknown) => void>>();
  const subscribed = new Set<EventChannel>();
  return {
    kind,
    async invoke(channel, payload) {
      const spec = invokeChannels[channel];
      const req = check(spec.request, payload);
      if (!req.ok) throw new IpcError(IPC_ERROR.badPayload, formatIssues(req.issues));
      const env = await raw.invoke(channel, req.value);
      if (!env.ok) throw new IpcError(env.error.code, env.error.message);
      const res = check(spec.response, env.result);
      if (!res.ok) throw new IpcError(IPC_ERROR.badFrame, `${channel}: response violates the contract: ${formatIssues(res.issues)}`);
      return res.value as Res<typeof channel>;
    },
    on(event, cb) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      const l = cb as (p: unknown) => void;
      set.add(l);
      if (!subscribed.has(event)) {
        subscribed.add(event);
        raw.on(event, (payload) => {
          const r = check(eventChannels[event], payload);
          if (!r.ok) {
            console.warn(`ipc: dropped off-contract ${event} event: ${formatIssues(r.issues)}`);
            return;
          }
          for (const fn of [...(listeners.get(event) ?? [])]) fn(r.value);
        });
      }
      return () => set.delete(l);
    },
    onStatus: (cb) => raw.onStatus(cb),
  };
}

function bridgeTransport(bridge: ParleyBridge): RawTransport {
  return {
    invoke: (channel, payload) => bridge.invoke(channel, payload),
    on: (event, cb) => bridge.on(event, cb),
    onStatus: (cb) => {
      cb('open');
      return () => {};
    },
  };
}

/** Reads the web host token from `#token=...` (then removes it from the address bar; kept for reloads of this tab). */
export function takeToken(loc: Location, storage: Storage | null, history: History | null): string | null {
  const m = /(?:^#|&)token=([A-Za-z0-9_-]{16,128})(?:&|$)/.exec(loc.hash);
  if (m) {
    try {
      storage?.setItem('parley.token', m[1]!);
    } catch {
      // storage unavailable: the token lives only for this page load
    }
    history?.replaceState(null, '', loc.pathname + loc.search);
    return m[1]!;
  }
  try {
    return storage?.getItem('parley.token') ?? null;
  } catch {
    return null;
  }
}

/** The client for this page: Electron preload if exposed, else the web host WebSocket on our own origin. */
export function connectDefault(): IpcClient {
  if (window.parley) return createClient(bridgeTransport(window.parley), 'electron');
  const token = takeToken(window.location, safeSessionStorage(), window.history);
  const url = `${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}/ipc`;
  return createClient(connectWebSocket(url, token), 'web');
}

function safeSessionStorage(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}
