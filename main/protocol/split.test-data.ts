// Cutting a byte stream into pieces, for the sans-IO parsers' split tests (main/protocol/*/…test.ts) and the fuzz
// harness (bench/fuzz): a parser must give the same events however its input is cut.

/** `bytes` cut at each offset in `cuts` (taken modulo length + 1, duplicates ignored); the pieces concatenate to `bytes`. */
export function splitAt<T extends Uint8Array>(bytes: T, cuts: number[]): T[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: T[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(bytes.subarray(prev, p) as T);
    prev = p;
  }
  out.push(bytes.subarray(prev) as T);
  return out;
}
