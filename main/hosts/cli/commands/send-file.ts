// `parley send-file TARGET PATH`: one RFC 5547 file transfer over SIP INVITE + MSRP, end-to-end encrypted, with progress.
import { formatFlags, type FlagSpecs } from '../args';
import { ACCOUNT_FLAGS } from '../account';
import { CliExit, EXIT, UsageError } from '../exit-codes';
import type { Io } from '../ua-run';
import { KEY_FILE_NOTICE, openCliUe, resolveCliAccount } from '../profile';
import { isParleyError } from '../../../base/errors';
import { cliTransferManager } from '../support/files';
import { MSRP_FLAGS, relayFromFlags } from '../relay-flags';
import { parseCommandArgs, type Command } from '../command';

const FLAGS: FlagSpecs = {
  ...ACCOUNT_FLAGS,
  json: { type: 'boolean', help: 'print JSON lines: {"event":"progress",...} and a final {"event":"result",...}' },
  ...MSRP_FLAGS,
  plain: { type: 'boolean', help: 'do NOT encrypt end to end (the file travels readable by relays)' },
  'show-name': { type: 'boolean', help: 'put the real file name in SDP (default: a neutral name; the real one is encrypted)' },
  name: { type: 'string', arg: 'NAME', help: 'file name to offer (default: the basename of PATH)' },
};

export const sendFileCommand: Command = {
  name: 'send-file',
  flags: FLAGS,
  summary: 'send a file (RFC 5547 over MSRP), end-to-end encrypted, with progress',
  usage: () => `usage: parley send-file TARGET PATH [--json] [--relay] [options]

Offers PATH to TARGET (sip:bob@parley.test or bob) in an INVITE (a=sendonly, a=file-selector), waits for the user there
to accept, streams it over MSRP and prints progress and the outcome:
  delivered            the receiver confirmed every byte (final Success-Report)       exit 0
  sent                 all chunks acknowledged, no final report seen                   exit 0
  declined CODE TEXT   the receiver (or its size limit: FILE_TOO_LARGE) refused        exit 4
  failed CODE TEXT     the transfer broke (FILE_HASH_MISMATCH, FILE_CONNECTION_LOST..) exit 1
  cancelled            SIGINT/SIGTERM, or the receiver cancelled                        exit 1
The receiver can resume an interrupted transfer while this side is still offering it.

options:
${formatFlags(FLAGS)}`,
  async run(argv: string[], io: Io, signal?: AbortSignal): Promise<number> {
    const p = parseCommandArgs(this, argv, io);
    if (!p) return EXIT.OK;
    const [target, file, ...extra] = p.positionals;
    if (!target || !file) throw new UsageError('need TARGET and PATH');
    if (extra.length) throw new UsageError(`unexpected argument ${extra[0]}`);
    const json = Boolean(p.flags.json);
    const acc = await resolveCliAccount(p);
    // The profile's UE gives the key store, pins, registration (so receivers that pinned this profile's key accept the
    // offer) and the account's MSRP endpoint (with the relay asked for); its session feature stays off.
    const relay = relayFromFlags(p, acc);
    const { ue, keyFileNotice, close } = await openCliUe(acc, 'send-file', { sessions: false, msrp: { relay } });
    if (keyFileNotice) io.err(KEY_FILE_NOTICE);
    const acct = ue.account()!;
    let mgr: Awaited<ReturnType<typeof cliTransferManager>> | undefined;
    try {
      mgr = await cliTransferManager(acct, {
        security: acct.security,
        tls: Boolean(p.flags.tls),
        plain: Boolean(p.flags.plain),
      });
      let t;
      try {
        t = await mgr.sendFile(target, file, {
          protect: !p.flags.plain,
          hideName: !p.flags['show-name'],
          name: p.flags.name as string | undefined,
        });
      } catch (e) {
        if (isParleyError(e) && /^FILE_(READ_FAILED|NOT_REGULAR)$/.test(e.code)) throw new UsageError(e.message);
        throw e;
      }
      const onAbort = () => t.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
      if (!json)
        io.err(`offering ${file} (${t.file.size} bytes${t.protected ? ', end-to-end encrypted' : ', NOT encrypted'}) to ${t.peer}`);
      t.on('accepted', () => io.out(json ? JSON.stringify({ event: 'accepted' }) : 'accepted'));
      t.on('progress', (pr) => {
        if (json) io.out(JSON.stringify({ event: 'progress', ...pr }));
        else
          io.out(
            `${((pr.bytes / Math.max(1, pr.total)) * 100).toFixed(1)}%  ${pr.bytes}/${pr.total} bytes  ${(pr.rate / 1e6).toFixed(1)} MB/s  ETA ${pr.etaSeconds ?? '?'} s`,
          );
      });
      const out = await t.result;
      signal?.removeEventListener('abort', onAbort);
      // The CLI's result line keeps its documented keys: code = the stable error code, sipStatus = the SIP status.
      const { code: sipStatus, errorCode: code, ...rest } = out;
      io.out(
        json
          ? JSON.stringify({ event: 'result', ...rest, ...(sipStatus !== undefined ? { sipStatus } : {}), ...(code ? { code } : {}) })
          : `${out.status}${code ? ` ${code}` : ''}${out.reason ? ` ${out.reason}` : ''}`,
      );
      if (out.status === 'delivered' || out.status === 'sent') return EXIT.OK;
      if (out.status === 'declined') return EXIT.SIP_FAILURE;
      return EXIT.INTERNAL;
    } catch (e) {
      if (e instanceof CliExit) throw e;
      throw new CliExit(EXIT.INTERNAL, `send-file failed [${isParleyError(e) ? e.code : 'ERROR'}]: ${(e as Error).message}`);
    } finally {
      await mgr?.stop().catch(() => {});
      await close().catch(() => {});
    }
  },
};
