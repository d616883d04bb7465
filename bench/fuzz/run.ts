// Fuzzing as a habit (issue 12; not in CI): every parser and decoder a peer can reach, 1,000,000 inputs each by default.
//   npx tsx bench/fuzz/run.ts [--target NAME[,NAME]] [--inputs N] [--seed S] [--workers W] [--out DIR] [--record]
//   npx tsx bench/fuzz/run.ts --target NAME --replay FILE      (run one saved finding again, with its stack)
// --workers N forks worker processes (default auto: all cores only when the machine is otherwise idle). --record writes the
// result table into docs/fuzzing.md. Exit code 1 when there are findings. Design: docs/fuzzing.md.
import { fork } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fuzzTarget, type FuzzTarget, type TargetResult } from './engine';
import { PROTOCOL_TARGETS } from './targets-protocol';
import { securityTargets } from './targets-security';

const argv = process.argv.slice(2);
const arg = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const inputs = Number(arg('inputs') ?? 1_000_000);
const seed = Number(arg('seed') ?? 12);
// 'auto' (default): both cores only when the machine is otherwise idle (1-minute load average under 0.3).
const workersArg = arg('workers') ?? 'auto';
const workers = workersArg === 'auto' ? (loadavg()[0] < 0.3 ? cpus().length : 1) : Math.max(1, Number(workersArg));
const outDir = arg('out') ?? join(tmpdir(), 'parley-fuzz-findings');
const only = arg('target')?.split(',');
const maxMs = Number(arg('max-ms') ?? 100);

export async function allTargets(): Promise<FuzzTarget[]> {
  return [...PROTOCOL_TARGETS, ...(await securityTargets())];
}

async function select(): Promise<FuzzTarget[]> {
  const all = await allTargets();
  if (!only) return all;
  const unknown = only.filter((n) => !all.some((t) => t.name === n));
  if (unknown.length) throw new Error(`unknown target ${unknown.join(', ')}; targets: ${all.map((t) => t.name).join(', ')}`);
  return all.filter((t) => only.includes(t.name));
}

async function runHere(targets: FuzzTarget[], log: (l: string) => void): Promise<TargetResult[]> {
  const results: TargetResult[] = [];
  for (const t of targets) {
    const r = await fuzzTarget(t, { inputs, seed, maxMs, maxGrowthMiB: 64, outDir, progress: log });
    results.push(r);
    log(line(r));
  }
  return results;
}

/** Workers each take every W-th target and send their results back. */
async function runForked(names: string[]): Promise<TargetResult[]> {
  const self = fileURLToPath(import.meta.url);
  const shares = Array.from({ length: workers }, (_, w) => names.filter((_, i) => i % workers === w)).filter((s) => s.length);
  const runs = shares.map(
    (share) =>
      new Promise<TargetResult[]>((resolve, reject) => {
        const rest = argv.filter(
          (a, i) => !['--target', '--workers', '--record'].includes(a) && !['--target', '--workers'].includes(argv[i - 1]),
        );
        const child = fork(self, [...rest, '--target', share.join(','), '--child'], { execArgv: ['--import', 'tsx'] });
        child.on('message', (m) => resolve(m as TargetResult[]));
        child.on('exit', (code) => (code ? reject(new Error(`worker for ${share.join(',')} exited with ${code}`)) : undefined));
      }),
  );
  return (await Promise.all(runs)).flat();
}

const fmt = (n: number) => n.toLocaleString('en-US');
function line(r: TargetResult): string {
  return `${r.target}: ${fmt(r.inputs)} inputs in ${r.seconds.toFixed(0)} s (${fmt(Math.round(r.inputs / r.seconds))}/s), ${r.findings.length} findings`;
}

export function table(results: TargetResult[]): string {
  const rows = results.map(
    (r) =>
      `| ${r.target} | ${fmt(r.inputs)} | ${fmt(Math.round(r.inputs / r.seconds))} | ${((100 * r.refused) / r.inputs).toFixed(1)} % | ` +
      `${r.slowestMs.toFixed(1)} | ${r.rssStartMiB.toFixed(0)} / ${r.rssMaxMiB.toFixed(0)} / ${r.rssEndMiB.toFixed(0)} | ` +
      `${r.findings.length ? r.findings.map((f) => `${f.kind}: ${f.detail.replace(/\|/g, '/')}`).join('; ') : 'none'} |`,
  );
  return [
    '| target | inputs | inputs/s | refused (typed) | slowest (CPU ms) | RSS MiB start / max / end | findings |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
    ...rows,
  ].join('\n');
}

function record(results: TargetResult[], started: Date, load: number[]): void {
  const file = join(fileURLToPath(new URL('../..', import.meta.url)), 'docs', 'fuzzing.md');
  const doc = readFileSync(file, 'utf8');
  const [a, b] = ['<!-- fuzz:last-run -->', '<!-- /fuzz:last-run -->'];
  const i = doc.indexOf(a);
  const j = doc.indexOf(b);
  if (i < 0 || j < i) throw new Error(`docs/fuzzing.md lacks the ${a} ... ${b} markers`);
  const cmd = `npx tsx bench/fuzz/run.ts --inputs ${inputs} --seed ${seed}${workers > 1 ? ` --workers ${workers}` : ''}${only ? ` --target ${only.join(',')}` : ''}`;
  const body = [
    `Run ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, \`${cmd}\`, Node ${process.version}, ${cpus().length} cores, ` +
      `load average ${load.map((x) => x.toFixed(1)).join(' / ')} at the start.`,
    '',
    table(results),
  ].join('\n');
  writeFileSync(file, `${doc.slice(0, i + a.length)}\n${body}\n${doc.slice(j)}`);
  console.log(`recorded in ${file}`);
}

async function main(): Promise<void> {
  const targets = await select();
  const replay = arg('replay');
  if (replay) {
    if (targets.length !== 1) throw new Error('--replay needs exactly one --target');
    const input = new Uint8Array(readFileSync(replay));
    const t0 = performance.now();
    const out = await targets[0].run(input);
    console.log(`returned after ${(performance.now() - t0).toFixed(1)} ms:`, out);
    return;
  }
  const log = (l: string) => console.error(l);
  if (argv.includes('--child')) {
    process.send!(await runHere(targets, log));
    return;
  }
  const started = new Date();
  const load = loadavg();
  console.log(
    `fuzzing ${targets.length} targets, ${fmt(inputs)} inputs each, seed ${seed}, ${workers} worker(s); findings go to ${outDir}`,
  );
  const results = workers > 1 ? await runForked(targets.map((t) => t.name)) : await runHere(targets, log);
  results.sort((x, y) => targets.findIndex((t) => t.name === x.target) - targets.findIndex((t) => t.name === y.target));
  console.log(`\n${table(results)}`);
  for (const r of results)
    for (const f of r.findings) console.log(`${r.target} ${f.kind}: ${f.detail}${f.file ? `\n  input: ${f.file}` : ''}`);
  if (argv.includes('--record')) record(results, started, load);
  process.exitCode = results.some((r) => r.findings.length) ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(2);
  });
}
