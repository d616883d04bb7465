// CLI glue for MSRP sessions (parley chat / parley listen): manager on the UA's endpoint and router, event lines (human
// or JSON).
import { ephemeralSecurity } from '../../../security/bundle';
import type { AccountMedia } from '../../../media/account-media';
import { ChatSessionManager, type IncomingChatSession } from '../../../features/session/manager';
import type { ChatSession } from '../../../features/session/chat-session';
import type { ChatMessage, SessionDelivery } from '../../../features/session/types';
import type { E2EPolicy } from '../../../media/types';

export interface CliSessionOptions {
  tls?: boolean;
  policy?: E2EPolicy;
}

/**
 * A manager for a CLI run without a profile (listen --plain): the identity is generated per run and pins live in
 * memory, so E2E protects the run's sessions but the peer sees a new key each run (docs/sessions.md "CLI").
 */
export async function cliManager(m: AccountMedia, o: CliSessionOptions): Promise<ChatSessionManager> {
  const security = await ephemeralSecurity(m.ua.account.aor);
  const { ua, endpoint, router } = m;
  const mgr = new ChatSessionManager({ ua, endpoint, router, security, policy: o.policy ?? 'require', tls: o.tls });
  await mgr.start();
  return mgr;
}

export function messageLine(m: ChatMessage, json: boolean): string {
  if (json) {
    return JSON.stringify({
      event: 'message',
      from: m.from,
      fromDisplayName: m.fromDisplayName,
      to: m.to,
      contentType: m.contentType,
      text: m.text,
      bodyBase64: m.text === undefined ? Buffer.from(m.body).toString('base64') : undefined,
      mode: m.mode,
      protected: m.protected,
      imdnMessageId: m.imdnMessageId,
      sentAt: m.sentAt?.toISOString(),
      receivedAt: m.receivedAt.toISOString(),
    });
  }
  const who = m.fromDisplayName ? `${m.fromDisplayName} <${m.from}>` : m.from;
  const what = m.text ?? `<${m.contentType}, ${m.body.length} bytes>`;
  return `[${m.receivedAt.toISOString()}] ${who}: ${what}${m.protected ? '' : ' (unencrypted)'}`;
}

export function outcomeLine(o: SessionDelivery, json: boolean): string {
  if (json) return JSON.stringify({ event: 'sent', ...o });
  return o.status === 'failed' || o.status === 'interrupted'
    ? `! not delivered: ${o.status} ${o.code ?? ''} ${o.errorCode ?? ''} ${o.reason ?? ''}`.trim()
    : `  (${o.status})`;
}

/** Print a session's events; resolves when it closes. */
export function printSession(s: ChatSession, out: (l: string) => void, json: boolean): Promise<void> {
  const info = s.info;
  out(
    json
      ? JSON.stringify({ event: 'established', ...info })
      : `* session with ${info.peerAor} (${info.protected ? `end-to-end encrypted, peer key ${info.peerKeyState}` : 'NOT end-to-end encrypted'}, ${info.transport}${info.relayed ? ' via relay' : ''})`,
  );
  s.on('message', (m) => out(messageLine(m, json)));
  s.on('typing', (t) => json && out(JSON.stringify({ event: 'typing', ...t })));
  s.on('delivery', (d) => json && out(JSON.stringify({ event: 'delivery', ...d })));
  s.on('error', (e) => out(json ? JSON.stringify({ event: 'error', code: e.code, message: e.message }) : `! ${e.code}: ${e.message}`));
  return new Promise((resolve) => {
    s.once('closed', (c) => {
      out(
        json
          ? JSON.stringify({ event: 'closed', reason: c.reason, code: c.error?.code, status: c.status })
          : `* session closed (${c.reason}${c.error ? `: ${c.error.code}` : ''})`,
      );
      resolve();
    });
  });
}

/**
 * For `parley listen`: accept every incoming MSRP session and print its messages (mode "session"). Returns the manager
 * so the command can stop() it before unregistering.
 */
export async function acceptSessionsForListen(
  m: AccountMedia,
  out: (l: string) => void,
  json: boolean,
  o: CliSessionOptions = {},
): Promise<ChatSessionManager> {
  const mgr = await cliManager(m, o);
  mgr.on('incoming', (inc: IncomingChatSession) => {
    inc.accept().then(
      (s) => printSession(s, out, json),
      (e: Error & { code?: string }) =>
        out(
          json ? JSON.stringify({ event: 'error', code: e.code, message: e.message }) : `! session from ${inc.from} failed: ${e.message}`,
        ),
    );
  });
  return mgr;
}
