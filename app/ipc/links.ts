// Link policy shared by the renderer (finding links in message text) and the shells (deciding whether to open them).
// Message text is never HTML: links are found in plain text and become buttons that call `links.open`.

export const OPENABLE_SCHEMES = ['https:', 'http:', 'mailto:'] as const;
export const MAX_URL_CHARS = 2048;

export type LinkClass = { ok: true; url: string } | { ok: false; reason: string };

/** Decides whether a URL may be handed to the OS: http(s)/mailto only, no credentials, no control characters; a mailto:
 *  link loses its query and fragment. */
export function classifyLink(raw: string): LinkClass {
  if (raw.length > MAX_URL_CHARS) return { ok: false, reason: 'URL too long' };

  if (/[\u0000-\u001f\u007f\s]/.test(raw)) return { ok: false, reason: 'URL contains spaces or control characters' };
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return { ok: false, reason: 'not a valid absolute URL' };
  }
  if (!(OPENABLE_SCHEMES as readonly string[]).includes(u.protocol)) return { ok: false, reason: `scheme ${u.protocol} is not allowed` };
  if (u.username || u.password) return { ok: false, reason: 'URLs with embedded credentials are not opened' };
  if (u.protocol !== 'mailto:' && !u.hostname) return { ok: false, reason: 'URL has no host' };
  // mailto: keeps its addresses only: a query can attach files (?attach=/etc/passwd in some mail clients), add
  // recipients or pre-fill a body the user never wrote (issue 12)
  if (u.protocol === 'mailto:') {
    if (!u.pathname) return { ok: false, reason: 'mailto: link without an address' };
    return { ok: true, url: `mailto:${u.pathname}` };
  }
  return { ok: true, url: u.href };
}

export type TextPart = { kind: 'text'; text: string } | { kind: 'link'; text: string; url: string };

const LINK_RE = /\b(?:https?:\/\/|mailto:)[^\s<>"]+/gi;
const TRAILING_PUNCT = /[.,;:!?)\]}'"]+$/;

/** Splits plain text into text and link parts (only links `classifyLink` accepts become links). */
export function splitLinks(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  for (const m of text.matchAll(LINK_RE)) {
    let candidate = m[0];
    const trail = TRAILING_PUNCT.exec(candidate);
    if (trail) candidate = candidate.slice(0, candidate.length - trail[0].length);
    const c = classifyLink(candidate);
    if (!c.ok) continue;
    const start = m.index ?? 0;
    if (start > last) parts.push({ kind: 'text', text: text.slice(last, start) });
    parts.push({ kind: 'link', text: candidate, url: c.url });
    last = start + candidate.length;
  }
  if (last < text.length) parts.push({ kind: 'text', text: text.slice(last) });
  return parts;
}
