// Test helpers for the history store: temp directories, keys, a manual clock.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempDir(): { dir: string; file: (name: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'parley-store-'));
  return { dir, file: (name) => join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function key(fill: number): Uint8Array {
  return new Uint8Array(32).fill(fill);
}

export function clock(start = 1_700_000_000_000): { now: () => number; set: (t: number) => void; tick: (ms?: number) => number } {
  let t = start;
  return {
    now: () => t,
    set: (v) => {
      t = v;
    },
    tick: (ms = 1) => (t += ms),
  };
}

/** Runs a `SELECT count(*) AS n ...` and returns n. */
export function count(db: { prepare(sql: string): { get(...a: unknown[]): unknown } }, sql: string, ...args: unknown[]): number {
  return (db.prepare(sql).get(...args) as { n: number }).n;
}
