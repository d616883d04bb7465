// A recording stand-in for the parts of the `electron` module app/shell.ts uses, so the shell's wiring can be tested
// under plain Node (the Electron binary cannot run here). Bundled in place of 'electron' by shell.test.ts.
import { EventEmitter } from 'node:events';

export const calls: { what: string; args: unknown[] }[] = [];
const rec = (what: string, ...args: unknown[]) => calls.push({ what, args });

class FakeApp extends EventEmitter {
  /** Test driver: app.isPackaged as the shell reads it (false: a development run, no updater, the lab channel exists). */
  isPackaged = false;
  readyResolve!: () => void;
  readonly ready = new Promise<void>((r) => (this.readyResolve = r));
  isReady = false;
  getVersion() {
    return '0.1.0';
  }
  requestSingleInstanceLock() {
    rec('requestSingleInstanceLock');
    return true;
  }
  enableSandbox() {
    rec('enableSandbox');
  }
  setAsDefaultProtocolClient(s: string) {
    rec('setAsDefaultProtocolClient', s);
    return true;
  }
  whenReady() {
    return this.ready;
  }
  getPath(name: string) {
    return `/tmp/fake-electron-${name}`;
  }
  quit() {
    rec('quit');
  }
  exit(code: number) {
    rec('exit', code);
  }
  /** Test driver: fire 'ready'. */
  fireReady() {
    this.isReady = true;
    this.readyResolve();
  }
}
export const app = new FakeApp();

export class FakeContents extends EventEmitter {
  readonly sent: unknown[][] = [];
  windowOpenHandler: ((d: unknown) => unknown) | null = null;
  readonly mainFrame = { url: 'app://parley/index.html', parent: null };
  send(...args: unknown[]) {
    this.sent.push(args);
    this.emit('test:sent', args);
  }
  setWindowOpenHandler(h: (d: unknown) => unknown) {
    this.windowOpenHandler = h;
  }
}

export class BrowserWindow extends EventEmitter {
  static all: BrowserWindow[] = [];
  static getAllWindows() {
    return BrowserWindow.all;
  }
  readonly webContents = new FakeContents();
  loaded: string | null = null;
  focused = false;
  constructor(readonly options: Record<string, unknown>) {
    super();
    BrowserWindow.all.push(this);
    app.emit('web-contents-created', {}, this.webContents);
  }
  async loadURL(url: string) {
    this.loaded = url;
  }
  isDestroyed() {
    return false;
  }
  isMinimized() {
    return false;
  }
  restore() {}
  show() {}
  focus() {
    this.focused = true;
  }
  isFocused() {
    return this.focused;
  }
}

export const ipcMain = {
  handlers: new Map<string, (event: unknown, payload: unknown) => unknown>(),
  handle(channel: string, fn: (event: unknown, payload: unknown) => unknown) {
    this.handlers.set(channel, fn);
  },
};

export const protocol = {
  privileged: [] as unknown[],
  handlers: new Map<string, (req: { url: string }) => Promise<Response>>(),
  registerSchemesAsPrivileged(s: unknown[]) {
    rec('registerSchemesAsPrivileged', app.isReady);
    this.privileged.push(...s);
  },
  handle(scheme: string, fn: (req: { url: string }) => Promise<Response>) {
    this.handlers.set(scheme, fn);
  },
};

export const dialog = {
  nextResponse: 1,
  async showMessageBox(...args: unknown[]) {
    rec('showMessageBox', ...args);
    return { response: this.nextResponse };
  },
  /** Test driver: what the next open dialog answers. */
  nextOpen: { canceled: true, filePaths: [] as string[] } as { canceled: boolean; filePaths: string[] },
  async showOpenDialog(...args: unknown[]) {
    rec('showOpenDialog', ...args);
    return this.nextOpen;
  },
  showErrorBox(title: string, body: string) {
    rec('showErrorBox', title, body);
  },
};

export const shell = {
  async openExternal(url: string) {
    rec('openExternal', url);
  },
};

export class Notification extends EventEmitter {
  static shown: Notification[] = [];
  static isSupported() {
    return true;
  }
  constructor(readonly options: { title: string; body: string; icon?: string }) {
    super();
  }
  show() {
    Notification.shown.push(this);
  }
}

export const safeStorage = {
  /** Test driver: the Linux backend safeStorage reports ('basic_text' = no keyring). */
  backendName: 'basic_text',
  isEncryptionAvailable: () => true,
  getSelectedStorageBackend: () => safeStorage.backendName,
  encryptString: (s: string) => Buffer.from(s),
  decryptString: (b: Buffer) => b.toString(),
};

export const session = {
  defaultSession: {
    request: null as null | ((wc: unknown, perm: string, cb: (ok: boolean) => void) => void),
    check: null as null | ((...a: unknown[]) => boolean),
    device: null as null | ((...a: unknown[]) => boolean),
    setPermissionRequestHandler(h: (wc: unknown, perm: string, cb: (ok: boolean) => void) => void) {
      this.request = h;
    },
    setPermissionCheckHandler(h: (...a: unknown[]) => boolean) {
      this.check = h;
    },
    setDevicePermissionHandler(h: (...a: unknown[]) => boolean) {
      this.device = h;
    },
  },
};

// ---- renderer-side (preload) ----

export const webUtils = {
  /** A dropped File carries its path in the fake (real Electron: only files from the OS have one). */
  getPathForFile(f: { path?: string }) {
    return f?.path ?? '';
  },
};

export const contextBridge = {
  exposed: new Map<string, unknown>(),
  exposeInMainWorld(key: string, api: unknown) {
    this.exposed.set(key, api);
  },
};

export const ipcRenderer = Object.assign(new EventEmitter(), {
  invoked: [] as { channel: string; payload: unknown }[],
  async invoke(channel: string, payload: unknown) {
    this.invoked.push({ channel, payload });
    return { ok: true, result: `echo:${channel}` };
  },
});
