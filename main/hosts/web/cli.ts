// `npm run start:web` (tsx main/hosts/web/cli.ts): the real UE (main/ue/ue.ts) for a profile directory behind the web
// host on 127.0.0.1; prints the URL with its token; clean shutdown (unregister, close stores) on SIGINT/SIGTERM.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { createUe, type Ue } from '../../ue/ue';
import { PickedFiles } from '../../features/picked-files';
import { defaultLabFactory } from '../lab';
import { DEFAULT_RENDERER_DIR, startWebHost, type WebHost } from './server';

export const DEFAULT_PROFILE_DIR = join(homedir(), '.config', 'parley-web');

export const USAGE = `usage: npm run start:web -- [--profile DIR] [--port N] [--renderer DIR] [--lab [USER]] [--send-from DIR]... [--verbose]

  --profile DIR    profile directory (default ~/.config/parley-web): account.json, keys, history
  --port N         port on 127.0.0.1 (default: a free port)
  --renderer DIR   built renderer (default dist/renderer; build it with: node scripts/build-renderer.mjs)
  --lab [USER]     sign in to the local lab as USER (default alice), starting the lab if none is running
  --send-from DIR  files under DIR may be sent (repeatable); the browser cannot make the host read anything else
  --verbose        log UE and host diagnostics to stderr

The key store is unlocked with PARLEY_PASSPHRASE when set; otherwise a random key file in the profile directory
(mode 0600) is used - a weaker fallback for development: anyone who can read the profile can read the keys.`;

export interface HostCliOptions {
  profileDir: string;
  port: number;
  rendererDir: string;
  labUser?: string;
  /** Folders whose files the browser may name in files.send (the host's stand-in for a file dialog, issue 12). */
  sendFrom?: string[];
  verbose: boolean;
  help: boolean;
}

export function parseHostArgs(argv: string[]): HostCliOptions {
  const o: HostCliOptions = { profileDir: DEFAULT_PROFILE_DIR, port: 0, rendererDir: DEFAULT_RENDERER_DIR, verbose: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--profile') o.profileDir = resolve(value());
    else if (a === '--port') {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error('--port must be 0..65535');
      o.port = n;
    } else if (a === '--renderer') o.rendererDir = resolve(value());
    else if (a === '--lab') o.labUser = argv[i + 1] && !argv[i + 1]!.startsWith('--') ? argv[++i] : 'alice';
    else if (a === '--send-from') (o.sendFrom ??= []).push(resolve(value()));
    else if (a === '--verbose') o.verbose = true;
    else if (a === '--help' || a === '-h') o.help = true;
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

export interface RunningHost {
  ue: Ue;
  host: WebHost;
  stop(): Promise<void>;
}

/** Creates the UE and the web host; used by main() and by tests. */
export async function startHost(o: HostCliOptions, log: (l: string) => void): Promise<RunningHost> {
  const pickedFiles = new PickedFiles();
  for (const d of o.sendFrom ?? []) pickedFiles.allowUnder(d);
  const ue = await createUe({
    profileDir: o.profileDir,
    labFactory: defaultLabFactory,
    pickedFiles,
    log: o.verbose ? (l) => log(`ue: ${l}`) : undefined,
  });
  let host: WebHost;
  try {
    host = await startWebHost({ backend: ue, port: o.port, rootDir: o.rendererDir, log: o.verbose ? log : undefined });
  } catch (e) {
    await ue.close();
    throw e;
  }
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      await host.close();
      await ue.close();
    })());
  return { ue, host, stop };
}

async function main(): Promise<void> {
  let o: HostCliOptions;
  try {
    o = parseHostArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (o.help) {
    console.log(USAGE);
    return;
  }
  if (!existsSync(join(o.rendererDir, 'index.html')))
    console.error(`warning: no renderer in ${o.rendererDir}: run node scripts/build-renderer.mjs first`);
  const log = (l: string) => console.error(l);
  const run = await startHost(o, log);
  if (run.ue.keyProtection() === 'key-file') {
    console.error('warning: key store protected by a key file in the profile (set PARLEY_PASSPHRASE for passphrase protection)');
  }
  await run.ue.ready;
  if (o.labUser) {
    const acc = await run.ue.accountUseLocalLab({ user: o.labUser });
    console.error(`signed in as ${acc.aor} on the local lab`);
  }
  console.log(`Parley web host (profile ${o.profileDir}) at:\n\n  ${run.host.url}\n\nCtrl-C to stop.`);
  let signals = 0;
  const shutdown = (sig: string) => {
    if (signals++ > 0) process.exit(130);
    console.error(`${sig}: signing out of the network and closing the profile...`);
    run.stop().then(
      () => process.exit(0),
      (e) => {
        console.error(`shutdown failed: ${(e as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  main().catch((e: Error) => {
    console.error(`parley web host: ${e.message}`);
    process.exit(1);
  });
}
