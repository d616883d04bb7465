// `parley send TARGET TEXT`: one message, end-to-end encrypted through a full UE on the profile (key discovery, pins,
// history); `--plain` (or --type/--file-body/--cpim) sends one raw RFC 3428 page-mode MESSAGE. Exit status = outcome.
import { readFileSync } from 'node:fs';
import { formatFlags, type FlagSpecs, type Parsed } from '../args';
import { ACCOUNT_FLAGS } from '../account';
import { CliExit, EXIT, exitCodeFor, UsageError } from '../exit-codes';
import { startRegistered, type Io } from '../ua-run';
import { KEY_FILE_NOTICE, openCliUe, plainSipAccount, resolveCliAccount, traceTap } from '../profile';
import { PageMessagingService } from '../../../features/page/page-messaging';
import { sendWithUe, type SendOnceResult } from '../../../ue/oneshot';
import { parseCommandArgs, type Command } from '../command';

const FLAGS: FlagSpecs = {
  ...ACCOUNT_FLAGS,
  plain: { type: 'boolean', help: 'send a plain page-mode MESSAGE, NOT end-to-end encrypted (for peers that are not Parley)' },
  mode: { type: 'string', arg: 'MODE', help: 'E2E send: auto (default: page, session over 1300 bytes), page or session (MSRP)' },
  json: { type: 'boolean', help: 'print the outcome as one JSON object' },
  trace: { type: 'boolean', help: 'E2E send: print "trace: in|out PEER CONTENT-TYPE" on stderr for each page-mode body (no content)' },
  type: { type: 'string', arg: 'MIME', help: 'Content-Type of the body (default text/plain;charset=utf-8); implies --plain' },
  'file-body': { type: 'string', arg: 'PATH', help: 'send the bytes of PATH as the body instead of TEXT (binary-safe); implies --plain' },
  cpim: { type: 'boolean', help: 'wrap in message/cpim with an IMDN Message-ID and DateTime; implies --plain' },
};

export const PLAIN_NOTICE = 'notice: not end-to-end encrypted (plain page-mode MESSAGE)';

const E2E_WORDS: Record<SendOnceResult['e2e'], string> = {
  on: 'end-to-end encrypted',
  psk: 'end-to-end encrypted, pre-shared key',
  off: 'NOT end-to-end encrypted',
};

export const sendCommand: Command = {
  name: 'send',
  flags: FLAGS,
  summary: 'send one message, end-to-end encrypted (or --plain: one raw SIP MESSAGE), and report its outcome',
  usage: () => `usage: parley send TARGET [TEXT] [options]

Sends TEXT to TARGET (sip:bob@parley.test or bob), end-to-end encrypted through the profile's key store, and prints:
  delivered (end-to-end encrypted)            accepted by the recipient (200)                   exit 0
  stored by network (end-to-end encrypted)    202 Accepted: the network stores and forwards     exit 0
  failed CODE REASON                          SIP failure response (404, 603...)                exit 4
When the peer's key is not known yet a key request goes out and the command waits (up to --timeout) for the answer;
without one: "waiting for the peer's key (message stays queued in the profile)", exit 5 (the next run sends it).
A peer whose key changed is refused (exit 6) until accepted with 'parley keys accept PEER'.
--plain sends one plain MESSAGE instead (also implied by --type, --file-body, --cpim): "delivered", "stored by network"
(with "(imdn ID)" when --cpim), and a "not end-to-end encrypted" notice on stderr.
Exit 2 usage error, 3 registration failure (auth/TLS), 5 timeout.

options:
${formatFlags(FLAGS)}`,
  async run(argv: string[], io: Io): Promise<number> {
    const p = parseCommandArgs(this, argv, io);
    if (!p) return EXIT.OK;
    const [target, text, ...extra] = p.positionals;
    if (!target) throw new UsageError('missing TARGET');
    if (extra.length) throw new UsageError(`unexpected argument ${extra[0]} (quote the text)`);
    const file = p.flags['file-body'] as string | undefined;
    if (file && text !== undefined) throw new UsageError('give either TEXT or --file-body, not both');
    if (!file && text === undefined) throw new UsageError('missing TEXT (or --file-body PATH)');
    const mode = (p.flags.mode as string | undefined) ?? 'auto';
    if (!['auto', 'page', 'session'].includes(mode)) throw new UsageError('--mode is auto, page or session');
    const plain = Boolean(p.flags.plain || p.flags.type || file || p.flags.cpim);
    if (plain && p.flags.mode) throw new UsageError('--mode applies to end-to-end sends only (not with --plain/--type/--file-body/--cpim)');
    if (p.flags['save-password']) io.err('notice: --save-password is no longer needed: the password is sealed in the profile key store');
    const acc = await resolveCliAccount(p);
    const domain = acc.aor.split('@')[1];
    const to = /^sips?:/i.test(target) ? target : `sip:${target.includes('@') ? target : `${target}@${domain}`}`;
    if (plain) return sendPlain(p.flags, to, text, file, acc.timeoutMs, await plainSipAccount(acc), io);

    const { ue, keyFileNotice, close } = await openCliUe(acc, 'send', p.flags.trace ? { wireTap: traceTap(io) } : {});
    let r: SendOnceResult;
    try {
      if (keyFileNotice) io.err(KEY_FILE_NOTICE);
      r = await sendWithUe(ue, { peer: to, text: text!, mode: mode as 'auto', timeoutMs: acc.timeoutMs });
    } finally {
      await close();
    }
    if (p.flags.json) io.out(JSON.stringify({ peer: to, ...r }));
    if (r.timedOut) {
      if (r.state === 'queued') throw new CliExit(EXIT.TIMEOUT, "waiting for the peer's key (message stays queued in the profile)");
      throw new CliExit(
        EXIT.TIMEOUT,
        `no answer within ${acc.timeoutMs / 1000} s (state ${r.state}; the message stays in the profile and is retried by the next run)`,
      );
    }
    if (r.state === 'failed') {
      const code = r.failure?.code ?? 'FAILED';
      const hint =
        code === 'PEER_KEY_CHANGED' ? ` (check the new key: parley keys fingerprint ${target}; then parley keys accept ${target})` : '';
      throw new CliExit(exitCodeFor(code, EXIT.INTERNAL), `failed ${code} ${r.failure?.reason ?? ''}${hint}`.trim());
    }
    if (!p.flags.json) io.out(`${r.state === 'stored' ? 'stored by network' : 'delivered'} (${E2E_WORDS[r.e2e]})`);
    return EXIT.OK;
  },
};

async function sendPlain(
  flags: Parsed['flags'],
  to: string,
  text: string | undefined,
  file: string | undefined,
  timeoutMs: number,
  account: Awaited<ReturnType<typeof plainSipAccount>>,
  io: Io,
): Promise<number> {
  let body: Uint8Array | undefined;
  if (file) {
    try {
      body = new Uint8Array(readFileSync(file));
    } catch (e) {
      throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
    }
  }
  io.err(PLAIN_NOTICE);
  const ua = await startRegistered(account, timeoutMs);
  try {
    const svc = new PageMessagingService(ua, { sendTimeoutMs: timeoutMs });
    const out = await svc.send(to, {
      text: body ? undefined : text,
      body,
      contentType: (flags.type as string | undefined) ?? (body ? 'application/octet-stream' : undefined),
      cpim: Boolean(flags.cpim),
    });
    const id = out.imdnMessageId ? ` (imdn ${out.imdnMessageId})` : '';
    if (out.status === 'failed') {
      throw new CliExit(exitCodeFor(out.errorCode, EXIT.SIP_FAILURE), `failed ${out.code} ${out.reason}`);
    }
    if (flags.json) io.out(JSON.stringify({ peer: to, state: out.status, e2e: 'off', imdnMessageId: out.imdnMessageId }));
    else io.out(out.status === 'sent' ? `delivered${id}` : `stored by network${id}`);
    return EXIT.OK;
  } finally {
    await ua.stop();
  }
}
