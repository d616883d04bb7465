// The web host: serves the built renderer and the IPC contract over a loopback WebSocket, for running the UI in a
// browser when the Electron binary is unavailable. Bound to 127.0.0.1 only; token + Origin + Host checked on upgrade.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import {
  FEATURE_UNAVAILABLE,
  IPC_ERROR,
  IpcError,
  MAX_FRAME_BYTES,
  RequestFrame,
  type UeBackend,
  type ResponseFrame,
  type EventFrame,
} from '../../../app/ipc/contract';
import { classifyLink } from '../../../app/ipc/links';
import { check } from '../../../app/ipc/schema';
import { checkUpgrade, isWellFormedToken, newToken, WS_PROTOCOL } from './auth';
import { checkEvent, dispatchInvoke, type ShellHandlers } from '../../../app/ipc/dispatch';
import { serveStatic } from '../static';
import { ParleyError } from '../../base/errors';

export const HOST_ADDRESS = '127.0.0.1';
export const MAX_CLIENTS = 8;
export const MAX_IN_FLIGHT = 64;
/** A client that stops reading: drop it rather than buffer without bound. */
export const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

export const DEFAULT_RENDERER_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../dist/renderer');

export interface WebHostOptions {
  backend: UeBackend;
  /** 0 (default) = a random free port. */
  port?: number;
  /** Directory of the built renderer (index.html, app.js, styles.css). */
  rootDir?: string;
  /** Fixed token (tests); a fresh random one otherwise. */
  token?: string;
  log?: (line: string) => void;
}

export interface WebHost {
  /** The page to open, with the token in the fragment (never sent to the server in HTTP requests). */
  url: string;
  origin: string;
  port: number;
  token: string;
  clientCount(): number;
  /** Upgrades accepted and refused since start. */
  stats(): { accepted: number; refused: number };
  close(): Promise<void>;
}

/** The web host cannot open things on the user's behalf: it tells the renderer to show the (checked) URL instead. */
export const webShell: ShellHandlers = {
  'links.open': async ({ url }) => {
    const c = classifyLink(url);
    return c.ok ? { decision: 'delegated', url: c.url } : { decision: 'refused', url: url.slice(0, 2048), reason: c.reason };
  },
  // The browser build is updated with the repository (git pull, then npm start), not by itself.
  'update.get': async () => WEB_UPDATE_VIEW,
  'update.check': async () => WEB_UPDATE_VIEW,
  'update.install': async () => {
    throw new ParleyError('UPDATE_UNSUPPORTED', 'the web host does not update itself');
  },
  // no native dialog here: files under the operator's --send-from folders count as picked (issue 15 adds an upload picker)
  'files.pick': async () => {
    throw new IpcError(
      FEATURE_UNAVAILABLE,
      'No file dialog in the browser: type the path of a file in a folder the host shares (--send-from).',
    );
  },
};

const WEB_UPDATE_VIEW = { state: 'unsupported', reason: 'The browser version is updated with the repository.' } as const;

export async function startWebHost(opts: WebHostOptions): Promise<WebHost> {
  const token = opts.token ?? newToken();
  if (!isWellFormedToken(token)) throw new ParleyError('HOST_BAD_TOKEN', 'token must be 16-128 base64url characters');
  const root = opts.rootDir ?? DEFAULT_RENDERER_DIR;
  const log = opts.log ?? (() => {});
  const server: Server = createServer((req, res) => {
    if (!hostOk(req)) {
      res.writeHead(421, { 'Content-Type': 'text/plain' }).end('misdirected request');
      return;
    }
    void serveStatic(root, req, res);
  });
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    handleProtocols: (protocols) => (protocols.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
  });
  const stats = { accepted: 0, refused: 0 };
  let expectedHost = '';
  let origin = '';
  const hostOk = (req: IncomingMessage) => req.headers.host === expectedHost;

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const d = checkUpgrade(req, { token, origin, host: expectedHost });
    if (!d.ok || wss.clients.size >= MAX_CLIENTS) {
      const status = d.ok ? 503 : d.status;
      stats.refused++;
      log(`web host: refused WebSocket upgrade (${d.ok ? 'too many clients' : d.reason})`);
      socket.end(
        `HTTP/1.1 ${status} ${status === 503 ? 'Service Unavailable' : 'Forbidden'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
      );
      return;
    }
    stats.accepted++;
    wss.handleUpgrade(req, socket, head, (ws) => onClient(ws));
  });

  function onClient(ws: WebSocket): void {
    let inFlight = 0;
    const send = (frame: ResponseFrame | EventFrame) => {
      if (ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
        log('web host: client is not reading; closing');
        ws.close(1008, 'IPC_SLOW_CONSUMER');
        return;
      }
      ws.send(JSON.stringify(frame));
    };
    const unsubscribe = opts.backend.subscribe((e) => {
      const checked = checkEvent(e, { log });
      if (checked) send({ event: checked.event, payload: checked.payload });
    });
    ws.on('close', unsubscribe);
    ws.on('error', (err) => log(`web host: socket error: ${err.message}`));
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) return ws.close(1003, IPC_ERROR.badFrame);
      let parsed: unknown;
      try {
        parsed = JSON.parse(rawToString(data));
      } catch {
        return ws.close(1007, IPC_ERROR.badFrame);
      }
      const f = check(RequestFrame, parsed);
      if (!f.ok) {
        const maybeId = (parsed as { id?: unknown } | null)?.id;
        if (typeof maybeId === 'number' && Number.isSafeInteger(maybeId) && maybeId > 0) {
          return send({ id: maybeId, ok: false, error: { code: IPC_ERROR.badFrame, message: 'frame must be {id, channel, payload}' } });
        }
        return ws.close(1008, IPC_ERROR.badFrame);
      }
      const { id, channel, payload } = f.value;
      if (inFlight >= MAX_IN_FLIGHT) {
        return send({ id, ok: false, error: { code: 'IPC_BUSY', message: `more than ${MAX_IN_FLIGHT} requests in flight` } });
      }
      inFlight++;
      void dispatchInvoke(opts.backend, webShell, channel, payload, { log }).then((r) => {
        inFlight--;
        send(r.ok ? { id, ok: true, result: r.result } : { id, ok: false, error: r.error });
      });
    });
  }

  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(opts.port ?? 0, HOST_ADDRESS, () => {
      server.off('error', rej);
      res();
    });
  });
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new ParleyError('HOST_LISTEN_FAILED', 'web host has no TCP address');
  const port = addr.port;
  expectedHost = `${HOST_ADDRESS}:${port}`;
  origin = `http://${expectedHost}`;

  return {
    url: `${origin}/#token=${token}`,
    origin,
    port,
    token,
    clientCount: () => wss.clients.size,
    stats: () => ({ ...stats }),
    close: async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((res) => wss.close(() => res()));
      server.closeAllConnections();
      await new Promise<void>((res) => server.close(() => res()));
    },
  };
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
