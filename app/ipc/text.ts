// Text from other people shown on screen (nicknames, display names, file names, addresses): without the characters that
// make it read as something else (issue 12). Shared by main (views) and the renderer (what it draws); no imports.

/** Controls, format characters (bidi embeddings, overrides and isolates, LRM/RLM/ALM, zero-width characters, soft hyphen,
 *  BOM, tags), lone surrogates, line/paragraph separators and every other default-ignorable code point (Hangul fillers,
 *  variation selectors...): invisible, or able to reorder what follows them. */
export const INVISIBLE_CHARS = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/gu;

/** `s` without INVISIBLE_CHARS, line breaks and tabs as spaces, NFC, spaces collapsed and trimmed, at most `max` code points. Emoji joined with ZWJ fall
 *  apart into their parts (a price paid for names only; message text is isolated, not stripped). */
export function plainText(s: string, max = 256): string {
  const out = String(s)
    .replace(/[\t\n\v\f\r\u0085\u2028\u2029]/g, ' ')
    .replace(INVISIBLE_CHARS, '')
    .normalize('NFC')
    .replace(/\s+/g, ' ')
    .trim();
  const cps = [...out];
  return cps.length > max ? cps.slice(0, max).join('').trimEnd() : out;
}
