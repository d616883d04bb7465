// account.useLocalLab: find the running local lab (<repo>/.lab/lab.json written by `npm run network`) or start one on
// its default ports (network/lab.ts), and give the demo account to configure.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ParleyError } from '../base/errors';
import type { LocalLabInfo } from '../ue/local-lab';

export type { LocalLabInfo };

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** <repo>/.lab, or PARLEY_LAB_STATE (a test points `npm start` at a lab it started on free ports). */
export const DEFAULT_LAB_STATE = process.env.PARLEY_LAB_STATE ? resolve(process.env.PARLEY_LAB_STATE) : join(REPO_ROOT, '.lab');

/** Reads <state>/lab.json (+ the subscriber table for passwords); null when no lab is running there. */
export async function runningLab(stateDir = DEFAULT_LAB_STATE): Promise<LocalLabInfo | null> {
  const file = join(stateDir, 'lab.json');
  if (!existsSync(file)) return null;
  let j: { domain?: string; caFile?: string; proxy?: { tls?: string }; pid?: number };
  try {
    j = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
  if (!j.domain || !j.caFile || !j.proxy?.tls) return null;
  if (typeof j.pid === 'number' && !processAlive(j.pid)) return null;
  const { readSubscribers } = await import('../../network/dbtext');
  const accounts = await readSubscribers(stateDir).catch(() => []);
  return { domain: j.domain, caFile: j.caFile, proxy: { tls: j.proxy.tls }, accounts };
}

/**
 * The running lab, else a new one on the default ports in <repo>/.lab with the messaging application server (focus, list
 * server) beside it, like `npm run network`. Its lab.json is written so a second profile (bob's web host) finds it; the UE
 * stops both and removes lab.json on close.
 */
export async function defaultLabFactory(): Promise<LocalLabInfo> {
  const running = await runningLab();
  if (running) return running;
  const { startLab, DEFAULT_PORTS } = await import('../../network/lab');
  const { DEFAULT_APP_SERVER_PORT } = await import('../../network/cli-args');
  let lab: Awaited<ReturnType<typeof startLab>>;
  try {
    lab = await startLab({ stateDir: DEFAULT_LAB_STATE, ports: DEFAULT_PORTS, appServerPort: DEFAULT_APP_SERVER_PORT });
  } catch (e) {
    throw new ParleyError('LAB_START_FAILED', `could not start the local lab: ${(e as Error).message}`);
  }
  const { startAppServer } = await import('../../network/appserver/server');
  const { labInfo } = await import('../../network/cli');
  const { writeFile, rm } = await import('node:fs/promises');
  let appServer: Awaited<ReturnType<typeof startAppServer>> | undefined;
  try {
    appServer = await startAppServer({
      port: DEFAULT_APP_SERVER_PORT,
      proxy: { host: '127.0.0.1', port: lab.ports.sip },
      domain: lab.domain,
      groups: { team: { members: lab.accounts.map((a) => lab.aor(a.user)) } },
    });
  } catch {
    appServer = undefined; // rooms and lists unavailable (port taken); one-to-one messaging still works
  }
  const infoFile = join(lab.stateDir, 'lab.json');
  await writeFile(infoFile, `${JSON.stringify(labInfo(lab), null, 2)}\n`);
  return {
    domain: lab.domain,
    caFile: lab.caFile,
    proxy: lab.proxy,
    accounts: lab.accounts,
    stop: async () => {
      await rm(infoFile, { force: true });
      await appServer?.stop();
      await lab.stop();
    },
  };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
