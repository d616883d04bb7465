// The fuzz loop (docs/fuzzing.md): inputs from mutated fixtures and random bytes, fed to one target at a time, checking
// that only typed errors escape (ParleyError, or a schema result), that no input takes over 100 ms, that stream parsers
// give the same result whole and split, and that resident memory stays bounded. Sans-IO except the findings directory.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { ParleyError } from '../../main/base/errors';
import { splitAt } from '../../main/protocol/split.test-data';

/** A parser or decoder under test. `run` must return normally or throw a ParleyError; anything else is a finding. */
export interface FuzzTarget {
  name: string;
  /** Valid inputs the mutations start from. */
  fixtures: Uint8Array[];
  run(input: Uint8Array): unknown;
  /** Stream parsers: a summary of what feeding these pieces produced; whole and split feeding must agree. */
  stream?(pieces: Uint8Array[]): string;
  /** Longest input generated (default 64 KiB). */
  maxBytes?: number;
}

export interface Finding {
  kind: 'untyped' | 'slow' | 'split' | 'memory';
  detail: string;
  file?: string;
}

export interface TargetResult {
  target: string;
  inputs: number;
  seconds: number;
  /** Inputs the target accepted (no error). */
  accepted: number;
  /** Inputs refused with a typed error. */
  refused: number;
  /** Most CPU time one input took (ms). */
  slowestMs: number;
  rssStartMiB: number;
  rssMaxMiB: number;
  rssEndMiB: number;
  findings: Finding[];
}

export interface FuzzOptions {
  inputs: number;
  seed: number;
  maxMs: number;
  /** RSS growth after warm-up that counts as unbounded memory. */
  maxGrowthMiB: number;
  outDir: string;
  progress?: (line: string) => void;
}

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const rssMiB = () => process.memoryUsage().rss / 1048576;
/** CPU time of this process since `from` (user + system, all threads): unlike wall time, not inflated by the neighbours' load. */
const cpuMs = (from: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
};

/** xorshift32: deterministic per (seed, target). */
export function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

const INTERESTING_BYTES = [0x00, 0x09, 0x0a, 0x0d, 0x20, 0x22, 0x23, 0x24, 0x25, 0x2b, 0x2c, 0x2d, 0x2f, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e];
const INTERESTING_TEXT = [
  '0',
  '-1',
  '4294967296',
  '99999999999999999999',
  '1e999',
  'NaN',
  '\r\n',
  '\r\n\r\n',
  '\u202e',
  '\u{E0041}',
  '\uFEFF',
  '%00',
  '&amp;',
  '<![CDATA[',
  ']]>',
  '<!ENTITY x "y">',
  '&#0;',
  '*',
  '"',
  '=?utf-8?',
];
const enc = new TextEncoder();
const INTERESTING_BYTES_TEXT = INTERESTING_TEXT.map((x) => enc.encode(x));

/** b with `del` bytes at `at` replaced by `ins` (a fresh array; native copies). */
function splice(b: Uint8Array, at: number, del: number, ins: Uint8Array = EMPTY): Uint8Array {
  at = Math.min(at, b.length);
  del = Math.min(del, b.length - at);
  const out = new Uint8Array(b.length - del + ins.length);
  out.set(b.subarray(0, at));
  out.set(ins, at);
  out.set(b.subarray(at + del), at + ins.length);
  return out;
}
const EMPTY = new Uint8Array(0);

/** One input: a fixture with 1..8 stacked mutations (90 %), or random bytes (10 %). */
export function makeInput(t: FuzzTarget, rnd: () => number): Uint8Array {
  const max = t.maxBytes ?? 64 * 1024;
  const int = (n: number) => Math.floor(rnd() * n);
  if (rnd() < 0.1 || t.fixtures.length === 0) {
    const b = new Uint8Array(Math.min(max, int(rnd() < 0.9 ? 256 : 4096)));
    for (let i = 0; i < b.length; i++) b[i] = rnd() < 0.7 ? 0x20 + int(95) : int(256);
    return b;
  }
  let b: Uint8Array = t.fixtures[int(t.fixtures.length)].slice();
  const rounds = Math.min(8, 1 + Math.floor(-Math.log(1 - rnd()) * 1.5));
  for (let r = 0; r < rounds; r++) {
    const at = int(b.length + 1);
    const op = int(10);
    if (op === 0 && b.length) b[Math.min(at, b.length - 1)] ^= 1 << int(8);
    else if (op === 1 && b.length) b[Math.min(at, b.length - 1)] = INTERESTING_BYTES[int(INTERESTING_BYTES.length)];
    else if (op === 2) b = splice(b, at, 1 + int(16));
    else if (op === 3)
      b = splice(
        b,
        at,
        0,
        Uint8Array.from({ length: 1 + int(8) }, () => int(256)),
      );
    else if (op === 4) b = splice(b, at, 0, INTERESTING_BYTES_TEXT[int(INTERESTING_BYTES_TEXT.length)]);
    else if (op === 5 && b.length) {
      // repeat a range: finds quadratic costs and unbounded growth
      const from = int(b.length);
      const piece = b.slice(from, from + 1 + int(64));
      const times = Math.max(0, Math.min(1 + int(rnd() < 0.9 ? 8 : 512), Math.floor((max - b.length) / piece.length)));
      const rep = new Uint8Array(piece.length * times);
      for (let k = 0; k < times; k++) rep.set(piece, k * piece.length);
      b = splice(b, at, 0, rep);
    } else if (op === 6) {
      const other = t.fixtures[int(t.fixtures.length)];
      const from = int(other.length + 1);
      b = splice(b, at, int(32), other.subarray(from, from + 1 + int(128)));
    } else if (op === 7) b = b.slice(0, at);
    else if (op === 8) {
      // replace a run of digits with a large or odd number
      let s = at;
      while (s < b.length && !(b[s] >= 0x30 && b[s] <= 0x39)) s++;
      if (s < b.length) {
        let e = s;
        while (e < b.length && b[e] >= 0x30 && b[e] <= 0x39) e++;
        b = splice(b, s, e - s, INTERESTING_BYTES_TEXT[int(6)]);
      }
    } else if (b.length > 1) {
      const i = int(b.length);
      const j = int(b.length);
      [b[i], b[j]] = [b[j], b[i]];
    }
  }
  return b.length > max ? b.slice(0, max) : b;
}

/** 1 to 6 random cut points. */
function splitRandom(b: Uint8Array, rnd: () => number): Uint8Array[] {
  return splitAt(
    b,
    Array.from({ length: 1 + Math.floor(rnd() * 6) }, () => Math.floor(rnd() * (b.length + 1))),
  );
}

function describe(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message.slice(0, 160)} @ ${(e.stack ?? '').split('\n')[1]?.trim() ?? ''}`;
  return `non-error thrown: ${String(e).slice(0, 160)}`;
}

/** Runs one target for opts.inputs inputs. Findings are deduplicated by kind and message shape; inputs saved to outDir. */
export async function fuzzTarget(t: FuzzTarget, opts: FuzzOptions): Promise<TargetResult> {
  const nameSeed = [...t.name].reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) | 0, 7);
  const rnd = prng(opts.seed ^ nameSeed);
  const findings = new Map<string, Finding>();
  const found = (kind: Finding['kind'], detail: string, input?: Uint8Array) => {
    const key = `${kind}:${detail.replace(/[0-9]+/g, '#')}`;
    if (findings.has(key)) return;
    let file: string | undefined;
    if (input) {
      mkdirSync(opts.outDir, { recursive: true });
      file = join(opts.outDir, `${t.name}-${kind}-${createHash('sha256').update(input).digest('hex').slice(0, 12)}.bin`);
      writeFileSync(file, input);
    }
    findings.set(key, { kind, detail, file });
  };
  const attempt = async (input: Uint8Array): Promise<'accepted' | 'refused'> => {
    try {
      await t.run(input);
      return 'accepted';
    } catch (e) {
      if (e instanceof ParleyError) return 'refused';
      found('untyped', describe(e), input);
      return 'refused';
    }
  };
  let accepted = 0;
  let refused = 0;
  let slowest = 0;
  gc();
  const rssStart = rssMiB();
  let rssBase = rssStart;
  let rssMax = rssStart;
  const warmup = Math.max(1, Math.floor(opts.inputs / 10));
  const sampleEvery = Math.max(1000, Math.floor(opts.inputs / 50));
  const t0 = performance.now();
  for (let i = 0; i < opts.inputs; i++) {
    const input = makeInput(t, rnd);
    const s = process.cpuUsage();
    const outcome = await attempt(input);
    let ms = cpuMs(s);
    if (ms > opts.maxMs) {
      // confirm once (a GC pause is not the parser's fault)
      const again = process.cpuUsage();
      await attempt(input);
      ms = Math.min(ms, cpuMs(again));
      if (ms > opts.maxMs) found('slow', `${ms.toFixed(0)} ms of CPU for ${input.length} bytes`, input);
    }
    slowest = Math.max(slowest, ms);
    if (outcome === 'accepted') accepted++;
    else refused++;
    if (t.stream) {
      let whole: string;
      let split: string;
      try {
        whole = t.stream([input]);
        split = t.stream(splitRandom(input, rnd));
        if (whole !== split) found('split', `whole: ${whole.slice(0, 120)} | split: ${split.slice(0, 120)}`, input);
      } catch (e) {
        found('untyped', `stream: ${describe(e)}`, input);
      }
    }
    if ((i + 1) % sampleEvery === 0 || i + 1 === warmup) {
      gc();
      const rss = rssMiB();
      if (i + 1 === warmup) rssBase = rss;
      rssMax = Math.max(rssMax, rss);
      opts.progress?.(
        `${t.name}: ${i + 1}/${opts.inputs} inputs, ${Math.round((i + 1) / ((performance.now() - t0) / 1000))}/s, RSS ${rss.toFixed(0)} MiB`,
      );
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  gc();
  const rssEnd = rssMiB();
  rssMax = Math.max(rssMax, rssEnd);
  if (rssEnd - rssBase > opts.maxGrowthMiB) found('memory', `RSS grew ${(rssEnd - rssBase).toFixed(0)} MiB after warm-up`);
  return {
    target: t.name,
    inputs: opts.inputs,
    seconds,
    accepted,
    refused,
    slowestMs: slowest,
    rssStartMiB: rssStart,
    rssMaxMiB: rssMax,
    rssEndMiB: rssEnd,
    findings: [...findings.values()],
  };
}
