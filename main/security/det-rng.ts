// Deterministic byte source for test vectors and benchmarks only (docs/wire-formats.md "Ratchet test vectors"):
// block i = BLAKE2b-512(utf8(label) || u32(i)), concatenated. Never use it for real keys.
import { concat, u32, utf8, h256 } from './sodium';
import type { Rng } from './prekeys';

export function deterministicRng(label: string): Rng {
  let block = 0;
  let buf: Uint8Array = new Uint8Array(0);
  return (n: number) => {
    while (buf.length < n) buf = concat(buf, h256(concat(utf8(label), u32(block++)), undefined, 64));
    const out = buf.slice(0, n);
    buf = buf.slice(n);
    return out;
  };
}
