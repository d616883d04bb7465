// Command-line flag parsing for the parley CLI on node's util.parseArgs (docs/architecture.md "Libraries"): node splits
// argv into tokens (`--flag value`, `--flag=value`, `--`, short `-h`), this module keeps the CLI's rules on top: declared
// flags only, a value where one is needed and none where it is not, each refusal a UsageError (exit 2) naming the flag.
import { parseArgs as tokenize, type ParseArgsConfig } from 'node:util';
import { UsageError } from './exit-codes';

export interface FlagSpec {
  /** Takes a value (string) or is a boolean switch. */
  type: 'string' | 'boolean';
  help: string;
  /** Placeholder shown in help, e.g. FILE. */
  arg?: string;
  /** A string flag that may be repeated: its value is the list of every occurrence. */
  multiple?: boolean;
}

export type FlagSpecs = Record<string, FlagSpec>;

export interface Parsed {
  flags: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

type Token = NonNullable<ReturnType<typeof tokenize>['tokens']>[number];

/** node's tokens for argv under specs (non-strict: this module judges each option token itself). `-h` is `--help`. */
function tokens(argv: string[], specs: FlagSpecs): Token[] {
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, s] of Object.entries(specs)) options[name] = { type: s.type, ...(name === 'help' ? { short: 'h' } : {}) };
  return tokenize({ args: argv, options, strict: false, allowPositionals: true, tokens: true }).tokens;
}

/** Parses argv against specs; unknown flags, missing values and values given to switches are UsageErrors.
 *  `--` ends the flags: everything after it is positional. A string flag takes the next argument even when it starts
 *  with '-' (`--subject -x-`); a positional starting with '-' goes after `--`. A repeated flag keeps its last value
 *  unless the spec says `multiple`. */
export function parseArgs(argv: string[], specs: FlagSpecs): Parsed {
  const flags: Parsed['flags'] = {};
  const positionals: string[] = [];
  for (const t of tokens(argv, specs)) {
    if (t.kind === 'positional') positionals.push(t.value);
    if (t.kind !== 'option') continue;
    const name = t.rawName === '-h' ? 'help' : t.name;
    const spec = Object.prototype.hasOwnProperty.call(specs, name) ? specs[name] : undefined;
    if (!spec || (t.rawName.length === 2 && t.rawName !== '-h'))
      throw new UsageError(`unknown option ${t.rawName}${/^-\d/.test(t.rawName) ? " (put text starting with '-' after --)" : ''}`);
    if (spec.type === 'boolean') {
      if (t.value !== undefined) throw new UsageError(`${t.rawName} takes no value`);
      flags[name] = true;
    } else if (t.value === undefined) {
      throw new UsageError(`${t.rawName} needs a value${spec.arg ? ` (${spec.arg})` : ''}`);
    } else if (spec.multiple) {
      flags[name] = [...((flags[name] as string[] | undefined) ?? []), t.value];
    } else flags[name] = t.value;
  }
  return { flags, positionals };
}

/** Options may stand before the command (`parley --profile P send bob hi`): returns argv with the first positional
 *  (the command) moved to the front, the options kept in order for the command's own parser (which judges them).
 *  `specs` is the union of every command's flags, used only to know which flags take a value. */
export function commandFirst(argv: string[], specs: FlagSpecs): string[] {
  const first = tokens(argv, specs).find((t) => t.kind === 'positional' || t.kind === 'option-terminator');
  if (!first || first.kind !== 'positional' || first.index === 0) return argv;
  return [first.value, ...argv.slice(0, first.index), ...argv.slice(first.index + 1)];
}

export function formatFlags(specs: FlagSpecs): string {
  const rows = Object.entries(specs).map(([n, s]) => [`--${n}${s.type === 'string' ? ` ${s.arg ?? 'VALUE'}` : ''}`, s.help]);
  const w = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([a, h]) => `  ${a.padEnd(w)}  ${h}`).join('\n');
}
