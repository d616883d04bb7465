// UI history benchmark: a conversation with 100,000 stored messages vs an empty one, same run, as ratios.
// The real UE (main/ue/ue.ts) signs in to a private lab and serves the real renderer through the web host in a
// child process (so its RSS is measured alone); Debian's Chromium opens the conversation and pages to the top.
// Run: npx tsx bench/ui-history.ts [messages=100000]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { buildRendererOnce, cleanupRendererBuild, launchBrowser, openApp } from '../e2e/harness';
import { startLab } from '../network/lab';
import { startWebHost } from '../main/hosts/web/server';
import { createUe } from '../main/ue/ue';
import { accountDir, chooseKeyWrapper, openAccountKeyStore, HISTORY_FILE } from '../main/ue/profile';
import { HistoryStore } from '../main/store';
import { insecureTestParams } from '../main/security/key-wrapper';

const PASSPHRASE = 'ui-history bench passphrase';
const FIRST_TEXT = 'FIRST-MESSAGE-OF-THE-CONVERSATION';
const BATCH = 2000;
const STEP_TIMEOUT_MS = 15_000;
const SCROLL_TIMEOUT_MS = 900_000;

const ueOptions = (profileDir: string) => ({ profileDir, passphrase: PASSPHRASE, argon2: insecureTestParams(), env: {} });

/** Child mode: the UE (signs the saved account in again) behind a web host; prints {url} and serves until stdin closes. */
async function hostChild(profileDir: string, rootDir: string): Promise<void> {
  const ue = await createUe(ueOptions(profileDir));
  await ue.ready;
  const host = await startWebHost({ backend: ue, rootDir });
  console.log(JSON.stringify({ url: host.url }));
  process.stdin.resume();
  process.stdin.on(
    'end',
    () =>
      void host
        .close()
        .then(() => ue.close())
        .then(() => process.exit(0)),
  );
}

interface Host {
  url: string;
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

async function spawnHost(profileDir: string, rootDir: string): Promise<Host> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--host', profileDir, rootDir], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((res, rej) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', res);
    child.once('exit', (c) => rej(new Error(`host exited with ${c}`)));
  });
  const { url } = JSON.parse(line) as { url: string };
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    url,
    pid: child.pid!,
    child,
    stop: async () => {
      child.stdin!.end();
      await exited;
    },
  };
}

async function rssMB(pid: number): Promise<{ rss: number; hwm: number }> {
  const s = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? NaN) / 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** Fills alice's history (sealed with the key store's 'history' data key, as the UE does) with `count` messages to bob. */
async function fill(profileDir: string, aor: string, count: number): Promise<number> {
  const dir = accountDir(profileDir, aor);
  const { wrapper } = await chooseKeyWrapper(profileDir, { passphrase: PASSPHRASE, argon2: insecureTestParams(), env: {} });
  const ks = await openAccountKeyStore(dir, aor, wrapper, Date.now());
  const store = await HistoryStore.open(join(dir, HISTORY_FILE), await ks.getDataKey('history'));
  const t0 = performance.now();
  const big = store.openConversation(aor, { kind: 'direct', peer: 'sip:bob@parley.test' });
  store.openConversation(aor, { kind: 'direct', peer: 'sip:carol@parley.test' });
  const base = Date.now() - count * 1000;
  for (let i = 0; i < count; i += BATCH) {
    store.batch(() => {
      for (let j = i; j < Math.min(count, i + BATCH); j++) {
        const out = j % 3 === 0;
        store.addMessage({
          conversationId: big.id,
          imdnMessageId: `bench-${j}`,
          direction: out ? 'out' : 'in',
          senderAor: out ? aor : 'sip:bob@parley.test',
          mode: j % 7 === 0 ? 'session' : 'page',
          contentType: 'text/plain',
          body: j === 0 ? FIRST_TEXT : `message ${j}: ${'lorem ipsum dolor sit amet '.repeat(1 + (j % 5))}`,
          createdAt: base + j * 1000,
          state: out ? 'displayed' : 'displayed',
        });
      }
    });
  }
  const ms = performance.now() - t0;
  store.close();
  await ks.close();
  return ms;
}

// In-page measurements, as strings (tsx's keepNames would add __name() to functions passed to page.evaluate).
const OPEN_SCRIPT = (title: string) => `(async () => {
  const row = [...document.querySelectorAll('.conv-list button.conv')].find((b) => b.querySelector('.conv-title')?.textContent === ${JSON.stringify(title)});
  const t0 = performance.now();
  row.click();
  for (;;) {
    const log = document.querySelector('.chat .vlist');
    if (log && (log.querySelector('.bubble') || /No messages yet/.test(log.textContent))) break;
    await new Promise((r) => requestAnimationFrame(r));
  }
  return performance.now() - t0;
})()`;

const TOP_SCRIPT = `(async () => {
  const log = document.querySelector('.chat .vlist');
  const done = () => log.textContent.includes(${JSON.stringify(FIRST_TEXT)}) || /No messages yet/.test(log.textContent);
  const t0 = performance.now();
  let steps = 0;
  while (!done()) {
    const h = log.scrollHeight;
    log.scrollTop = 0;
    log.dispatchEvent(new Event('scroll'));
    steps++;
    const s0 = performance.now();
    while (log.scrollHeight === h && !done()) {
      if (performance.now() - s0 > ${STEP_TIMEOUT_MS}) throw new Error('no older page after ' + steps + ' steps');
      await new Promise((r) => requestAnimationFrame(r));
    }
    if (performance.now() - t0 > ${SCROLL_TIMEOUT_MS}) throw new Error('scroll timeout');
  }
  return { ms: performance.now() - t0, steps, bubbles: log.querySelectorAll('.bubble').length, nodes: document.getElementsByTagName('*').length };
})()`;

interface Figures {
  openMs: number;
  topMs: number;
  pages: number;
  domBubbles: number;
  domNodes: number;
  heapOpenMB: number;
  heapTopMB: number;
  hostIdleMB: number;
  hostTopMB: number;
  hostPeakMB: number;
}

async function measure(profileDir: string, rootDir: string, title: string): Promise<Figures> {
  const host = await spawnHost(profileDir, rootDir);
  const browser = await launchBrowser();
  try {
    const app = await openApp(browser.context, host.url);
    await app.page.getByRole('status').filter({ hasText: 'Connected' }).waitFor({ timeout: 30_000 });
    await app.page.locator('.conv-list button.conv').filter({ hasText: title }).waitFor({ timeout: 30_000 });
    const cdp = await browser.context.newCDPSession(app.page);
    const heap = async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      return (await cdp.send('Runtime.getHeapUsage')).usedSize / 2 ** 20;
    };
    const hostIdle = await rssMB(host.pid);
    const openMs = (await app.page.evaluate(OPEN_SCRIPT(title))) as number;
    const heapOpenMB = await heap();
    const top = (await app.page.evaluate(TOP_SCRIPT)) as { ms: number; steps: number; bubbles: number; nodes: number };
    const heapTopMB = await heap();
    const hostTop = await rssMB(host.pid);
    return {
      openMs,
      topMs: top.ms,
      pages: top.steps,
      domBubbles: top.bubbles,
      domNodes: top.nodes,
      heapOpenMB,
      heapTopMB,
      hostIdleMB: hostIdle.rss,
      hostTopMB: hostTop.rss,
      hostPeakMB: hostTop.hwm,
    };
  } finally {
    await browser.close();
    await host.stop();
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--host') return hostChild(args[1]!, args[2]!);
  const count = Number(args[0] ?? 100_000);
  const root = await mkdtemp(join(tmpdir(), 'parley-ui-history-'));
  const lab = await startLab({ stateDir: join(root, 'lab') });
  try {
    const rootDir = await buildRendererOnce();
    const profileDir = join(root, 'alice');
    const aor = lab.aor('alice');
    const ue = await createUe(ueOptions(profileDir));
    await ue.accountConfigure({ aor, password: 'alice-secret', proxy: lab.proxy.tls, caFile: lab.caFile });
    await ue.close();
    const fillMs = await fill(profileDir, aor, count);
    console.log(`filled ${count} messages in ${(fillMs / 1000).toFixed(1)} s`);
    const empty = await measure(profileDir, rootDir, 'carol');
    const big = await measure(profileDir, rootDir, 'bob');
    const rows: [string, keyof Figures, number][] = [
      ['open conversation: click -> first bubbles (ms)', 'openMs', 1],
      ['scroll to the first message (ms)', 'topMs', 0],
      ['scroll-up steps (scrollTop = 0 until the log grows)', 'pages', 0],
      ['bubbles in the DOM at the top', 'domBubbles', 0],
      ['DOM elements at the top', 'domNodes', 1],
      ['JS heap after open (MB, after GC)', 'heapOpenMB', 1],
      ['JS heap at the top (MB, after GC)', 'heapTopMB', 1],
      ['web host RSS before open (MB)', 'hostIdleMB', 1],
      ['web host RSS at the top (MB)', 'hostTopMB', 1],
      ['web host peak RSS (MB)', 'hostPeakMB', 1],
    ];
    console.log(`\n${'figure'.padEnd(56)}${'empty'.padStart(10)}${`${count / 1000}k`.padStart(12)}${'ratio'.padStart(9)}`);
    for (const [label, k, withRatio] of rows) {
      const e = empty[k];
      const b = big[k];
      const ratio = withRatio && e > 0 ? `${(b / e).toFixed(2)}x` : '-';
      console.log(`${label.padEnd(56)}${e.toFixed(1).padStart(10)}${b.toFixed(1).padStart(12)}${ratio.padStart(9)}`);
    }
    console.log(`\nper scroll-up step (a page is 50 messages): ${(big.topMs / Math.max(1, big.pages)).toFixed(1)} ms`);
  } finally {
    await lab.stop();
    await cleanupRendererBuild();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
