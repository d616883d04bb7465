// `parley listen`: a full UE on the profile (E2E page mode, key requests answered, MSRP sessions accepted with the
// profile's identity and pins) printing every received message until SIGINT/SIGTERM; `--plain`: the raw listener.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatFlags, type FlagSpecs } from '../args';
import { ACCOUNT_FLAGS } from '../account';
import { CliExit, EXIT } from '../exit-codes';
import { startRegistered, type Io } from '../ua-run';
import { KEY_FILE_NOTICE, openCliUe, plainSipAccount, resolveCliAccount, traceTap } from '../profile';
import { PageMessagingService, type IncomingPageMessage } from '../../../features/page/page-messaging';
import { acceptSessionsForListen } from '../support/chat';
import { accountMedia } from '../../../media/account-media';
import { acceptFilesForListen } from '../support/files';
import type { MessageView, SecurityView } from '../../../../app/ipc/contract';
import type { StoredMessage } from '../../../store';
import type { Ue } from '../../../ue/ue';
import { parseCommandArgs, type Command } from '../command';

const FLAGS: FlagSpecs = {
  ...ACCOUNT_FLAGS,
  json: { type: 'boolean', help: 'print one JSON object per line per message/event' },
  trace: {
    type: 'boolean',
    help: 'print "trace: in|out PEER CONTENT-TYPE" on stderr for each page-mode body (key requests, envelopes; no content)',
  },
  'download-dir': { type: 'string', arg: 'DIR', help: 'print incoming file offers (RFC 5547); with --accept-files save them into DIR' },
  'accept-files': { type: 'boolean', help: 'with --download-dir: accept every file offer (else they are declined, 603)' },
  plain: { type: 'boolean', help: 'raw listener: print every MESSAGE as received, no E2E, no profile keys (interop)' },
};

/** --plain JSON line of one raw MESSAGE. */
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
    e2e: 'off',
  };
}

export function messageHuman(m: IncomingPageMessage): string {
  const who = m.fromDisplayName ? `${m.fromDisplayName} <${m.from}>` : m.from;
  const what = m.text ?? `<${m.cpim?.contentType ?? m.contentType}, ${(m.cpim?.body ?? m.body).length} bytes>`;
  return `[${m.receivedAt.toISOString()}] ${who}: ${what}`;
}

/** JSON fields of one message received by the UE (docs/cli.md "listen"). */
export function ueMessageJson(v: MessageView, row: StoredMessage | null, me: string): Record<string, unknown> {
  const base = {
    from: v.sender,
    to: me,
    contentType: row?.contentType,
    mode: v.mode,
    receivedAt: new Date(row?.receivedAt ?? row?.createdAt ?? Date.now()).toISOString(),
    sentAt: new Date(v.at).toISOString(),
    imdnMessageId: row?.imdnMessageId ?? undefined,
    e2e: v.e2e.state,
    signatureValid: v.e2e.signatureValid,
    id: v.id,
    conversationId: v.conversationId,
  };
  if (v.failure) return { event: 'failure', code: v.failure.code, reason: v.failure.reason, ...base };
  return { event: 'message', ...base, text: v.text };
}

const E2E_NOTE: Record<string, string> = { on: '', psk: ' (pre-shared key)', off: ' (NOT end-to-end encrypted)' };

export function ueMessageHuman(v: MessageView, row: StoredMessage | null): string {
  const at = new Date(row?.receivedAt ?? row?.createdAt ?? Date.now()).toISOString();
  if (v.failure) return `! [${at}] ${v.sender}: message failed ${v.failure.code}: ${v.failure.reason}`;
  return `[${at}] ${v.sender}${v.mode === 'session' ? ' (session)' : ''}: ${v.text}${E2E_NOTE[v.e2e.state] ?? ''}`;
}

export const listenCommand: Command = {
  name: 'listen',
  flags: FLAGS,
  summary: 'register and print received messages (E2E page mode and MSRP sessions) until interrupted',
  usage: () => `usage: parley listen [--json] [--plain] [options]

Runs the profile's UE: registers, answers key requests, accepts incoming MSRP sessions (with the profile's identity
and pins) and prints each received message, decrypted (one JSON object per line with --json: event "message" with
from, to, contentType, text, mode (page|session), receivedAt, sentAt, imdnMessageId, e2e (on|psk|off), signatureValid;
event "failure" with code and reason for a message that could not be opened (E2E_TAMPERED...); event "key-changed").
--download-dir DIR: file offers print as file-offer / file-declined, or with --accept-files file-progress and
file-saved / file-failed lines (docs/file-transfer.md); E2E with the profile's identity (any file with --plain).
--plain: raw listener instead (no E2E, no key store): prints every MESSAGE as received, e2e "off".
A first line "registered as URI via PROXY" goes to stderr once registered, so scripts can wait for it.
Stops and unregisters on SIGINT/SIGTERM (exit 0). Exit 3 if registration fails, 5 on timeout.

options:
${formatFlags(FLAGS)}`,
  async run(argv: string[], io: Io, signal?: AbortSignal): Promise<number> {
    const p = parseCommandArgs(this, argv, io);
    if (!p) return EXIT.OK;
    if (p.positionals.length) throw new CliExit(EXIT.USAGE, `unexpected argument ${p.positionals[0]}`);
    const acc = await resolveCliAccount(p);
    const json = Boolean(p.flags.json);
    const downloadDir = p.flags['download-dir'] as string | undefined;
    if (p.flags['accept-files'] && !downloadDir) throw new CliExit(EXIT.USAGE, '--accept-files needs --download-dir DIR');
    const files = downloadDir ? { dir: resolve(downloadDir), accept: Boolean(p.flags['accept-files']), json, out: io.out } : undefined;
    if (files) {
      try {
        mkdirSync(files.dir, { recursive: true, mode: 0o700 });
      } catch (e) {
        throw new CliExit(EXIT.USAGE, `cannot create --download-dir ${files.dir}: ${(e as Error).message}`);
      }
    }
    if (p.flags.plain) return listenPlain(await plainSipAccount(acc), acc.timeoutMs, json, io, signal, files);

    let failure: CliExit | null = null;
    let stop: () => void = () => {};
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const printed = new Set<string>();
    const changed = new Set<string>();
    const traces: Array<['in' | 'out', { peer: string; contentType: string }]> = [];
    let me = acc.aor;
    let ue: Ue | null = null;
    // Subscribe before sign-in: messages stored by the network arrive right after the REGISTER.
    const onEvent = (u: Ue) =>
      u.subscribe((e) => {
        if (e.event === 'message.upserted') printMessage(u, e.payload);
        else if (e.event === 'security.changed') printSecurity(u, e.payload);
        else if (e.event === 'connection.changed' && ue) {
          const c = e.payload;
          if (c.state === 'error') {
            failure = new CliExit(EXIT.REGISTRATION, `registration lost: ${c.reason ?? 'error'}`);
            stop();
          } else if (c.state === 'reconnecting' || c.state === 'registered') io.err(`${c.state}${c.reason ? `: ${c.reason}` : ''}`);
        }
      });
    const printMessage = (u: Ue, v: MessageView) => {
      if (v.direction !== 'in' || printed.has(v.id) || (v.state !== 'received' && v.state !== 'failed')) return;
      printed.add(v.id);
      let row: StoredMessage | null;
      try {
        row = u.account()?.store.getMessage(Number(v.id)) ?? null;
      } catch {
        row = null;
      }
      if (row?.system) return; // key-change lines are printed from security.changed
      io.out(json ? JSON.stringify(ueMessageJson(v, row, me)) : ueMessageHuman(v, row));
    };
    const printSecurity = (u: Ue, s: SecurityView) => {
      if (s.peer.state !== 'changed') return;
      const peer = u.account()?.store.getConversation(Number(s.conversationId)).peer;
      if (changed.has(`${peer} ${s.peer.fingerprint}`)) return;
      changed.add(`${peer} ${s.peer.fingerprint}`);
      const line = { event: 'key-changed', peer, fingerprint: s.peer.fingerprint };
      io.out(
        json
          ? JSON.stringify(line)
          : `! ${peer} presented a new identity key (${s.peer.fingerprint}): check it (parley keys fingerprint) before trusting`,
      );
    };
    const opened = await openCliUe(acc, 'listen', { onUe: onEvent, ...(p.flags.trace ? { wireTap: (d, m) => traces.push([d, m]) } : {}) });
    ue = opened.ue;
    me = opened.aor;
    let transfers: { stop(): Promise<void> } | null = null;
    if (files) {
      const acct = ue.account()!;
      try {
        transfers = await acceptFilesForListen(acct, { ...files, security: acct.security });
      } catch (e) {
        await opened.close();
        throw new CliExit(EXIT.REGISTRATION, `file transfer setup failed: ${(e as Error).message}`);
      }
    }
    io.err(`registered as ${acc.aor} via ${acc.proxy}`);
    if (opened.keyFileNotice) io.err(KEY_FILE_NOTICE);
    // Trace lines wait for the readiness line (stored messages arrive right after the REGISTER).
    const tap = traceTap(io);
    for (const [d, m] of traces.splice(0)) tap(d, m);
    traces.push = (...items) => {
      for (const [d, m] of items) tap(d, m);
      return 0;
    };
    if (signal?.aborted) stop();
    signal?.addEventListener('abort', () => stop(), { once: true });
    await stopped;
    await transfers?.stop();
    await opened.close();
    if (failure) throw failure;
    io.err('unregistered');
    return EXIT.OK;
  },
};

type FileOptions = { dir: string; accept: boolean; json: boolean; out: (l: string) => void };

async function listenPlain(
  account: Awaited<ReturnType<typeof plainSipAccount>>,
  timeoutMs: number,
  json: boolean,
  io: Io,
  signal?: AbortSignal,
  files?: FileOptions,
): Promise<number> {
  const ua = await startRegistered(account, timeoutMs);
  const svc = new PageMessagingService(ua);
  svc.on('message', (m) => io.out(json ? JSON.stringify(messageJson(m)) : messageHuman(m)));
  const media = accountMedia(ua);
  const sessions = await acceptSessionsForListen(media, io.out, json);
  const transfers = files ? await acceptFilesForListen(media, { ...files, plain: true }) : null;
  io.err(`registered as ${account.aor} via ${account.proxy}`);
  io.err('notice: --plain: not end-to-end encrypted; messages are printed as received');
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
  await transfers?.stop();
  await sessions.stop();
  await media.close();
  await ua.stop();
  if (failure) throw failure;
  io.err('unregistered');
  return EXIT.OK;
}
