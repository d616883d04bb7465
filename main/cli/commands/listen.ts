// `parley listen`: register and print every page-mode message received until SIGINT/SIGTERM, then unregister.
import { formatFlags, parseArgs, type FlagSpecs } from '../args';
import { ACCOUNT_FLAGS, resolveAccount } from '../account';
import { CliExit, EXIT } from '../exit-codes';
import { startRegistered, type Io } from '../session';
import { PageMessagingService, type IncomingPageMessage } from '../../services/page-messaging';
import type { Command } from '../command';
import { acceptSessionsForListen } from '../../services/session/cli-support';

const FLAGS: FlagSpecs = {
  ...ACCOUNT_FLAGS,
  json: { type: 'boolean', help: 'print one JSON object per line per message' },
};

export function messageJson(m: IncomingPageMessage): Record<string, unknown> {
  return {
    from: m.from,
    fromDisplayName: m.fromDisplayName ?? undefined,
    to: m.to,
    contentType: m.contentType,
    text: m.text,
    bodyBase64: m.text === undefined ? Buffer.from(m.cpim?.body ?? m.body).toString('base64') : undefined,
    innerContentType: m.cpim?.contentType,
    mode: m.mode,
    imdnMessageId: m.imdnMessageId,
    sentAt: m.sentAt?.toISOString(),
    receivedAt: m.receivedAt.toISOString(),
    transport: m.transport?.transport,
  };
}

export function messageHuman(m: IncomingPageMessage): string {
  const who = m.fromDisplayName ? `${m.fromDisplayName} <${m.from}>` : m.from;
  const what = m.text ?? `<${m.cpim?.contentType ?? m.contentType}, ${(m.cpim?.body ?? m.body).length} bytes>`;
  return `[${m.receivedAt.toISOString()}] ${who}: ${what}`;
}

export const listenCommand: Command = {
  name: 'listen',
  summary: 'register and print received messages (page mode and MSRP sessions) until interrupted',
  usage: () => `usage: parley listen [--json] [options]

Registers, then prints each received MESSAGE (one JSON object per line with --json:
from, to, contentType, text, mode, receivedAt, imdnMessageId, sentAt, ...).
Incoming MSRP chat sessions (INVITE) are accepted; their messages print with mode "session".
A first line "registered as URI via PROXY" goes to stderr once registered, so scripts can wait for it.
Stops and unregisters on SIGINT/SIGTERM (exit 0). Exit 3 if registration fails, 5 on timeout.

options:
${formatFlags(FLAGS)}`,
  async run(argv: string[], io: Io, signal?: AbortSignal): Promise<number> {
    const p = parseArgs(argv, FLAGS);
    if (p.flags.help) {
      io.out(this.usage());
      return EXIT.OK;
    }
    if (p.positionals.length) throw new CliExit(EXIT.USAGE, `unexpected argument ${p.positionals[0]}`);
    const { account, timeoutMs } = resolveAccount(p);
    const ua = await startRegistered(account, timeoutMs);
    const svc = new PageMessagingService(ua);
    const json = Boolean(p.flags.json);
    svc.on('message', (m) => io.out(json ? JSON.stringify(messageJson(m)) : messageHuman(m)));
    const sessions = await acceptSessionsForListen(ua, io.out, json);
    io.err(`registered as ${account.aor} via ${account.proxy}`);
    let failure: CliExit | null = null;
    await new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      signal?.addEventListener('abort', () => resolve(), { once: true });
      ua.on('state', (e) => {
        if (e.state === 'failed') {
          failure = new CliExit(EXIT.REGISTRATION, `registration lost [${e.error?.code}]: ${e.error?.message}`);
          resolve();
        } else if (e.state === 'reconnecting' || e.state === 'registered') {
          io.err(`${e.state}${e.error ? `: ${e.error.message}` : ''}`);
        }
      });
    });
    await sessions.stop();
    await ua.stop();
    if (failure) throw failure;
    io.err('unregistered');
    return EXIT.OK;
  },
};
