// Command-line parsing for `npm run network` (network/cli.ts) and network/accounts.ts.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LabAccount, LabPorts } from './lab';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_STATE_DIR = join(REPO_ROOT, '.lab');

export interface CliOptions {
  stateDir: string;
  ports: Partial<LabPorts>;
  domain?: string;
  accounts: LabAccount[];
  verbose: boolean;
  help: boolean;
  /** The messaging application server (conference focus, list server) runs in the lab process unless --no-app-server. */
  appServer: boolean;
  appServerPort: number;
  groupsFile?: string;
  shmMb?: number;
  /** Leave out the second network (example.test on 127.0.0.2). */
  singleNetwork: boolean;
  /** Extra accounts of the second network. */
  peerAccounts: LabAccount[];
}

export const DEFAULT_APP_SERVER_PORT = 5090;

const PORT_FLAGS: Record<string, keyof LabPorts> = {
  '--sip-port': 'sip',
  '--tls-port': 'tls',
  '--ws-port': 'ws',
  '--wss-port': 'wss',
  '--msrp-port': 'msrp',
  '--msrps-port': 'msrps',
};

export function parseAccount(v: string): LabAccount {
  const i = v.indexOf(':');
  if (i <= 0 || i === v.length - 1) throw new Error(`--account expects user:password, got ${JSON.stringify(v)}`);
  return { user: v.slice(0, i), password: v.slice(i + 1) };
}

function parsePort(flag: string, v: string | undefined): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${flag} expects a port number 1-65535, got ${JSON.stringify(v)}`);
  return n;
}

export function parseCli(argv: string[]): CliOptions {
  const o: CliOptions = {
    stateDir: DEFAULT_STATE_DIR,
    ports: {},
    accounts: [],
    verbose: false,
    help: false,
    appServer: true,
    appServerPort: DEFAULT_APP_SERVER_PORT,
    singleNetwork: false,
    peerAccounts: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a in PORT_FLAGS) o.ports[PORT_FLAGS[a]] = parsePort(a, next());
    else if (a === '--state') o.stateDir = resolve(next());
    else if (a === '--domain') o.domain = next();
    else if (a === '--account') o.accounts.push(parseAccount(next()));
    else if (a === '--peer-account') o.peerAccounts.push(parseAccount(next()));
    else if (a === '--single-network') o.singleNetwork = true;
    else if (a === '--app-server-port') o.appServerPort = parsePort(a, next());
    else if (a === '--no-app-server') o.appServer = false;
    else if (a === '--groups') o.groupsFile = resolve(next());
    else if (a === '--shm-mb') {
      const v = next();
      const n = Number(v);
      if (!Number.isInteger(n) || n < 16 || n > 4096) throw new Error(`--shm-mb expects 16-4096, got ${JSON.stringify(v)}`);
      o.shmMb = n;
    } else if (a === '--verbose' || a === '-v') o.verbose = true;
    else if (a === '--help' || a === '-h') o.help = true;
    else throw new Error(`unknown option ${a} (try --help)`);
  }
  return o;
}

export const USAGE = `Usage: npm run network -- [options]
Starts the Parley local IMS lab in the foreground; Ctrl-C stops it: two networks that route to each other over TLS,
parley.test (Kamailio on 127.0.0.1) and example.test (Kamailio on 127.0.0.2, same port numbers), each with its own
registrar, msilo, MSRP relay and application server.

  --state DIR            state directory (default <repo>/.lab): certs, db_text tables, lab.json
  --sip-port N           SIP UDP+TCP (default 5060)       --tls-port N    SIP TLS (default 5061)
  --ws-port N            SIP over WebSocket (default 5066) --wss-port N    SIP over secure WebSocket (default 5067)
  --msrp-port N          MSRP relay TCP (default 2855)     --msrps-port N  MSRP relay TLS (default 2856)
  --domain D             home domain (default parley.test)
  --account user:pass    add/replace an account (repeatable); alice, bob, carol (<name>-secret) always exist
  --peer-account u:p     the same for example.test, where dave and erin (<name>-secret) always exist
  --single-network       leave out example.test (only parley.test on 127.0.0.1)
  --app-server-port N    port of the messaging application server (conference focus, list server, group PSIs) that the
                         lab runs and routes conf-*/chat-*/list*/group-* users to (default 5090)
  --no-app-server        run Kamailio only (no conference focus / list server)
  --groups FILE          group PSIs for the app server: {"team": {"members": ["sip:alice@parley.test", ...]}}
                         (default <state>/groups.json if present, else group-team = alice, bob, carol)
  --shm-mb N             Kamailio shared memory in MB (default 256)
  --verbose              print Kamailio's log
  --help                 this text

Add accounts to a running lab: npx tsx network/accounts.ts add user:password [--state DIR]
(example.test's state is <state>/example.test).`;
