// SIP address-of-record normalization for key pinning (RFC 3261 s.19.1.4 comparison rules, simplified; see docs/security.md s.2).
import { ParleyError } from '../base/errors';

const MAX_AOR = 256;

/**
 * Normalize a SIP/SIPS/TEL URI or name-addr to `scheme:user@host[:port]`: display name, <>, URI parameters and headers
 * removed, scheme and host lowercased, `sips` folded into `sip`, default ports 5060/5061 dropped. Throws SEC_BAD_AOR.
 */
export function normalizeAoR(input: string): string {
  if (typeof input !== 'string') throw new ParleyError('SEC_BAD_AOR', 'AoR must be a string');
  let s = input.trim();
  const lt = s.indexOf('<');
  if (lt >= 0) {
    const gt = s.indexOf('>', lt);
    if (gt < 0) throw new ParleyError('SEC_BAD_AOR', 'unterminated <', { input });
    s = s.slice(lt + 1, gt).trim();
  }
  const colon = s.indexOf(':');
  if (colon <= 0) throw new ParleyError('SEC_BAD_AOR', 'missing URI scheme', { input });
  let scheme = s.slice(0, colon).toLowerCase();
  let rest = s.slice(colon + 1);
  if (scheme === 'sips') scheme = 'sip';
  if (scheme !== 'sip' && scheme !== 'tel') throw new ParleyError('SEC_BAD_AOR', `unsupported scheme ${scheme}`, { input });
  if (scheme === 'tel') {
    const num = rest.split(';')[0].replace(/[-.() ]/g, '');
    if (!/^\+?[0-9*#A-Fa-f]+$/.test(num)) throw new ParleyError('SEC_BAD_AOR', 'bad tel number', { input });
    return `tel:${num}`;
  }
  rest = rest.split('?')[0];
  const at = rest.lastIndexOf('@');
  const user = at >= 0 ? rest.slice(0, at) : '';
  let hostport = (at >= 0 ? rest.slice(at + 1) : rest).split(';')[0].toLowerCase();
  if (at >= 0 && (user.length === 0 || /[\s<>"]/.test(user))) throw new ParleyError('SEC_BAD_AOR', 'bad user part', { input });
  hostport = hostport.replace(/:(5060|5061)$/, '');
  if (!/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:[0-9]{1,5})?$/.test(hostport)) throw new ParleyError('SEC_BAD_AOR', 'bad host', { input });
  const out = `sip:${user ? user.split(';')[0] + '@' : ''}${hostport}`;
  if (out.length > MAX_AOR) throw new ParleyError('SEC_BAD_AOR', 'AoR too long', { input });
  return out;
}

/** Longest user part of a peer's address (the IPC contract's `sipUri` allows 1..128 characters). */
export const MAX_USER_CHARS = 128;

/**
 * A peer's address as it may enter the history and the screen: normalizeAoR, plus a user part of 1..MAX_USER_CHARS
 * characters without '@', controls or invisible characters (`sip:host` alone is a server, not a peer), or a tel: number of 1..32 digits. The
 * same rule as the IPC contract's `sipUri` (app/ipc/views.ts SIP_URI_RE; a test keeps them in step): what passes here
 * can always be shown. Throws SEC_BAD_AOR.
 */
export function peerAddress(input: string): string {
  const aor = normalizeAoR(input);
  if (aor.startsWith('tel:')) {
    if (!/^tel:\+?[0-9]{1,32}$/.test(aor)) throw new ParleyError('SEC_BAD_AOR', 'tel: number not of 1..32 digits', { input });
    return aor;
  }
  const at = aor.lastIndexOf('@');
  const user = at > 4 ? aor.slice(4, at) : '';
  if (!user) throw new ParleyError('SEC_BAD_AOR', 'no user part', { input });
  if (user.length > MAX_USER_CHARS) throw new ParleyError('SEC_BAD_AOR', `user part over ${MAX_USER_CHARS} characters`, { input });
  // no '@', and nothing invisible or reordering (the IPC contract's sipUri refuses the same: it could not be shown)
  if (/[@\p{C}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u.test(user)) {
    throw new ParleyError('SEC_BAD_AOR', 'bad character in the user part', { input });
  }
  return aor;
}

/** Whether `uri` passes peerAddress (where addresses enter: incoming MESSAGE and INVITE). */
export function isPeerAddress(uri: string): boolean {
  try {
    peerAddress(uri);
    return true;
  } catch {
    return false;
  }
}

/** normalizeAoR, or the input unchanged when it is not a SIP/TEL URI (display and lookups that must not throw). */
export function safeAoR(uri: string): string {
  try {
    return normalizeAoR(uri);
  } catch {
    return uri;
  }
}

/** What a user typed as a destination ('bob', 'bob@domain' or a full SIP URI) -> sip:bob@domain (the account's domain). */
export function normalizeTarget(target: string, localAor: string): string {
  const t = target.trim();
  if (/^sips?:/i.test(t)) return t;
  const domain = localAor.split('@')[1];
  return `sip:${t.includes('@') ? t : `${t}@${domain}`}`;
}

/** Bytewise (UTF-8 code unit) comparison used wherever AoRs are sorted in a format. */
export function compareAoR(a: string, b: string): number {
  const ea = Buffer.from(a, 'utf8');
  const eb = Buffer.from(b, 'utf8');
  return Buffer.compare(ea, eb);
}
