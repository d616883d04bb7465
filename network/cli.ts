// `npm run network`: run the local IMS lab in the foreground with a ready banner and <state>/lab.json.
import { rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readSubscribers } from './dbtext';
import { DEFAULT_ACCOUNTS, DEFAULT_PORTS, startLab, type Lab, type LabAccount } from './lab';
import { parseCli, USAGE } from './cli-args';
import { loadGroups, startAppServer, type AppServer, type GroupConfig } from './appserver/server';
import { existsSync } from 'node:fs';

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
    pid: process.pid,
  };
}

function merge(...lists: LabAccount[][]): LabAccount[] {
  const m = new Map<string, LabAccount>();
  for (const l of lists) for (const a of l) m.set(a.user, a);
  return [...m.values()];
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
  const accounts = merge([...DEFAULT_ACCOUNTS], await readSubscribers(opts.stateDir), opts.accounts);
  const lab = await startLab({
    stateDir: opts.stateDir,
    ports: { ...DEFAULT_PORTS, ...opts.ports },
    domain: opts.domain,
    accounts,
    appServerPort: opts.appServer ? opts.appServerPort : undefined,
    shmMb: opts.shmMb,
    log: opts.verbose ? (l) => console.log(`[kamailio] ${l}`) : undefined,
  });
  let appServer: AppServer | undefined;
  let groups: GroupConfig = {};
  if (opts.appServer) {
    const stateGroups = join(lab.stateDir, 'groups.json');
    groups = await loadGroups(
      opts.groupsFile ?? (existsSync(stateGroups) ? stateGroups : { team: { members: ['alice', 'bob', 'carol'].map((u) => lab.aor(u)) } }),
    );
    try {
      appServer = await startAppServer({
        port: opts.appServerPort,
        proxy: { host: '127.0.0.1', port: lab.ports.sip },
        domain: lab.domain,
        groups,
        log: opts.verbose ? (l) => console.log(`[appserver] ${l}`) : undefined,
      });
    } catch (e) {
      await lab.stop();
      throw new Error(
        `app server failed to start on 127.0.0.1:${opts.appServerPort}: ${(e as Error).message} (use --app-server-port or --no-app-server)`,
        { cause: e },
      );
    }
  }
  const infoFile = join(lab.stateDir, 'lab.json');
  await writeFile(infoFile, `${JSON.stringify(labInfo(lab), null, 2)}\n`);
  const p = lab.ports;
  console.log(
    [
      `Parley IMS lab ready - domain ${lab.domain} (Kamailio on 127.0.0.1)`,
      `  SIP       udp://127.0.0.1:${p.sip}  tcp://127.0.0.1:${p.sip}  tls://127.0.0.1:${p.tls}`,
      `  WebSocket ws://127.0.0.1:${p.ws}  wss://127.0.0.1:${p.wss}`,
      `  MSRP      ${lab.relay.tcp}  ${lab.relay.tls}`,
      ...(appServer
        ? [
            `  AppSrv    sip:127.0.0.1:${appServer.port};transport=tcp - conference factory sip:conf-factory@${lab.domain},`,
            `            list server sip:list@${lab.domain}, groups ${
              Object.keys(groups)
                .map((g) => `sip:group-${g}@${lab.domain}`)
                .join(', ') || '(none)'
            }`,
          ]
        : []),
      `  Accounts  ${lab.accounts.map((a) => `${lab.aor(a.user)} (${a.password})`).join(', ')}`,
      `  CA file   ${lab.caFile}`,
      `  Info      ${infoFile}`,
      '  Ctrl-C to stop.',
    ].join('\n'),
  );

  let stopping = false;
  const shutdown = async (sig: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${sig}: stopping the lab...`);
    await appServer?.stop();
    await lab.stop();
    await rm(infoFile, { force: true });
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
