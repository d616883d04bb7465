// Local IMS lab: a private Kamailio (network/kamailio/parley.cfg) on a loopback address (127.0.0.1 by default) for
// integration tests and `npm run network`; two of them route to each other with `peer` (network/labs.ts).
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ensureCerts } from './certs';
import { initDb, writeSubscribers } from './dbtext';
import { peerDefines, writePeerTlsConfig, type LabPeer } from './peering';
import { fillPorts } from './ports';
import { probeSipTcp, probeSipUdp, probeTcp, probeTls } from './probe';
import { guardProcessGroup } from './watchdog';
import type { Lab, LabAccount, LabOptions, LabPorts } from './lab-types';

export { freePorts } from './ports';
export type { LabPeer } from './peering';
export type { Lab, LabAccount, LabOptions, LabPorts } from './lab-types';

export const DEFAULT_DOMAIN = 'parley.test';
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_ACCOUNTS: readonly LabAccount[] = ['alice', 'bob', 'carol'].map((u) => ({ user: u, password: `${u}-secret` }));
export const DEFAULT_PORTS: LabPorts = { sip: 5060, tls: 5061, ws: 5066, wss: 5067, msrp: 2855, msrps: 2856 };
export const KAMAILIO = '/usr/sbin/kamailio';
export const KAMCMD = '/usr/sbin/kamcmd';
export const CFG_FILE = join(dirname(fileURLToPath(import.meta.url)), 'kamailio', 'parley.cfg');

const START_TIMEOUT_MS = 15000;
const STOP_TIMEOUT_MS = 5000;
const PROBE_RETRY_MS = 50;
const LOG_TAIL_LINES = 40;
const PORT_RETRIES = 3;
export const DEFAULT_SHM_MB = 256;
const PKG_MB = 8;

const execFileP = promisify(execFile);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const PORT_KEYS = Object.keys(DEFAULT_PORTS) as Array<keyof LabPorts>;

/** Every lab process started by this Node process, killed on exit if a test forgot stop(). */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of live) {
    try {
      if (p.pid) process.kill(-p.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

/** Everything one Kamailio run is started with (startLab fills it in). */
interface KamailioConfig {
  domain: string;
  host: string;
  ports: LabPorts;
  stateDir: string;
  /** startLab created the state dir: stop() removes it. */
  ownsStateDir: boolean;
  certs: { caFile: string; certFile: string; keyFile: string };
  accounts: LabAccount[];
  peer?: LabPeer;
  appServerPort?: number;
  log: (line: string) => void;
  logLevel: number;
  startTimeoutMs: number;
  shmMb: number;
}

class KamailioLab implements Lab {
  readonly domain: string;
  readonly host: string;
  readonly ports: LabPorts;
  readonly stateDir: string;
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly accounts: LabAccount[];
  readonly peer?: LabPeer;
  readonly appServerPort?: number;
  readonly proxy: Lab['proxy'];
  readonly relay: Lab['relay'];
  readonly ctlSocket: string;
  private proc?: ChildProcess;
  private exited?: Promise<void>;
  private tail: string[] = [];

  constructor(private readonly cfg: KamailioConfig) {
    ({ domain: this.domain, host: this.host, ports: this.ports, stateDir: this.stateDir, accounts: this.accounts } = cfg);
    ({ caFile: this.caFile, certFile: this.certFile, keyFile: this.keyFile } = cfg.certs);
    this.peer = cfg.peer;
    this.appServerPort = cfg.appServerPort;
    const h = this.host;
    const ports = this.ports;
    this.proxy = {
      udp: `udp://${h}:${ports.sip}`,
      tcp: `tcp://${h}:${ports.sip}`,
      tls: `tls://${h}:${ports.tls}`,
      ws: `ws://${h}:${ports.ws}`,
      wss: `wss://${h}:${ports.wss}`,
    };
    this.relay = { tcp: `msrp://${h}:${ports.msrp};tcp`, tls: `msrps://${h}:${ports.msrps};tcp` };
    this.ctlSocket = `unix:${join(this.stateDir, 'run', 'ctl.sock')}`;
  }

  aor(user: string): string {
    return `sip:${user}@${this.domain}`;
  }

  private get tlsCfgFile(): string {
    return join(this.stateDir, 'run', 'tls.cfg');
  }

  private args(): string[] {
    const p = this.ports;
    const run = join(this.stateDir, 'run');
    const defs: Record<string, string | number> = {
      LAB_IP: this.host,
      LAB_IP_STR: `"${this.host}"`,
      SIP_PORT: p.sip,
      TLS_PORT: p.tls,
      WS_PORT: p.ws,
      WSS_PORT: p.wss,
      MSRP_PORT: p.msrp,
      MSRPS_PORT: p.msrps,
      DOMAIN: `"${this.domain}"`,
      DBURL: `"text://${join(this.stateDir, 'db')}"`,
      CTL_SOCK: `"${this.ctlSocket}"`,
      TLS_CERT: `"${this.certFile}"`,
      TLS_KEY: `"${this.keyFile}"`,
      MSILO_PROXY: `"sip:${this.host}:${p.sip}"`,
      LOG_LEVEL: this.cfg.logLevel,
      ...(this.peer ? peerDefines(this.peer, this.tlsCfgFile) : {}),
    };
    if (this.appServerPort !== undefined) defs.APPSRV_PORT = this.appServerPort;
    return [
      '-DD',
      '-E',
      '-m',
      String(this.cfg.shmMb),
      '-M',
      String(PKG_MB),
      '-f',
      CFG_FILE,
      '-Y',
      run,
      '-P',
      join(run, 'kamailio.pid'),
      ...Object.entries(defs).flatMap(([k, v]) => ['-A', `${k}=${v}`]),
    ];
  }

  private onLine(line: string): void {
    this.tail.push(line);
    if (this.tail.length > LOG_TAIL_LINES) this.tail.shift();
    this.cfg.log(line);
  }

  async start(): Promise<void> {
    await mkdir(join(this.stateDir, 'run'), { recursive: true });
    if (this.peer) {
      const files = { certFile: this.certFile, keyFile: this.keyFile, caFile: this.caFile };
      await writePeerTlsConfig(this.tlsCfgFile, { host: this.host, tls: this.ports.tls }, this.peer, files);
    }
    this.tail = [];
    const proc = spawn(KAMAILIO, this.args(), { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.proc = proc;
    live.add(proc);
    let exitInfo: string | undefined;
    this.exited = new Promise((resolve) =>
      proc.once('close', (code, sig) => {
        exitInfo = `exited with ${sig ?? `code ${code}`}`;
        live.delete(proc);
        resolve();
      }),
    );
    for (const stream of [proc.stdout, proc.stderr]) {
      let partial = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const l of lines) if (l.length > 0) this.onLine(l);
      });
    }
    guardProcessGroup(proc);
    const spawnError = new Promise<Error>((resolve) => proc.once('error', resolve));
    const deadline = Date.now() + this.cfg.startTimeoutMs;
    let lastErr = '';
    for (;;) {
      if (exitInfo) break;
      try {
        await this.probeAll();
        return;
      } catch (e) {
        lastErr = (e as Error).message;
      }
      const err = await Promise.race([spawnError, sleep(PROBE_RETRY_MS).then(() => undefined)]);
      if (err) {
        exitInfo = `could not be spawned: ${err.message}`;
        break;
      }
      if (Date.now() > deadline) break;
    }
    if (!exitInfo) await this.kill();
    throw new Error(
      `Kamailio lab did not become ready (${exitInfo ?? `timeout after ${this.cfg.startTimeoutMs} ms: ${lastErr}`}).\n` +
        `Last log lines:\n${this.tail.join('\n')}`,
    );
  }

  private async probeAll(): Promise<void> {
    const p = this.ports;
    const h = this.host;
    await Promise.all([
      probeSipUdp(p.sip, h),
      probeSipTcp(p.sip, h),
      probeTls(p.tls, this.caFile, h),
      probeTls(p.wss, this.caFile, h),
      probeTcp(p.ws, h),
      probeTcp(p.msrp, h),
      probeTls(p.msrps, this.caFile, h),
    ]);
  }

  private async kill(): Promise<void> {
    const proc = this.proc;
    if (!proc || !this.exited || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.exited.then(() => false),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(true), STOP_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut && proc.pid) {
      try {
        process.kill(-proc.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      await this.exited;
    }
  }

  /** Stop Kamailio; a temporary state dir created by startLab() is removed too. */
  async stop(): Promise<void> {
    await this.kill();
    this.proc = undefined;
    if (this.cfg.ownsStateDir) await rm(this.stateDir, { recursive: true, force: true });
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.start();
  }

  async addAccount(user: string, password: string): Promise<void> {
    const next = this.accounts.filter((a) => a.user !== user);
    next.push({ user, password });
    // db_text reloads the table when its mtime changes: no restart needed (see docs/lab.md).
    await writeSubscribers(this.stateDir, next, this.domain);
    this.accounts.splice(0, this.accounts.length, ...next);
  }

  async rpc(...args: string[]): Promise<string> {
    const { stdout } = await execFileP(KAMCMD, ['-s', this.ctlSocket, ...args]);
    return stdout;
  }

  async registrations(): Promise<string[]> {
    const out = await this.rpc('ul.dump');
    const aors = [...out.matchAll(/^\s*AoR:\s*(\S+)/gm)].map((m) => m[1]);
    return [...new Set(aors)].map((a) => (a.includes('@') ? a : `${a}@${this.domain}`));
  }
}

/**
 * Set by `npm run test:unit` (scripts/test.mjs --unit). A unit run starts no Kamailio and no third-party peer: a test
 * that needs them is named *.lab.test.ts, which the unit run skips, and this guard names any test that was missed.
 */
export const UNIT_RUN_ENV = 'PARLEY_UNIT_RUN';

/** Refuses to start `what` (Kamailio, baresip, linphonec) inside a unit run. */
export function assertLabAllowed(what: string): void {
  if (process.env[UNIT_RUN_ENV] === '1')
    throw new Error(
      `${what} started in a unit run (${UNIT_RUN_ENV}=1): name the test file *.lab.test.ts so that only \`npm test\` runs it`,
    );
}

/** Start a private Kamailio; resolves once every listener answers (SIP OPTIONS, TLS handshakes, TCP accepts). */
export async function startLab(opts: LabOptions = {}): Promise<Lab> {
  assertLabAllowed('Kamailio');
  const stateDir = opts.stateDir ?? (await mkdtemp(join(tmpdir(), 'parley-lab-')));
  const ownsStateDir = opts.stateDir === undefined;
  await mkdir(stateDir, { recursive: true });
  const domain = opts.domain ?? DEFAULT_DOMAIN;
  const accounts = (opts.accounts ?? DEFAULT_ACCOUNTS).map((a) => ({ ...a }));
  const shmMb = opts.shmMb ?? DEFAULT_SHM_MB;
  if (!Number.isInteger(shmMb) || shmMb < 16 || shmMb > 4096)
    throw new RangeError(`shmMb must be an integer from 16 to 4096, got ${shmMb}`);
  const host = opts.host ?? DEFAULT_HOST;
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) throw new RangeError(`host must be a loopback IPv4 address, got ${host}`);
  const certs = await ensureCerts(stateDir, domain, { ip: host, ca: opts.ca });
  await initDb(stateDir, accounts, domain);
  // Ports picked by freePorts() can be grabbed by a parallel test before Kamailio binds them: retry with new ones.
  const autoPorts = PORT_KEYS.some((k) => opts.ports?.[k] === undefined);
  for (let attempt = 1; ; attempt++) {
    const ports = await fillPorts(PORT_KEYS, opts.ports ?? {}, host);
    const lab = new KamailioLab({
      domain,
      host,
      ports,
      stateDir,
      ownsStateDir,
      certs,
      accounts,
      peer: opts.peer,
      appServerPort: opts.appServerPort,
      log: opts.log ?? (() => undefined),
      logLevel: opts.logLevel ?? 2,
      startTimeoutMs: opts.startTimeoutMs ?? START_TIMEOUT_MS,
      shmMb,
    });
    try {
      await lab.start();
      return lab;
    } catch (e) {
      const portClash = /Address already in use/i.test((e as Error).message);
      if (autoPorts && portClash && attempt < PORT_RETRIES) continue;
      // Kamailio 5.6's tls module (Debian 12, OpenSSL 3) occasionally aborts during start-up on a double free in
      // tls_init.c ser_free (seen in CI logs: "freeing already freed pointer ... tls_init.c", then exit 1 or SIGABRT);
      // a fresh start works.
      const crashed =
        /did not become ready \(exited with/.test((e as Error).message) && /tls_init\.c|SIGABRT|SIGSEGV/.test((e as Error).message);
      if (crashed && attempt < PORT_RETRIES) {
        (opts.log ?? (() => undefined))(`kamailio crashed during start-up (attempt ${attempt}); starting it again`);
        continue;
      }
      if (ownsStateDir) await rm(stateDir, { recursive: true, force: true });
      throw e;
    }
  }
}

/** Remove a lab's state dir (call after stop(); only needed for a `stateDir` you passed in yourself). */
export async function removeLabState(lab: Lab): Promise<void> {
  await rm(lab.stateDir, { recursive: true, force: true });
}
