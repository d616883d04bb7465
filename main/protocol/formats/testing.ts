// Test-only helpers for format parsers: truncation at every offset and random mutation must only ever raise ParleyError.
import assert from 'node:assert/strict';
import { ParleyError } from '../../base/errors';

/** Runs fn and returns its result or the ParleyError it threw; any other exception fails the test. */
export function parleyOutcome<T>(fn: () => T): T | ParleyError {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ParleyError) return e;
    assert.fail(`expected ParleyError, got ${(e as Error)?.stack ?? String(e)}`);
  }
}

/** Feeds every strict prefix of `bytes` to `parse`; returns how many prefixes were rejected with a ParleyError. */
export function everyTruncation(bytes: Uint8Array, parse: (b: Uint8Array) => unknown): number {
  let rejected = 0;
  for (let i = 0; i < bytes.length; i++) if (parleyOutcome(() => parse(bytes.slice(0, i))) instanceof ParleyError) rejected++;
  return rejected;
}

/** Deterministic xorshift PRNG for reproducible fuzzing. */
export function prng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

/** Applies `rounds` random byte mutations (flip, delete, insert) and checks parse only ever throws ParleyError. */
export function fuzzMutations(bytes: Uint8Array, parse: (b: Uint8Array) => unknown, rounds = 300, seed = 42): void {
  const rnd = prng(seed);
  const specials = [0x00, 0x0a, 0x0d, 0x20, 0x22, 0x26, 0x3a, 0x3b, 0x3c, 0x3e, 0x5c, 0x2d, 0xff, 0xc3];
  for (let r = 0; r < rounds; r++) {
    const b = Array.from(bytes);
    const edits = 1 + Math.floor(rnd() * 4);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(rnd() * (b.length + 1));
      const v = rnd() < 0.5 ? specials[Math.floor(rnd() * specials.length)] : Math.floor(rnd() * 256);
      const op = rnd();
      if (op < 0.4 && at < b.length) b[at] = v;
      else if (op < 0.7) b.splice(at, 1);
      else b.splice(at, 0, v);
    }
    parleyOutcome(() => parse(Uint8Array.from(b)));
  }
}

export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
export const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Asserts fn throws a ParleyError with the given code. */
export function throwsCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => e instanceof ParleyError && e.code === code, `expected ParleyError ${code}`);
}
