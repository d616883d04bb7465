// `parley chat TARGET`: an interactive MSRP session (RFC 4975) set up by INVITE: stdin lines are sent, received messages
// printed; ends with BYE when stdin ends or on SIGINT/SIGTERM, and exits when the peer hangs up. The session's E2E
// identity and pins are the profile's (the UE's key store): the peer sees the same key on every run.
import { createInterface } from 'node:readline';
import { formatFlags, type FlagSpecs } from '../args';
import { ACCOUNT_FLAGS } from '../account';
import { CliExit, EXIT, exitCodeOf, UsageError } from '../exit-codes';
import type { Io } from '../ua-run';
import { KEY_FILE_NOTICE, openCliUe, resolveCliAccount } from '../profile';
import { isParleyError } from '../../../base/errors';
import { ChatSessionManager } from '../../../features/session/manager';
import { normalizeTarget } from '../../../security/aor';
import { outcomeLine, printSession } from '../support/chat';
import { MSRP_FLAGS, relayFromFlags } from '../relay-flags';
import { parseCommandArgs, type Command } from '../command';

const FLAGS: FlagSpecs = {
  ...ACCOUNT_FLAGS,
  json: { type: 'boolean', help: 'print one JSON object per event line (established, message, sent, delivery, typing, closed, error)' },
  ...MSRP_FLAGS,
  plaintext: { type: 'boolean', help: 'allow a session without end-to-end encryption when the peer cannot do it' },
};

/** Lines to send; the command ends the session when it ends. */
export type LineSource = AsyncIterable<string>;

export async function runChat(argv: string[], io: Io, signal: AbortSignal | undefined, input: LineSource): Promise<number> {
  const p = parseCommandArgs(chatCommand, argv, io);
  if (!p) return EXIT.OK;
  const [target, ...extra] = p.positionals;
  if (!target) throw new UsageError('missing TARGET');
  if (extra.length) throw new UsageError(`unexpected argument ${extra[0]}`);
  const acc = await resolveCliAccount(p);
  const { timeoutMs } = acc;
  const json = Boolean(p.flags.json);
  // The UE gives the profile's key store, pins, registration and the account's MSRP endpoint (with the relay asked
  // for); its own session feature stays off: this command's session manager takes the chat INVITEs.
  const relay = relayFromFlags(p, acc);
  const { ue, keyFileNotice, close } = await openCliUe(acc, 'chat', { sessions: false, msrp: { relay } });
  if (keyFileNotice) io.err(KEY_FILE_NOTICE);
  const acct = ue.account()!;
  const account = acct.ua.account;
  let mgr: ChatSessionManager;
  try {
    mgr = new ChatSessionManager({
      ua: acct.ua,
      endpoint: acct.endpoint,
      router: acct.router,
      security: acct.security,
      policy: p.flags.plaintext ? 'allow-plaintext' : 'require',
      tls: Boolean(p.flags.tls),
    });
    mgr.on('error', () => {});
    await mgr.start();
  } catch (e) {
    await close();
    // Setting up MSRP (listeners, relay AUTH) belongs to signing in: any failure exits 3 whatever its code (docs/cli.md).
    throw new CliExit(EXIT.REGISTRATION, `MSRP setup failed [${isParleyError(e) ? e.code : 'ERROR'}]: ${(e as Error).message}`);
  }
  const to = normalizeTarget(target, account.aor);
  const ac = new AbortController();
  const onAbort = () => ac.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    let session;
    try {
      session = await mgr.open(to, { signal: ac.signal, timeoutMs });
    } catch (e) {
      const code = isParleyError(e) ? e.code : 'ERROR';
      const status = isParleyError(e) ? (e.details?.status as number | undefined) : undefined;
      if (code === 'SESSION_CANCELLED' && signal?.aborted) return EXIT.OK;
      const exit = exitCodeOf(e, status ? EXIT.SIP_FAILURE : EXIT.INTERNAL);
      if (code === 'PEER_KEY_CHANGED')
        throw new CliExit(
          exit,
          `session refused [${code}]: ${(e as Error).message} (check: parley keys fingerprint ${target}; accept: parley keys accept ${target})`,
        );
      throw new CliExit(exit, `session failed [${code}]: ${(e as Error).message}`);
    }
    const done = printSession(session, io.out, json);
    const stop = () => session.close();
    signal?.addEventListener('abort', stop, { once: true });
    const sender = (async () => {
      for await (const line of input) {
        if (session.state !== 'established') break;
        if (line.length === 0) continue;
        const out = await session.send(line);
        io.out(outcomeLine(out, json));
      }
      session.close(); // stdin ended: BYE
    })();
    await done;
    void sender.catch(() => {});
    return EXIT.OK;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await mgr.stop();
    await close();
  }
}

export const chatCommand: Command = {
  name: 'chat',
  flags: FLAGS,
  summary: 'interactive MSRP chat session (INVITE), end-to-end encrypted',
  usage: () => `usage: parley chat TARGET [--json] [--relay] [options]

Opens an MSRP session with TARGET (sip:bob@parley.test or bob) by INVITE. Each line read from stdin is sent as a
message (delivery outcome printed); received messages are printed. The session is end-to-end encrypted
(a=key-mgmt, refused when the peer cannot do it unless --plaintext) with the profile's identity key and pins, so the
peer sees the same key on every run (a changed peer key refuses the session: exit 6). Ends with BYE when stdin ends or on
SIGINT/SIGTERM; exits 0 when the peer hangs up. Exit 4 if the peer declines/refuses (603/488...), 5 on no answer.

options:
${formatFlags(FLAGS)}`,
  run(argv: string[], io: Io, signal?: AbortSignal): Promise<number> {
    const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
    return runChat(argv, io, signal, bufferedLines(rl)).finally(() => rl.close());
  },
};

/** Lines read from the start (readline's own iterator drops lines emitted before iteration begins, e.g. piped input
 *  that arrives while registering). */
export function bufferedLines(rl: {
  on(ev: 'line', f: (l: string) => void): unknown;
  on(ev: 'close', f: () => void): unknown;
}): LineSource {
  const q: string[] = [];
  let done = false;
  let wake: (() => void) | null = null;
  rl.on('line', (l) => {
    q.push(l);
    wake?.();
  });
  rl.on('close', () => {
    done = true;
    wake?.();
  });
  return {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (q.length) yield q.shift()!;
        else if (done) return;
        else {
          await new Promise<void>((r) => (wake = r));
          wake = null;
        }
      }
    },
  };
}
