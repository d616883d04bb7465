// History store benchmark: 100,000-message conversation vs an empty one, same run, as ratios (see docs/store.md).
// Run: npx tsx bench/history.ts [messages]   (each measurement runs in a fresh child process for clean memory figures)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HistoryStore } from '../main/store/history';

const ACCOUNT = 'sip:alice@ims.test';
const BIG = 'sip:bob@ims.test';
const EMPTY = 'sip:carol@ims.test';
const KEY = new Uint8Array(32).fill(7);
const BATCH = 1000;
const PAGE = 50;
const RARE_EVERY = 1000;

// Deterministic text: xorshift PRNG over a synthetic vocabulary with a skewed (Zipf-like) word choice.
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}
const SYL = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'to', 'vi', 'po', 'de', 'an', 'el', 'or', 'is', 'um', 'ba'];
function vocabulary(n: number, r: () => number): string[] {
  const out: string[] = [];
  while (out.length < n) {
    let w = '';
    for (let k = 1 + Math.floor(r() * 4); k > 0; k--) w += SYL[Math.floor(r() * SYL.length)];
    out.push(w);
  }
  return out;
}
function sentence(r: () => number, vocab: string[], i: number): string {
  const n = 5 + Math.floor(r() * 16);
  const ws: string[] = [];
  for (let k = 0; k < n; k++) ws.push(vocab[Math.floor(vocab.length * r() ** 3)]);
  if (i % 2 === 0) ws.push('common');
  if (i % RARE_EVERY === 0) ws.push('zebracorn');
  return ws.join(' ');
}

function ms(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** Median wall time of `n` runs, in ms. */
function median(n: number, fn: () => unknown): number {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    fn();
    xs.push(ms(t));
  }
  return xs.sort((a, b) => a - b)[Math.floor(n / 2)];
}

async function build(path: string, count: number): Promise<Record<string, number>> {
  const store = await HistoryStore.open(path, KEY);
  const big = store.openConversation(ACCOUNT, { kind: 'direct', peer: BIG });
  store.openConversation(ACCOUNT, { kind: 'direct', peer: EMPTY });
  const r = rng(42);
  const vocab = vocabulary(5000, r);
  const base = Date.now() - count * 1000;
  const add = (i: number) =>
    store.addMessage({
      conversationId: big.id,
      imdnMessageId: `m${i}`,
      direction: i % 3 === 0 ? 'out' : 'in',
      senderAor: i % 3 === 0 ? ACCOUNT : BIG,
      mode: 'page',
      contentType: 'text/plain',
      body: sentence(r, vocab, i),
      createdAt: base + Math.floor(i / 2) * 1000, // pairs share a timestamp
      state: i % 3 === 0 ? 'delivered' : 'displayed',
    });
  // Single-row transactions (one commit per message, as live traffic arrives) on a small sample.
  const single = Math.min(2000, count);
  let t0 = process.hrtime.bigint();
  for (let i = 0; i < single; i++) add(i);
  const singleMs = ms(t0);
  t0 = process.hrtime.bigint();
  for (let i = single; i < count; i += BATCH)
    store.batch(() => {
      for (let j = i; j < Math.min(count, i + BATCH); j++) add(j);
    });
  const batchMs = ms(t0);
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  store.close();
  return {
    insertSinglePerSec: single / (singleMs / 1000),
    insertBatchPerSec: (count - single) / (batchMs / 1000),
    dbBytes: statSync(path).size,
  };
}

async function measure(path: string, peer: string): Promise<Record<string, number>> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage();
  let t0 = process.hrtime.bigint();
  const store = await HistoryStore.open(path, KEY);
  const openMs = ms(t0);
  t0 = process.hrtime.bigint();
  const conv = store.listConversations(ACCOUNT, { search: peer.slice(4, 9) })[0];
  const listMs = ms(t0);
  t0 = process.hrtime.bigint();
  let page = store.listMessages(conv.id, { limit: PAGE });
  const firstPageMs = ms(t0);
  const firstPageWarmMs = median(20, () => store.listMessages(conv.id, { limit: PAGE }));
  t0 = process.hrtime.bigint();
  let pages = 1;
  let messages = page.messages.length;
  while (page.next) {
    page = store.listMessages(conv.id, { before: page.next, limit: PAGE });
    pages++;
    messages += page.messages.length;
  }
  const allPagesMs = ms(t0);
  const after = process.memoryUsage();
  const search = (q: string) => {
    const run = () => store.search(ACCOUNT, q, { limit: 50, conversationId: conv.id });
    return [median(5, run), run().hits.length] as const;
  };
  search('warmup');
  const [rareMs, rareHits] = search('zebracorn');
  const [prefixMs, prefixHits] = search('zebra');
  const [commonMs, commonHits] = search('common');
  const [missMs] = search('qqqqqqq');
  const end = process.memoryUsage();
  store.close();
  return {
    openMs,
    listMs,
    firstPageMs,
    firstPageWarmMs,
    pages,
    messages,
    allPagesMs,
    rareMs,
    rareHits,
    prefixMs,
    prefixHits,
    commonMs,
    commonHits,
    missMs,
    rssMB: end.rss / 2 ** 20,
    rssGrowthMB: (after.rss - before.rss) / 2 ** 20,
    heapUsedMB: end.heapUsed / 2 ** 20,
  };
}

function child(args: string[]): Record<string, number> {
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`child ${args[0]} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

async function main(): Promise<void> {
  const [mode, path, arg] = process.argv.slice(2);
  if (mode === '--build') return void console.log(JSON.stringify(await build(path, Number(arg))));
  if (mode === '--measure') return void console.log(JSON.stringify(await measure(path, arg)));
  const count = Number(mode ?? 100_000);
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-'));
  try {
    const db = join(dir, 'history.db');
    console.log(`building a conversation with ${count} messages ...`);
    const b = child(['--build', db, String(count)]);
    console.log(
      `insert: ${b.insertSinglePerSec.toFixed(0)} msgs/s one transaction each, ${b.insertBatchPerSec.toFixed(0)} msgs/s in batches of ${BATCH}; file ${(b.dbBytes / 2 ** 20).toFixed(1)} MiB (${(b.dbBytes / count).toFixed(0)} B/msg)`,
    );
    const empty = child(['--measure', db, EMPTY]);
    const big = child(['--measure', db, BIG]);
    const rows: [string, string, number, number][] = [
      ['open store (key check, schema)', 'ms', empty.openMs, big.openMs],
      ['conversation list with previews', 'ms', empty.listMs, big.listMs],
      ['first page of 50 newest (cold process)', 'ms', empty.firstPageMs, big.firstPageMs],
      ['first page of 50 newest (warm, median of 20)', 'ms', empty.firstPageWarmMs, big.firstPageWarmMs],
      [`page to the top (${big.pages} pages)`, 'ms', empty.allPagesMs, big.allPagesMs],
      [`search rare word (${big.rareHits} hits; all searches median of 5)`, 'ms', empty.rareMs, big.rareMs],
      [`search prefix 'zebra' (${big.prefixHits} hits)`, 'ms', empty.prefixMs, big.prefixMs],
      [`search common word (${big.commonHits} hits, limit 50)`, 'ms', empty.commonMs, big.commonMs],
      ['search miss', 'ms', empty.missMs, big.missMs],
      ['RSS after all', 'MiB', empty.rssMB, big.rssMB],
      ['RSS growth while paging', 'MiB', empty.rssGrowthMB, big.rssGrowthMB],
      ['JS heap used', 'MiB', empty.heapUsedMB, big.heapUsedMB],
    ];
    console.log(`\n${'measure'.padEnd(56)} ${'empty'.padStart(10)} ${`${count} msgs`.padStart(12)} ${'ratio'.padStart(9)}`);
    for (const [name, unit, e, g] of rows) {
      console.log(
        `${`${name} [${unit}]`.padEnd(56)} ${e.toFixed(2).padStart(10)} ${g.toFixed(2).padStart(12)} ${(e >= 0.05 ? `${(g / e).toFixed(1)}x` : 'n/a').padStart(9)}`,
      );
    }
    console.log('(ratio n/a: baseline under 0.05 ms, i.e. a single empty page or nothing to search)');
    console.log(`\npaging: ${(big.messages / (big.allPagesMs / 1000)).toFixed(0)} msgs/s decrypted (${big.messages} messages)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
