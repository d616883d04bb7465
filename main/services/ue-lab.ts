// account.useLocalLab: find the running local lab (<repo>/.lab/lab.json written by `npm run network`) or start one on
// its default ports (network/lab.ts), and give the demo account to configure.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ParleyError } from '../util/errors';

/** What the UE needs from a lab (network/lab.ts's Lab satisfies it). */
export interface LocalLabInfo {
  domain: string;
  caFile: string;
  proxy: { tls: string };
  accounts: { user: string; password: string }[];
  stop?: () => Promise<void>;
}

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DEFAULT_LAB_STATE = join(REPO_ROOT, '.lab');

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

/** The running lab, else a new one on the default ports in <repo>/.lab (the UE stops it on close). */
export async function defaultLabFactory(): Promise<LocalLabInfo> {
  const running = await runningLab();
  if (running) return running;
  const { startLab, DEFAULT_PORTS } = await import('../../network/lab');
  try {
    return await startLab({ stateDir: DEFAULT_LAB_STATE, ports: DEFAULT_PORTS });
  } catch (e) {
    throw new ParleyError('LAB_START_FAILED', `could not start the local lab: ${(e as Error).message}`);
  }
}

export function labAccount(lab: LocalLabInfo, user: string): { aor: string; password: string; proxy: string; caFile: string } {
  const acc = lab.accounts.find((a) => a.user === user);
  if (!acc) throw new ParleyError('LAB_NO_ACCOUNT', `the local lab has no account ${user} (accounts: ${lab.accounts.map((a) => a.user).join(', ')})`);
  return { aor: `sip:${user}@${lab.domain}`, password: acc.password, proxy: lab.proxy.tls, caFile: lab.caFile };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
