// End-to-end harness: builds the renderer once, starts web hosts over any UeBackend (real UEs on a lab, or an in-test
// backend), drives Debian's Chromium through playwright-core with a fresh profile, waits on DOM readiness (never sleeps),
// and saves screenshots to test-results/.
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { UeBackend } from '../app/ipc/contract';
import { startLab, type Lab, type LabOptions } from '../network/lab';
import { startWebHost, type WebHost } from '../main/hosts/web/server';
import { createUe } from '../main/ue/ue';
import { insecureTestParams } from '../main/security/key-wrapper';
import { PickedFiles } from '../main/features/picked-files';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const RESULTS_DIR = join(ROOT, 'test-results');
export const CHROMIUM = process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium';
/** Flags that work for Debian's Chromium here (see the lab notes): no sandbox (container), no GPU, no background network. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const READY_TIMEOUT_MS = 20_000;

let built: Promise<string> | null = null;

/** Builds the renderer into a temp dir once per test process; resolves to the directory. */
export function buildRendererOnce(): Promise<string> {
  built ??= (async () => {
    const out = await mkdtemp(join(tmpdir(), 'parley-renderer-'));
    await promisify(execFile)(process.execPath, [join(ROOT, 'scripts/build-renderer.mjs'), '--outdir', out], { cwd: ROOT });
    return out;
  })();
  return built;
}

export interface Browser {
  context: BrowserContext;
  userDataDir: string;
  close(): Promise<void>;
}

/** Chromium with a fresh user-data-dir, headless. */
export async function launchBrowser(): Promise<Browser> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'parley-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1100, height: 760 },
    colorScheme: 'light',
    timeout: READY_TIMEOUT_MS,
  });
  return {
    context,
    userDataDir,
    close: async () => {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

export interface AppPage {
  page: Page;
  /** Console errors and CSP violations seen so far (the page must not produce any). */
  problems: string[];
  cspViolations(): Promise<string[]>;
}

/** Opens the host's URL and waits until the app finished its first load (`.app[data-ready=true]`). */
export async function openApp(context: BrowserContext, url: string): Promise<AppPage> {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await page.goto(url);
  await page.waitForSelector('.app[data-ready="true"]', { timeout: READY_TIMEOUT_MS });
  return {
    page,
    problems,
    cspViolations: () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp),
  };
}

/** Controls without an accessible name (aria-label, aria-labelledby, <label>, or text content), as short descriptions. */
export function unnamedControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const controls = document.querySelectorAll<HTMLElement>('button, input, select, textarea, a[href], [role="button"], [tabindex]');
    for (const el of controls) {
      if (el.closest('[aria-hidden="true"]')) continue;
      const by = el.getAttribute('aria-labelledby');
      const labelled = by
        ? by
            .split(/\s+/)
            .map((id) => document.getElementById(id)?.textContent ?? '')
            .join(' ')
        : '';
      const labels = 'labels' in el ? [...((el as HTMLInputElement).labels ?? [])].map((l) => l.textContent ?? '').join(' ') : '';
      const name = (el.getAttribute('aria-label') ?? '') + labelled + labels + (el.textContent ?? '') + (el.getAttribute('title') ?? '');
      if (!name.trim()) out.push(el.outerHTML.slice(0, 120));
    }
    return out;
  });
}

/** The README's screenshots (docs/screenshots/<name>.png), taken by the lab specs so they show the app as it is.
 *  Every run writes test-results/readme-<name>.png; `npm run screenshots` (PARLEY_README_SCREENSHOTS=1) also writes them
 *  into docs/screenshots/ to be committed (not on every test run: they would change with every clock reading). */
export const README_SHOTS_DIR = join(ROOT, 'docs', 'screenshots');
export const README_SHOTS = ['chat', 'security-panel', 'group-chat', 'file-transfer'] as const;

export async function readmeScreenshot(page: Page, name: (typeof README_SHOTS)[number]): Promise<string> {
  // A picture meant for reading: no focus ring or hover from the last click, an open dialog shown from its top.
  await page.evaluate(`(() => {
    if (document.activeElement instanceof HTMLElement) document.activeElement.blur();
    for (const d of document.querySelectorAll('[role="dialog"]')) d.scrollTop = 0;
  })()`);
  await page.mouse.move(0, 0);
  const file = await screenshot(page, `readme-${name}`, { fullPage: false });
  if (process.env.PARLEY_README_SCREENSHOTS === '1') {
    await mkdir(README_SHOTS_DIR, { recursive: true });
    await copyFile(file, join(README_SHOTS_DIR, `${name}.png`));
  }
  return file;
}

export async function screenshot(page: Page, name: string, opts: { fullPage?: boolean } = {}): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.png`);
  await page.screenshot({ path: file, fullPage: opts.fullPage ?? true });
  return file;
}

export interface Peer {
  name: string;
  backend: UeBackend;
  host: WebHost;
}

export async function startPeer(name: string, backend: UeBackend, log?: (l: string) => void): Promise<Peer> {
  const rootDir = await buildRendererOnce();
  const host = await startWebHost({ backend, rootDir, log: log && ((l) => log(`[${name}] ${l}`)) });
  return { name, backend, host };
}

export interface LabSession {
  lab: Lab;
  peers: Record<string, Peer>;
  browser: Browser;
  stop(): Promise<void>;
}

/** A lab plus one web host per user, each over a backend built by `makeBackend` (the real UE: main/ue/ue.ts). */
export async function startLabSession(opts: {
  users: string[];
  makeBackend: (lab: Lab, user: string) => Promise<UeBackend>;
  lab?: LabOptions;
  /** Another way to start the network (e.g. the lab plus the app server for conferences); default startLab(opts.lab). */
  makeLab?: () => Promise<{ lab: Lab; stop(): Promise<void> }>;
  log?: (l: string) => void;
}): Promise<LabSession> {
  const net = opts.makeLab
    ? await opts.makeLab()
    : await startLab({ ...opts.lab, log: opts.log }).then((l) => ({ lab: l, stop: () => l.stop() }));
  const lab = net.lab;
  const peers: Record<string, Peer> = {};
  let browser: Browser | null = null;
  const stop = async () => {
    await browser?.close();
    for (const p of Object.values(peers)) {
      await p.host.close();
      await p.backend.close();
    }
    await net.stop();
  };
  try {
    for (const u of opts.users) peers[u] = await startPeer(u, await opts.makeBackend(lab, u), opts.log);
    browser = await launchBrowser();
    return { lab, peers, browser, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

export async function cleanupRendererBuild(): Promise<void> {
  if (!built) return;
  const dir = await built;
  built = null;
  await rm(dir, { recursive: true, force: true });
}

/** `makeBackend` for startLabSession: a real UE per user (profile under `root`, fast Argon2 for tests), signed in to the
 *  lab over TLS with the lab's CA. Resolves once the account is configured (registration result arrives as events). */
/** `sendFrom`: a folder whose files the page may send by path (the web host's --send-from; issue 12). */
export function realUes(root: string, opts: { signIn?: boolean; sendFrom?: string } = {}): (lab: Lab, user: string) => Promise<UeBackend> {
  return async (lab, user) => {
    const pickedFiles = new PickedFiles();
    if (opts.sendFrom) pickedFiles.allowUnder(opts.sendFrom);
    const ue = await createUe({
      profileDir: join(root, user),
      pickedFiles,
      passphrase: `${user} e2e passphrase`,
      argon2: insecureTestParams(),
      env: {},
    });
    if (opts.signIn !== false) {
      const acc = lab.accounts.find((a) => a.user === user);
      await ue.accountConfigure({
        aor: lab.aor(user),
        password: acc?.password ?? `${user}-secret`,
        proxy: lab.proxy.tls,
        caFile: lab.caFile,
      });
    }
    return ue;
  };
}

/** Replaces a peer's backend (e.g. a fresh profile): closes its web host and backend, then starts a new host over the
 *  backend `makeBackend` builds. Pages on the old host must be reopened on `peers[name].host.url`. */
export async function replacePeer(
  session: LabSession,
  name: string,
  makeBackend: () => Promise<UeBackend>,
  log?: (l: string) => void,
): Promise<Peer> {
  const old = session.peers[name];
  if (old) {
    delete session.peers[name];
    await old.host.close();
    await old.backend.close();
  }
  const peer = await startPeer(name, await makeBackend(), log);
  session.peers[name] = peer;
  return peer;
}

/** Records every delivery state each outgoing bubble shows (by its text), in the order they render: a MutationObserver,
 *  so transient states (sending, sent) are caught even when they last a few milliseconds. Read with `statesSeen`. */
export async function recordStates(page: Page): Promise<void> {
  // A string, not a function: tsx's keepNames would wrap named helpers in __name(), which the page does not have.
  await page.evaluate(`(() => {
    if (window.__states) return;
    const seen = {};
    window.__states = seen;
    const scan = () => {
      for (const b of document.querySelectorAll('.bubble.out')) {
        const text = b.querySelector('.bubble-text')?.textContent ?? '';
        const st = b.querySelector('.state')?.getAttribute('data-state');
        if (!st) continue;
        const list = (seen[text] ??= []);
        if (list[list.length - 1] !== st) list.push(st);
      }
    };
    new MutationObserver(scan).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
    scan();
  })()`);
}

export function statesSeen(page: Page, text: string): Promise<string[]> {
  return page.evaluate((t) => (window as unknown as { __states?: Record<string, string[]> }).__states?.[t] ?? [], text);
}
