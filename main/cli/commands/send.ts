// `parley send TARGET TEXT`: one RFC 3428 page-mode MESSAGE; exit status reflects the final response.
import { readFileSync } from 'node:fs';
import { formatFlags, parseArgs, type FlagSpecs } from '../args';
import { ACCOUNT_FLAGS, resolveAccount } from '../account';
import { CliExit, EXIT, UsageError } from '../exit-codes';
import { startRegistered, type Io } from '../session';
import { PageMessagingService } from '../../services/page-messaging';
import type { Command } from '../command';

const FLAGS: FlagSpecs = {
  ...ACCOUNT_FLAGS,
  type: { type: 'string', arg: 'MIME', help: 'Content-Type of the body (default text/plain;charset=utf-8)' },
  'file-body': { type: 'string', arg: 'PATH', help: 'send the bytes of PATH as the body instead of TEXT (binary-safe)' },
  cpim: { type: 'boolean', help: 'wrap in message/cpim with an IMDN Message-ID and DateTime' },
};

export const sendCommand: Command = {
  name: 'send',
  summary: 'send one page-mode message (SIP MESSAGE) and report its outcome',
  usage: () => `usage: parley send TARGET [TEXT] [options]

Sends one SIP MESSAGE to TARGET (sip:bob@parley.test or bob) and prints the outcome:
  delivered            200 OK from the recipient                        exit 0
  stored by network    202 Accepted: the network stores and forwards    exit 0
  failed CODE REASON   SIP failure response                             exit 4
Exit 2 usage error, 3 registration failure (auth/TLS), 5 timeout.

options:
${formatFlags(FLAGS)}`,
  async run(argv: string[], io: Io): Promise<number> {
    const p = parseArgs(argv, FLAGS);
    if (p.flags.help) {
      io.out(this.usage());
      return EXIT.OK;
    }
    const [target, text, ...extra] = p.positionals;
    if (!target) throw new UsageError('missing TARGET');
    if (extra.length) throw new UsageError(`unexpected argument ${extra[0]} (quote the text)`);
    const file = p.flags['file-body'] as string | undefined;
    if (file && text !== undefined) throw new UsageError('give either TEXT or --file-body, not both');
    if (!file && text === undefined) throw new UsageError('missing TEXT (or --file-body PATH)');
    const { account, timeoutMs } = resolveAccount(p);
    let body: Uint8Array | undefined;
    if (file) {
      try {
        body = new Uint8Array(readFileSync(file));
      } catch (e) {
        throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
      }
    }
    const domain = account.aor.split('@')[1];
    const to = /^sips?:/i.test(target) ? target : `sip:${target.includes('@') ? target : `${target}@${domain}`}`;
    const ua = await startRegistered(account, timeoutMs);
    try {
      const svc = new PageMessagingService(ua, { sendTimeoutMs: timeoutMs });
      const out = await svc.send(to, {
        text: body ? undefined : text,
        body,
        contentType: (p.flags.type as string | undefined) ?? (body ? 'application/octet-stream' : undefined),
        cpim: Boolean(p.flags.cpim),
      });
      const id = out.imdnMessageId ? ` (imdn ${out.imdnMessageId})` : '';
      if (out.status === 'failed') {
        const code = out.errorCode === 'SIP_TIMEOUT' ? EXIT.TIMEOUT : out.errorCode === 'SIP_TRANSPORT_ERROR' ? EXIT.REGISTRATION : EXIT.SIP_FAILURE;
        throw new CliExit(code, `failed ${out.code} ${out.reason}`);
      }
      io.out(out.status === 'delivered' ? `delivered${id}` : `stored by network${id}`);
      return EXIT.OK;
    } finally {
      await ua.stop();
    }
  },
};
