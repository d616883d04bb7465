// Application updates in the Electron shell: electron-updater over the signed generic feed (app/update-feed.ts), turned
// into one UpdateView the renderer shows ("Parley 0.2.0 is ready: Restart to update"). Off in development (an unpackaged
// app), with PARLEY_UPDATES=off, and in a build without a feed URL or update key (never unsigned). Checks shortly after
// start and every few hours; downloads on its own; installs on `update.install` or when the app quits.
import type { AppUpdater, ProgressInfo, UpdateInfo } from 'electron-updater';
import type { UpdateView } from './ipc/contract';
import { ParleyError, isParleyError } from '../main/base/errors';
import type { ErrorCode } from '../main/base/error-codes';
import type { SignedFeedOptions } from './update-feed';

export const FIRST_CHECK_DELAY_MS = 10_000;
export const CHECK_INTERVAL_MS = 4 * 60 * 60 * 1000;
const MAX_REASON_CHARS = 300;

/** Where the feed is and who signs it: built into the packaged app by app/build.mjs from PARLEY_UPDATE_URL and
 *  PARLEY_UPDATE_PUBLIC_KEY (see docs/app.md "Updates"). */
export interface UpdateSettings {
  url?: string;
  publicKey?: string;
  /** app.isPackaged: a development run never checks. */
  packaged: boolean;
  /** The running version (app.getVersion()). */
  current: string;
  env?: Record<string, string | undefined>;
}

/** Why updates are off for these settings, or null when they are on. */
export function updatesOffReason(s: UpdateSettings): string | null {
  const off = s.env?.PARLEY_UPDATES;
  if (off === 'off' || off === '0') return 'Updates are turned off (PARLEY_UPDATES).';
  if (!s.packaged) return 'Development build: updates are off.';
  if (!s.url || !s.publicKey) return 'This build has no update feed.';
  return null;
}

export interface UpdaterOptions {
  settings: UpdateSettings;
  /** Builds the updater (electron-updater's autoUpdater in the shell; a test updater in tests). Called only when on. */
  makeUpdater: () => Promise<AppUpdater>;
  /** The provider class for setFeedURL (app/update-feed.ts SignedFeedProvider), loaded only when on. */
  loadProvider: () => Promise<new (...args: never[]) => unknown>;
  emit: (v: UpdateView) => void;
  log: (line: string) => void;
  firstCheckDelayMs?: number;
  intervalMs?: number;
}

export interface Updates {
  view(): UpdateView;
  /** Checks now; resolves with the view after the check (the download, if any, goes on and reports by events). */
  check(): Promise<UpdateView>;
  /** Quits and installs the downloaded update; UPDATE_NOT_READY when none is ready. */
  install(): Promise<void>;
  stop(): void;
}

function failureOf(e: unknown, fallback: ErrorCode): { code: string; reason: string } {
  const code = isParleyError(e) ? e.code : fallback;
  const message = e instanceof Error ? e.message : String(e);
  return { code, reason: message.split('\n')[0]!.slice(0, MAX_REASON_CHARS) };
}

export function startUpdates(o: UpdaterOptions): Updates {
  const current = o.settings.current;
  const offReason = updatesOffReason(o.settings);
  let view: UpdateView = offReason ? { state: 'disabled', current, reason: offReason } : { state: 'idle', current };
  const set = (v: Omit<UpdateView, 'current'>) => {
    view = { ...v, current };
    o.emit(view);
  };
  if (offReason) {
    o.log(`updates: ${offReason}`);
    return {
      view: () => view,
      check: async () => view,
      install: async () => {
        throw new ParleyError('UPDATE_NOT_READY', `updates are off: ${offReason}`);
      },
      stop: () => {},
    };
  }

  let updater: Promise<AppUpdater> | null = null;
  const get = () =>
    (updater ??= (async () => {
      const u = await o.makeUpdater();
      const Provider = await o.loadProvider();
      const feed: SignedFeedOptions = { url: o.settings.url!, publicKey: o.settings.publicKey! };
      u.setFeedURL({ provider: 'custom', updateProvider: Provider as never, ...feed });
      u.autoDownload = true;
      u.autoInstallOnAppQuit = true;
      u.allowDowngrade = false;
      u.logger = { info: () => {}, warn: (m: unknown) => o.log(`updates: ${String(m)}`), error: () => {}, debug: () => {} };
      u.on('checking-for-update', () => {
        if (view.state !== 'downloading' && view.state !== 'ready') set({ state: 'checking' });
      });
      u.on('update-not-available', () => set({ state: 'idle', checkedAt: Date.now() }));
      u.on('update-available', (info: UpdateInfo) => set({ state: 'downloading', version: info.version, percent: 0 }));
      u.on('download-progress', (p: ProgressInfo) => {
        const percent = Math.floor(Math.max(0, Math.min(100, p.percent)));
        if (view.state === 'downloading' && percent !== view.percent) set({ ...view, percent });
      });
      u.on('update-downloaded', (info: UpdateInfo) => {
        o.log(`updates: ${info.version} downloaded and verified; installs on restart`);
        set({ state: 'ready', version: info.version, checkedAt: Date.now() });
      });
      u.on('error', (e: unknown) => fail(e));
      return u;
    })());

  const fail = (e: unknown) => {
    const failure = failureOf(e, view.state === 'downloading' ? 'UPDATE_DOWNLOAD_FAILED' : 'UPDATE_CHECK_FAILED');
    o.log(`updates: ${failure.code}: ${failure.reason}`);
    set({ state: 'error', failure, checkedAt: Date.now(), ...(view.version ? { version: view.version } : {}) });
  };

  const check = async (): Promise<UpdateView> => {
    if (view.state === 'ready' || view.state === 'downloading') return view;
    try {
      const u = await get();
      const r = await u.checkForUpdates();
      // The download goes on; its failure is reported by the 'error' event (this keeps it from being unhandled).
      r?.downloadPromise?.catch(() => {});
    } catch (e) {
      if (view.state !== 'error') fail(e);
    }
    return view;
  };

  const first = setTimeout(() => void check(), o.firstCheckDelayMs ?? FIRST_CHECK_DELAY_MS);
  const every = setInterval(() => void check(), o.intervalMs ?? CHECK_INTERVAL_MS);
  first.unref?.();
  every.unref?.();

  return {
    view: () => view,
    check,
    install: async () => {
      if (view.state !== 'ready') throw new ParleyError('UPDATE_NOT_READY', `no update is ready (state ${view.state})`);
      (await get()).quitAndInstall(false, true);
    },
    stop: () => {
      clearTimeout(first);
      clearInterval(every);
    },
  };
}
