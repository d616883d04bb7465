// parley CLI entry: `parley <command> [args]`; each command is a module in main/hosts/cli/commands/ registered below.
import { commandFirst, formatFlags, type FlagSpecs } from './args';
import { CliExit, EXIT } from './exit-codes';
import { defaultIo, type Io } from './ua-run';
import type { Command } from './command';
import { sendCommand } from './commands/send';
import { listenCommand } from './commands/listen';
import { chatCommand } from './commands/chat';
import { keysCommand } from './commands/keys';
import { sendFileCommand } from './commands/send-file';
import { confCommand } from './commands/conf';
import { ACCOUNT_FLAGS } from './account';

/** Add new commands (chat, send-file, keys, conf) here. */
export const COMMANDS: Command[] = [sendCommand, listenCommand, chatCommand, sendFileCommand, confCommand, keysCommand];

/** Every command's flags (for `commandFirst` to tell a flag's value from the command name). */
const ALL_FLAGS: FlagSpecs = Object.assign({}, ...COMMANDS.map((c) => c.flags));

export function usage(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return `usage: parley [options] <command> [arguments] [options]

commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`).join('\n')}
  ${'help'.padEnd(w)}  show help (parley help <command>)

account options (send, listen, chat, conf):
${formatFlags(ACCOUNT_FLAGS)}

Messages are end-to-end encrypted by default with the profile's identity key (--profile DIR, $PARLEY_PROFILE or
~/.config/parley-cli; PARLEY_PASSPHRASE unlocks a passphrase-protected key store). Reference: docs/cli.md.

exit codes: 0 ok, 1 internal error, 2 usage/profile, 3 registration failure (auth/TLS), 4 SIP failure response,
5 timeout (or still waiting for the peer's key), 6 safety number mismatch / peer key changed, 7 peer key unknown`;
}

export async function main(argv: string[], io: Io = defaultIo, signal?: AbortSignal): Promise<number> {
  const [name, ...rest] = commandFirst(argv, ALL_FLAGS);
  try {
    if (!name || name === 'help' || name === '--help' || name === '-h') {
      const [first] = commandFirst(rest, ALL_FLAGS);
      const asked = first?.startsWith('-') ? undefined : first;
      const sub = name === 'help' ? COMMANDS.find((c) => c.name === asked) : undefined;
      if (name === 'help' && asked && !sub) throw new CliExit(EXIT.USAGE, `unknown command ${asked}`);
      (name ? io.out : io.err)(sub ? sub.usage() : usage());
      return name ? EXIT.OK : EXIT.USAGE;
    }
    if (name.startsWith('-')) throw new CliExit(EXIT.USAGE, 'missing command');
    const cmd = COMMANDS.find((c) => c.name === name);
    if (!cmd) throw new CliExit(EXIT.USAGE, `unknown command ${name}`);
    return await cmd.run(rest, io, signal);
  } catch (e) {
    if (e instanceof CliExit) {
      io.err(`parley: ${e.message}`);
      if (e.exitCode === EXIT.USAGE) io.err(`try: parley help${name && COMMANDS.some((c) => c.name === name) ? ` ${name}` : ''}`);
      return e.exitCode;
    }
    io.err(`parley: internal error: ${(e as Error)?.stack ?? e}`);
    return EXIT.INTERNAL;
  }
}

/** Process entry used by bin/parley.mjs: wires SIGINT/SIGTERM to an AbortSignal and exits with the command's code. */
export async function runProcess(argv = process.argv.slice(2)): Promise<never> {
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const code = await main(argv, defaultIo, ac.signal);
  // Flush stdout before exiting (pipes are asynchronous).
  await new Promise<void>((r) => process.stdout.write('', () => r()));
  process.exit(code);
}
