// The shape of one CLI command module (main/hosts/cli/commands/*.ts), registered in main/hosts/cli/index.ts.
import { parseArgs, type FlagSpecs, type Parsed } from './args';
import type { Io } from './ua-run';

export interface Command {
  name: string;
  summary: string;
  /** Its flags: parsed by main/hosts/cli/args.ts, listed in its usage; options may also stand before the command. */
  flags: FlagSpecs;
  usage(): string;
  /** Runs with the arguments after the command name; returns the exit code or throws CliExit. */
  run(argv: string[], io: Io, signal?: AbortSignal): Promise<number>;
}

/** `argv` parsed with the command's flags; with --help its usage is printed instead and the result is undefined (exit 0). */
export function parseCommandArgs(cmd: Pick<Command, 'flags' | 'usage'>, argv: string[], io: Io): Parsed | undefined {
  const p = parseArgs(argv, cmd.flags);
  if (!p.flags.help) return p;
  io.out(cmd.usage());
  return undefined;
}
