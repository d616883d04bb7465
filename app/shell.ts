// The Electron shell: lifecycle (single instance, one window), the app:// renderer origin, hardening (sandbox, isolation,
// no navigation/popups/webviews/permissions), IPC handlers over the contract with sender checks, notifications,
// sip:/sips:/im: protocol links, and the safeStorage key wrapper handed to the UE.
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Notification,
  protocol,
  safeStorage,
  session,
  shell,
  type IpcMainInvokeEvent,
} from 'electron';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BACKEND_METHOD, FEATURE_UNAVAILABLE, INVOKE_CHANNELS, IPC_ERROR, IpcError, type UeBackend, type UeEvent } from './ipc/contract';
import { classifyLink } from './ipc/links';
import { plainText } from './ipc/text';
import type { KeyWrapper } from '../main/security/key-wrapper';
import { checkEvent, dispatchInvoke, type ShellHandlers } from './ipc/dispatch';
import { resolveStatic, securityHeaders } from '../main/hosts/static';
import { desktopKeyProtection, NO_PROTECTION_HELP } from './keywrapper';
import {
  APP_HOST,
  APP_INDEX,
  APP_SCHEME,
  isTrustedSender,
  notificationText,
  peerFromProtocolUrl,
  PROTOCOL_SCHEMES,
  protocolUrlFromArgv,
} from './trust';
import { EVENT_CHANNEL, PICKED_CHANNEL } from './preload-channel';
import { PickedFiles } from '../main/features/picked-files';
import { iconPath, NOTIFICATION_ICON, WINDOW_ICON } from './icons';
import { startUpdates, type Updates } from './updater';
import { ParleyError } from '../main/base/errors';

/** The update feed and its key, built into the packaged app by app/build.mjs (esbuild replaces these expressions);
 *  empty in a build without them, which then never updates (docs/app.md "Updates"). */
const UPDATE_URL = process.env.PARLEY_UPDATE_URL ?? '';
const UPDATE_PUBLIC_KEY = process.env.PARLEY_UPDATE_PUBLIC_KEY ?? '';

const HERE = dirname(fileURLToPath(import.meta.url));
/** Built layout: dist/app/{main.js, preload.cjs} and dist/renderer/. */
export const RENDERER_DIR = resolve(HERE, '../renderer');
export const PRELOAD = join(HERE, 'preload.cjs');
export const WINDOW_ICON_PATH = iconPath(HERE, WINDOW_ICON);
export const NOTIFICATION_ICON_PATH = iconPath(HERE, NOTIFICATION_ICON);

export interface BackendContext {
  /** Per-user data directory (history, key store). */
  dataDir: string;
  /** OS-backed key wrapper, or null when only obfuscation is available: then `passphrase` is set (never a key file). */
  keyWrapper: KeyWrapper | null;
  passphrase?: string;
  /** app.isPackaged: a packaged build offers no local lab (account.useLocalLab answers FEATURE_UNAVAILABLE). */
  packaged: boolean;
  /** Picks made in the shell (dialog, drops): pass it to createUe as `pickedFiles`. */
  picked: PickedFiles;
  log: (line: string) => void;
}

/** Message ids already notified (an upsert of the same incoming message must not notify twice). */
const MAX_NOTIFIED_IDS = 1000;

const MIME: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

export function runShell(makeBackend: (ctx: BackendContext) => Promise<UeBackend>): void {
  const log = (l: string) => console.log(`[parley] ${l}`);
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  app.enableSandbox();
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: false, corsEnabled: false } },
  ]);
  for (const s of PROTOCOL_SCHEMES) app.setAsDefaultProtocolClient(s);

  let win: BrowserWindow | null = null;
  /** Files the user picked in this shell: files.send reads nothing else (main/features/picked-files.ts). */
  const picked = new PickedFiles();
  let backend: UeBackend | null = null;
  let pendingUrl: string | null = protocolUrlFromArgv(process.argv);
  let updates: Updates | null = null;

  // Hardening for every web contents ever created.
  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-navigate', (e) => e.preventDefault());
    contents.on('will-redirect', (e) => e.preventDefault());
    contents.on('will-attach-webview', (e) => e.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });

  const send = (e: UeEvent) => {
    const checked = checkEvent(e, { log });
    if (checked && win && !win.isDestroyed()) win.webContents.send(EVENT_CHANNEL, checked.event, checked.payload);
  };
  const focus = () => {
    if (!win) return;
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  };
  const openProtocolUrl = async (url: string) => {
    const peer = peerFromProtocolUrl(url);
    if (!peer || !backend) {
      pendingUrl = backend ? null : url;
      return;
    }
    try {
      // A link anyone can put in a web page or a mail: ask before it opens (or creates) a conversation (issue 12).
      const opts = {
        type: 'question' as const,
        buttons: ['Open conversation', 'Cancel'],
        defaultId: 1,
        cancelId: 1,
        message: 'Open a conversation from this link?',
        detail: `Address: ${plainText(peer, 300)}\nNothing is sent until you write a message.`,
      };
      const r = win ? await dialog.showMessageBox(win, opts) : await dialog.showMessageBox(opts);
      if (r.response !== 0) return;
      const c = await backend.conversationsOpen({ peer });
      focus();
      send({ event: 'conversation.focus', payload: { conversationId: c.id } });
    } catch (err) {
      log(`could not open ${peer}: ${(err as Error).message}`);
    }
  };
  app.on('second-instance', (_e, argv) => {
    focus();
    const url = protocolUrlFromArgv(argv);
    if (url) void openProtocolUrl(url);
  });
  app.on('open-url', (e, url) => {
    e.preventDefault();
    void openProtocolUrl(url);
  });

  const shellHandlers: ShellHandlers = {
    // the only ways a path the renderer names becomes readable: picked here, or dropped (PICKED_CHANNEL below)
    'files.pick': async () => {
      const opts = { title: 'Send a file', properties: ['openFile' as const] };
      const r = win ? await dialog.showOpenDialog(win, opts) : await dialog.showOpenDialog(opts);
      const path = r.canceled ? undefined : r.filePaths[0];
      if (!path) return { path: null };
      picked.record(path);
      return { path };
    },
    'links.open': async ({ url }) => {
      const c = classifyLink(url);
      if (!c.ok) return { decision: 'refused', url: url.slice(0, 2048), reason: c.reason };
      const opts = {
        type: 'question' as const,
        buttons: ['Open', 'Cancel'],
        defaultId: 1,
        cancelId: 1,
        message: 'Open this link in your browser?',
        detail: c.url,
      };
      const r = win ? await dialog.showMessageBox(win, opts) : await dialog.showMessageBox(opts);
      if (r.response !== 0) return { decision: 'cancelled', url: c.url };
      await shell.openExternal(c.url);
      return { decision: 'opened', url: c.url };
    },
    'update.get': async () => updatesOrFail().view(),
    'update.check': async () => updatesOrFail().check(),
    'update.install': async () => {
      await updatesOrFail().install();
      return null;
    },
  };
  const updatesOrFail = () => {
    if (!updates) throw new ParleyError('UPDATE_NOT_READY', 'the updater has not started yet');
    return updates;
  };

  const notified = new Set<string>();
  const notify = (e: UeEvent) => {
    if (e.event !== 'message.upserted' || e.payload.direction !== 'in' || e.payload.state !== 'received') return;
    if (!Notification.isSupported() || (win && win.isFocused()) || notified.has(e.payload.id)) return;
    notified.add(e.payload.id);
    if (notified.size > MAX_NOTIFIED_IDS) notified.delete(notified.values().next().value!);
    const n = new Notification({
      title: notificationText(e.payload.sender, 80),
      body: notificationText(e.payload.text),
      icon: NOTIFICATION_ICON_PATH,
      silent: false,
    });
    const conversationId = e.payload.conversationId;
    n.on('click', () => {
      focus();
      send({ event: 'conversation.focus', payload: { conversationId } });
    });
    n.show();
  };

  const createWindow = () => {
    win = new BrowserWindow({
      width: 1100,
      height: 760,
      show: false,
      title: 'Parley',
      icon: WINDOW_ICON_PATH,
      webPreferences: {
        preload: PRELOAD,
        sandbox: true,
        contextIsolation: true,
        nodeIntegration: false,
        nodeIntegrationInWorker: false,
        nodeIntegrationInSubFrames: false,
        webviewTag: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        experimentalFeatures: false,
        navigateOnDragDrop: false,
        spellcheck: false,
      },
    });
    win.once('ready-to-show', () => win?.show());
    win.on('closed', () => (win = null));
    void win.loadURL(APP_INDEX);
  };

  app
    .whenReady()
    .then(async () => {
      const ses = session.defaultSession;
      ses.setPermissionRequestHandler((_wc, _perm, cb) => cb(false));
      ses.setPermissionCheckHandler(() => false);
      ses.setDevicePermissionHandler(() => false);
      protocol.handle(APP_SCHEME, async (req) => {
        const u = new URL(req.url);
        const file = u.host === APP_HOST ? resolveStatic(RENDERER_DIR, u.pathname) : null;
        if (!file) return new Response('not found', { status: 404, headers: securityHeaders() });
        try {
          const body = await readFile(file);
          const ext = file.slice(file.lastIndexOf('.'));
          return new Response(body, {
            status: 200,
            headers: { ...securityHeaders(), 'Content-Type': MIME[ext] ?? 'application/octet-stream' },
          });
        } catch {
          return new Response('not found', { status: 404, headers: securityHeaders() });
        }
      });

      const keys = desktopKeyProtection(safeStorage, process.platform, process.env);
      const made = await makeBackend({ dataDir: app.getPath('userData'), ...keys, packaged: app.isPackaged, picked, log });
      backend = app.isPackaged ? withoutLab(made) : made;
      backend.subscribe((e) => {
        send(e);
        notify(e);
      });
      // a file dropped on the window: the preload asks webUtils for its path (a File the page made up has none)
      ipcMain.handle(PICKED_CHANNEL, (event: IpcMainInvokeEvent, path: unknown) => {
        if (!isTrustedSender(event.senderFrame) || typeof path !== 'string' || !path) return null;
        try {
          picked.record(path);
          return path;
        } catch (e) {
          log(`dropped file refused: ${(e as Error).message}`);
          return null;
        }
      });
      for (const channel of INVOKE_CHANNELS) {
        ipcMain.handle(channel, (event: IpcMainInvokeEvent, payload: unknown) => {
          if (!isTrustedSender(event.senderFrame)) {
            log(`refused IPC ${channel} from ${event.senderFrame?.url ?? 'unknown frame'}`);
            return { ok: false, error: { code: IPC_ERROR.forbidden, message: 'sender not allowed' } };
          }
          return dispatchInvoke(backend!, shellHandlers, channel, payload, { log });
        });
      }
      updates = startUpdates({
        settings: { url: UPDATE_URL, publicKey: UPDATE_PUBLIC_KEY, packaged: app.isPackaged, current: app.getVersion(), env: process.env },
        makeUpdater: async () => (await import('electron-updater')).autoUpdater,
        loadProvider: async () => (await import('./update-feed')).SignedFeedProvider,
        emit: (payload) => send({ event: 'update.changed', payload }),
        log,
      });
      createWindow();
      if (pendingUrl) void openProtocolUrl(pendingUrl);
      app.on('activate', () => {
        if (BrowserWindow.getAllWindows().length === 0) createWindow();
      });
    })
    .catch((err: unknown) => {
      // A registered error carries the text meant for the user (e.g. KEYSTORE_NO_PROTECTION: what to do about it).
      const { userText, code } = (err ?? {}) as { userText?: unknown; code?: unknown };
      const text = typeof userText === 'string' ? userText : err instanceof Error ? err.message : String(err);
      dialog.showErrorBox('Parley could not start', code === 'KEYSTORE_NO_PROTECTION' ? `${text}\n\n${NO_PROTECTION_HELP}` : text);
      app.exit(1);
    });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  let closing = false;
  app.on('before-quit', (e) => {
    if (closing || !backend) return;
    closing = true;
    updates?.stop();
    e.preventDefault();
    void backend.close().finally(() => app.quit());
  });
}

/** A packaged build has no lab, whatever the backend was built with: the lab channel is unavailable and says so. */
export function withoutLab(backend: UeBackend): UeBackend {
  const out: Record<string, unknown> = {};
  for (const m of [...Object.values(BACKEND_METHOD), 'subscribe', 'close'] as const) {
    const fn = backend[m] as unknown;
    if (typeof fn === 'function') out[m] = (...args: unknown[]) => (fn as (...a: unknown[]) => unknown).apply(backend, args);
  }
  out.accountUseLocalLab = () => Promise.reject(new IpcError(FEATURE_UNAVAILABLE, 'This build has no local lab: configure an account.'));
  out.accountCapabilities = async () => ({ ...(await backend.accountCapabilities({})), localLab: false });
  return out as unknown as UeBackend;
}
