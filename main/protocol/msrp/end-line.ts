// Finding the end-line prefix "\r\n-------" + transaction-id in body bytes (RFC 4975 s.7.1): the one pass over every body
// byte that both the sender (the body must not contain it) and the receiver (where the body ends) have to make.
const CR = 13;
/**
 * Node's Buffer.indexOf searches patterns shorter than 8 bytes with memchr on their first byte, several times faster than the
 * Boyer-Moore-Horspool it uses for the whole (33-byte) end-line; "\n------" is part of every end-line and rare in bodies.
 */
const ANCHOR = Buffer.from('\n------', 'latin1');
/** Anchors that are not an end-line before the search switches to the whole pattern (bounded work on dash-heavy bodies). */
export const MAX_FALSE_ANCHORS = 16;

/** The bytes to look for: "\r\n-------" + tid. */
export function endLinePrefix(tid: string): Buffer<ArrayBuffer> {
  return Buffer.from(`\r\n-------${tid}`, 'latin1');
}

/**
 * First p with from <= p < limit where buf[p, p + pattern.length) is `pattern` (from endLinePrefix), or -1. Only complete
 * occurrences count (one cut by the end of buf is not found), exactly like buf.indexOf(pattern, from) limited to start
 * positions below `limit`.
 */
export function findEndLine(buf: Uint8Array, pattern: Uint8Array, from = 0, limit = buf.length): number {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const m = pattern.length;
  let misses = 0;
  for (let a = b.indexOf(ANCHOR, from + 1); a >= 0; a = b.indexOf(ANCHOR, a + 1)) {
    const p = a - 1;
    if (p >= limit) return -1;
    if (b[p] === CR && p + m <= b.length && b.compare(pattern, 0, m, p, p + m) === 0) return p;
    if (++misses > MAX_FALSE_ANCHORS) {
      const q = b.indexOf(pattern, p + 1);
      return q >= 0 && q < limit ? q : -1;
    }
  }
  return -1;
}
