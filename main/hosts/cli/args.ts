// Command-line flag parsing for the parley CLI: declared flags only, `--flag value` / `--flag=value`, booleans, positionals.
import { UsageError } from './exit-codes';

export interface FlagSpec {
  /** Takes a value (string) or is a boolean switch. */
  type: 'string' | 'boolean';
  help: string;
  /** Placeholder shown in help, e.g. FILE. */
  arg?: string;
}

export type FlagSpecs = Record<string, FlagSpec>;

export interface Parsed {
  flags: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** Parses argv against specs; unknown flags and missing values are UsageErrors. `--` ends flags. */
export function parseArgs(argv: string[], specs: FlagSpecs): Parsed {
  const flags: Parsed['flags'] = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('--') || a === '-') {
      if (/^-[a-zA-Z]$/.test(a) && a !== '-h') throw new UsageError(`unknown option ${a}`);
      if (a === '-h') {
        flags.help = true;
        continue;
      }
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    const spec = specs[name];
    if (!spec) throw new UsageError(`unknown option --${name}`);
    if (spec.type === 'boolean') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
    } else {
      const v = eq >= 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new UsageError(`--${name} needs a value${spec.arg ? ` (${spec.arg})` : ''}`);
      flags[name] = v;
    }
  }
  return { flags, positionals };
}

export function formatFlags(specs: FlagSpecs): string {
  const rows = Object.entries(specs).map(([n, s]) => [`--${n}${s.type === 'string' ? ` ${s.arg ?? 'VALUE'}` : ''}`, s.help]);
  const w = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([a, h]) => `  ${a.padEnd(w)}  ${h}`).join('\n');
}
