// Pure checks used by the Electron shell: which frames may call IPC, which protocol URLs open a conversation, and
// text made safe for desktop notifications. No electron import (unit-tested under Node).
import { check } from './ipc/schema';
import { sipUri } from './ipc/views';

/** The renderer is served from app://parley/ (a privileged standard scheme registered by the shell). */
export const APP_SCHEME = 'app';
export const APP_HOST = 'parley';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_INDEX = `${APP_ORIGIN}/index.html`;

/** True only for a top-level frame showing our own app:// origin. */
export function isTrustedSender(frame: { url: string; parent: unknown } | null | undefined): boolean {
  if (!frame || frame.parent) return false;
  let u: URL;
  try {
    u = new URL(frame.url);
  } catch {
    return false;
  }
  return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && u.username === '' && u.password === '' && u.port === '';
}

export const PROTOCOL_SCHEMES = ['sip', 'sips', 'im'] as const;

/** `sip:bob@example.com`, `sips:...`, `im:bob@example.com` (RFC 3860) -> the peer SIP URI to open, or null. Headers
 *  (`?subject=...`) and parameters are dropped: a link can open a conversation, never pre-fill or send anything. */
export function peerFromProtocolUrl(raw: string): string | null {
  if (typeof raw !== 'string' || raw.length > 512) return null;
  const m = /^(sips?|im):(?:\/\/)?([^?;#\s]+)/i.exec(raw.trim());
  if (!m) return null;
  const scheme = m[1]!.toLowerCase() === 'sips' ? 'sips' : 'sip';
  let userHost: string;
  try {
    userHost = decodeURIComponent(m[2]!);
  } catch {
    return null;
  }
  const candidate = `${scheme}:${userHost}`;
  return check(sipUri, candidate).ok ? candidate : null;
}

/** First sip:/sips:/im: argument in a command line (second-instance / first launch on Windows and Linux). */
export function protocolUrlFromArgv(argv: readonly string[]): string | null {
  for (const a of argv.slice(1)) if (/^(sips?|im):/i.test(a)) return a;
  return null;
}

/** Some Linux notification daemons interpret a markup subset in the body: escape it, strip controls, truncate. */
export function notificationText(text: string, max = 140): string {
  const plain = text
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const cut = plain.length > max ? `${plain.slice(0, max - 1)}…` : plain;
  return cut.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
