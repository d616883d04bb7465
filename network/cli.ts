// `npm run network`: run the local IMS lab in the foreground with a ready banner and <state>/lab.json: parley.test on
// 127.0.0.1 and, unless --single-network, example.test on 127.0.0.2 (state in <state>/example.test), each with its
// application server.
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readSubscribers } from './dbtext';
import { DEFAULT_ACCOUNTS, DEFAULT_PORTS, startLab, type Lab, type LabAccount, type LabOptions } from './lab';
import { PEER_ACCOUNTS, PEER_DOMAIN, startLabs } from './labs';
import { parseCli, USAGE, type CliOptions } from './cli-args';
import { loadGroups, startAppServer, type AppServer, type GroupConfig } from './appserver/server';

/** What clients and tests read from <state>/lab.json to find a running lab. */
export function labInfo(lab: Lab): Record<string, unknown> {
  return {
    domain: lab.domain,
    host: lab.host,
    ports: lab.ports,
    caFile: lab.caFile,
    proxy: lab.proxy,
    relay: lab.relay,
    ctlSocket: lab.ctlSocket,
    accounts: lab.accounts.map((a) => ({ user: a.user, aor: lab.aor(a.user) })),
    appServerPort: lab.appServerPort ?? null,
    peer: lab.peer ?? null,
    pid: process.pid,
  };
}

function merge(...lists: LabAccount[][]): LabAccount[] {
  const m = new Map<string, LabAccount>();
  for (const l of lists) for (const a of l) m.set(a.user, a);
  return [...m.values()];
}

interface Running {
  labs: Lab[];
  stop(): Promise<void>;
}

async function startNetworks(opts: CliOptions): Promise<Running> {
  const common: LabOptions = {
    ports: { ...DEFAULT_PORTS, ...opts.ports },
    appServerPort: opts.appServer ? opts.appServerPort : undefined,
    shmMb: opts.shmMb,
  };
  const log = (name: string) => (opts.verbose ? (l: string) => console.log(`[kamailio ${name}] ${l}`) : undefined);
  const accounts = merge([...DEFAULT_ACCOUNTS], await readSubscribers(opts.stateDir), opts.accounts);
  if (opts.singleNetwork) {
    const lab = await startLab({ ...common, stateDir: opts.stateDir, domain: opts.domain, accounts, log: log('home') });
    return { labs: [lab], stop: () => lab.stop() };
  }
  const peerDir = join(opts.stateDir, PEER_DOMAIN);
  const pair = await startLabs({
    home: { ...common, stateDir: opts.stateDir, domain: opts.domain, accounts, log: log('home') },
    peer: {
      ...common,
      stateDir: peerDir,
      accounts: merge([...PEER_ACCOUNTS], await readSubscribers(peerDir), opts.peerAccounts),
      log: log('peer'),
    },
  });
  return { labs: [pair.home, pair.peer], stop: () => pair.stop() };
}

/** Groups of a network's app server: --groups (home only), else <state>/groups.json, else group-team of its default users. */
async function groupsFor(lab: Lab, opts: CliOptions, home: boolean): Promise<GroupConfig> {
  const stateGroups = join(lab.stateDir, 'groups.json');
  if (home && opts.groupsFile) return loadGroups(opts.groupsFile);
  if (existsSync(stateGroups)) return loadGroups(stateGroups);
  const users = home ? ['alice', 'bob', 'carol'] : PEER_ACCOUNTS.map((a) => a.user);
  return { team: { members: users.map((u) => lab.aor(u)) } };
}

function banner(lab: Lab, appServer: AppServer | undefined, groups: GroupConfig, infoFile: string): string[] {
  const p = lab.ports;
  const h = lab.host;
  return [
    `Network ${lab.domain} (Kamailio on ${h})${lab.peer ? ` - routes @${lab.peer.domain} to ${lab.peer.host}:${lab.peer.tls} over TLS` : ''}`,
    `  SIP       udp://${h}:${p.sip}  tcp://${h}:${p.sip}  tls://${h}:${p.tls}`,
    `  WebSocket ws://${h}:${p.ws}  wss://${h}:${p.wss}`,
    `  MSRP      ${lab.relay.tcp}  ${lab.relay.tls}`,
    ...(appServer
      ? [
          `  AppSrv    sip:${h}:${appServer.port};transport=tcp - conference factory sip:conf-factory@${lab.domain},`,
          `            list server sip:list@${lab.domain}, groups ${
            Object.keys(groups)
              .map((g) => `sip:group-${g}@${lab.domain}`)
              .join(', ') || '(none)'
          }`,
        ]
      : []),
    `  Accounts  ${lab.accounts.map((a) => `${lab.aor(a.user)} (${a.password})`).join(', ')}`,
    `  Info      ${infoFile}`,
  ];
}

async function main(): Promise<void> {
  let opts;
  try {
    opts = parseCli(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    process.exit(2);
  }
  if (opts.help) {
    console.log(USAGE);
    return;
  }
  const running = await startNetworks(opts);
  const appServers: AppServer[] = [];
  const lines: string[] = [];
  const infoFiles: string[] = [];
  for (const [i, lab] of running.labs.entries()) {
    let appServer: AppServer | undefined;
    const groups = opts.appServer ? await groupsFor(lab, opts, i === 0) : {};
    if (opts.appServer) {
      try {
        appServer = await startAppServer({
          host: lab.host,
          port: opts.appServerPort,
          proxy: { host: lab.host, port: lab.ports.sip },
          domain: lab.domain,
          peerDomains: lab.peer ? [lab.peer.domain] : [],
          groups,
          log: opts.verbose ? (l) => console.log(`[appserver ${lab.domain}] ${l}`) : undefined,
        });
        appServers.push(appServer);
      } catch (e) {
        for (const s of appServers) await s.stop();
        await running.stop();
        throw new Error(
          `app server failed to start on ${lab.host}:${opts.appServerPort}: ${(e as Error).message} (use --app-server-port or --no-app-server)`,
          { cause: e },
        );
      }
    }
    const infoFile = join(lab.stateDir, 'lab.json');
    await writeFile(infoFile, `${JSON.stringify(labInfo(lab), null, 2)}\n`);
    infoFiles.push(infoFile);
    lines.push(...banner(lab, appServer, groups, infoFile));
  }
  const [home] = running.labs;
  console.log(
    [
      `Parley IMS lab ready - ${running.labs.map((l) => l.domain).join(' and ')}`,
      ...lines,
      `  CA file   ${home.caFile} (one lab CA for ${running.labs.length === 1 ? 'the network' : 'both networks'})`,
      ...(running.labs.length > 1
        ? ['  Address someone in the other network by their own domain, e.g. sip:dave@example.test from alice.']
        : []),
      '  Ctrl-C to stop.',
    ].join('\n'),
  );

  let stopping = false;
  const shutdown = async (sig: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${sig}: stopping the lab...`);
    for (const s of appServers) await s.stop();
    await running.stop();
    for (const f of infoFiles) await rm(f, { force: true });
    console.log('lab stopped (stored messages kept in the state dir).');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

// Run only as the entry point (importing labInfo must not start a lab).
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
  });
}
