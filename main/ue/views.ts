// Pure mapping from history rows and security facts to the IPC views (app/ipc/views.ts), and the paging cursor format.
import type { ConnectionView, ConversationView, E2eState, MessageView, PeerState, SecurityView } from '../../app/ipc/contract';
import type { ConversationSummary, Conversation, MessageCursor, StoredMessage } from '../store';
import { KEY_CHANGE_CONTENT_TYPE } from '../store';
import { ParleyError } from '../base/errors';
import { plainText } from '../../app/ipc/text';

export const CURSOR_PREFIX = 'c1.';
const PREVIEW_CHARS = 280;

/** Opaque `before` cursor for messages.page: "c1.<createdAt>.<id>". */
export function encodeCursor(c: MessageCursor): string {
  return `${CURSOR_PREFIX}${c.createdAt}.${c.id}`;
}

export function decodeCursor(s: string): MessageCursor {
  const m = /^c1\.(\d{1,16})\.(\d{1,16})$/.exec(s);
  if (!m) throw new ParleyError('UE_BAD_CURSOR', 'not a cursor returned by messages.page');
  return { createdAt: Number(m[1]), id: Number(m[2]) };
}

/** Failure reasons are stored as "CODE: human text" so a typed code survives the store's numeric failure column. */
export function failureReason(code: string, reason: string): string {
  return `${code}: ${reason}`.slice(0, 256);
}

function splitFailure(m: StoredMessage): { code: string; reason: string } | undefined {
  if (m.security.errorCode) return { code: m.security.errorCode, reason: m.failureReason ?? textOf(m) };
  if (m.state !== 'failed') return undefined;
  const r = m.failureReason ?? '';
  const typed = /^([A-Z][A-Z0-9_]{1,63}): (.*)$/s.exec(r);
  if (typed) return { code: typed[1]!, reason: typed[2]!.slice(0, 1024) };
  return { code: m.failureCode ? String(m.failureCode) : 'FAILED', reason: r.slice(0, 1024) || 'failed' };
}

function textOf(m: StoredMessage): string {
  if (m.atRestError) return `[stored message cannot be read: ${m.atRestError}]`;
  if (m.system === 'key-change' || m.contentType === KEY_CHANGE_CONTENT_TYPE) {
    try {
      const j = JSON.parse(String(m.body)) as { aor: string; oldFingerprint?: string | null; newFingerprint: string };
      return `The security key of ${j.aor} changed${j.oldFingerprint ? ` from ${j.oldFingerprint}` : ''} to ${j.newFingerprint}.`;
    } catch {
      return 'The security key of this contact changed.';
    }
  }
  if (typeof m.body === 'string') return m.body;
  return `[${m.contentType} content, ${m.body?.length ?? 0} bytes]`;
}

export function messageView(m: StoredMessage): MessageView {
  const failure = splitFailure(m);
  const incoming = m.direction === 'in';
  let state: MessageView['state'];
  if (failure) state = 'failed';
  else if (incoming) state = m.state === 'displayed' ? 'displayed' : 'received';
  else state = m.state;
  const v: MessageView = {
    id: String(m.id),
    conversationId: String(m.conversationId),
    direction: m.direction,
    sender: m.senderAor,
    text: textOf(m).slice(0, 65_536),
    at: incoming ? (m.sentAt ?? m.createdAt) : m.createdAt,
    state,
    mode: m.mode === 'page' ? 'page' : 'session',
    e2e: { state: m.security.e2e, ...(incoming && m.system === null ? { signatureValid: m.security.e2eVerified } : {}) },
  };
  if (failure) v.failure = { code: failure.code.slice(0, 64), reason: failure.reason.slice(0, 1024) };
  return v;
}

export interface ConversationSecurity {
  tls: boolean;
  e2e: E2eState;
  peer: PeerState;
  sendBlocked: boolean;
}

export function conversationView(c: Conversation | ConversationSummary, sec: ConversationSecurity): ConversationView {
  const last = 'lastMessage' in c ? c.lastMessage : null;
  const lastText = last ? (last.system === 'key-change' ? 'Security key changed' : (last.preview ?? '')) : null;
  return {
    id: String(c.id),
    kind: c.kind === 'direct' ? 'direct' : 'group',
    peer: c.peer,
    title: plainText(c.title ?? userPart(c.peer), 128),
    unread: c.unreadCount,
    ...(last && lastText !== null
      ? { last: { text: lastText.slice(0, PREVIEW_CHARS), at: last.createdAt, direction: last.direction } }
      : {}),
    blocked: c.blocked,
    security: sec,
    updatedAt: c.lastActivity,
  };
}

export function userPart(uri: string): string {
  const m = /^(?:sips?|tel):([^@;]+)/.exec(uri);
  return m ? m[1]! : uri;
}

export interface HopFacts {
  transport: ConnectionView['transport'];
  tls: boolean;
  verified: boolean;
}

export function securityView(
  conversationId: string,
  hop: HopFacts,
  sec: ConversationSecurity,
  opts: { fingerprint?: string; scheme?: string },
): SecurityView {
  return {
    conversationId,
    hop,
    e2e: { state: sec.e2e, ...(opts.scheme ? { scheme: opts.scheme.slice(0, 64) } : {}) },
    peer: { state: sec.peer, ...(opts.fingerprint ? { fingerprint: opts.fingerprint.slice(0, 128) } : {}) },
    sendBlocked: sec.sendBlocked,
  };
}
