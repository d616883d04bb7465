// Word normalization for keyed-hash full-text search, query sanitizing and snippets (pure functions; see docs/store.md).
import { MAX_SEARCH_QUERY_CHARS, MAX_SEARCH_TERMS } from './limits';

/** Words longer than this are cut (index and query alike). */
export const MAX_WORD_CHARS = 64;
/** Distinct words indexed per message; the rest are not searchable. */
export const MAX_WORDS_PER_MESSAGE = 1000;
/** Prefix lengths that get their own token. A query term uses the longest one it covers, then candidates are verified. */
export const PREFIX_LENGTHS = [3, 5, 8] as const;
/** Snippet length in characters around the first hit. */
export const SNIPPET_CHARS = 120;

const WORD = /[\p{L}\p{N}]+/gu;
const MARKS = /\p{M}+/gu;

/** Case- and accent-insensitive form: NFKD, combining marks dropped, lower case. */
export function normalize(text: string): string {
  return text.normalize('NFKD').replace(MARKS, '').toLowerCase();
}

/** Normalized words (letters/digits runs) of a text, truncated to MAX_WORD_CHARS; counted in code points. */
export function words(text: string): string[] {
  const out: string[] = [];
  for (const m of normalize(text).matchAll(WORD)) {
    const cps = Array.from(m[0]);
    out.push(cps.length > MAX_WORD_CHARS ? cps.slice(0, MAX_WORD_CHARS).join('') : m[0]);
  }
  return out;
}

/** The key (whole word or prefix) that represents a search term in the index. */
export function termKey(term: string): string {
  const cps = Array.from(term);
  if (cps.length < PREFIX_LENGTHS[0]) return term;
  let k: number = PREFIX_LENGTHS[0];
  for (const p of PREFIX_LENGTHS) if (cps.length >= p) k = p;
  return cps.slice(0, k).join('');
}

/** The plaintext index keys of a message: short words whole, longer words by their PREFIX_LENGTHS prefixes. */
export function indexKeys(text: string): string[] {
  const keys = new Set<string>();
  const seen = new Set<string>();
  for (const w of words(text)) {
    if (seen.has(w)) continue;
    if (seen.size >= MAX_WORDS_PER_MESSAGE) break;
    seen.add(w);
    const cps = Array.from(w);
    if (cps.length < PREFIX_LENGTHS[0]) keys.add(w);
    else for (const p of PREFIX_LENGTHS) if (cps.length >= p) keys.add(cps.slice(0, p).join(''));
  }
  return [...keys];
}

/**
 * Turns user input into search terms. Everything that is not a letter or digit is a separator, so FTS syntax
 * (quotes, `*`, `NEAR(`, `AND`, column filters) cannot reach SQLite: the MATCH expression is built from hashes only.
 */
export function queryTerms(query: string): string[] {
  const q = query.length > MAX_SEARCH_QUERY_CHARS ? query.slice(0, MAX_SEARCH_QUERY_CHARS) : query;
  return [...new Set(words(q))].slice(0, MAX_SEARCH_TERMS);
}

/** True if every term matches a word of the text: terms shorter than the first prefix length whole, longer ones as prefixes. */
export function matchesAll(text: string, terms: readonly string[]): boolean {
  const ws = words(text);
  return terms.every((t) => {
    const short = Array.from(t).length < PREFIX_LENGTHS[0];
    return ws.some((w) => (short ? w === t : w.startsWith(t)));
  });
}

/** A plain-text excerpt around the first word matching a term, with '…' where cut. */
export function snippet(text: string, terms: readonly string[], max = SNIPPET_CHARS): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  let at = -1;
  for (const m of flat.matchAll(WORD)) {
    const w = normalize(m[0]);
    if (terms.some((t) => (Array.from(t).length < PREFIX_LENGTHS[0] ? w === t : w.startsWith(t)))) {
      at = m.index ?? 0;
      break;
    }
  }
  if (flat.length <= max) return flat;
  const start = Math.max(0, Math.min(at < 0 ? 0 : at - Math.floor(max / 3), flat.length - max));
  return (start > 0 ? '…' : '') + flat.slice(start, start + max) + (start + max < flat.length ? '…' : '');
}

/** Short preview of a message body for conversation lists. */
export function preview(text: string, max = SNIPPET_CHARS): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : flat.slice(0, max) + '…';
}
