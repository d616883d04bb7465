// The CLI's UE profile (docs/cli.md "Profile"): one directory per identity holding profile.json (remembered flags) beside
// the UE's account.json, accounts/<aor>/{keystore.bin, secrets.bin, history.db}; signing in runs a full UE on it.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { isParleyError, ParleyError } from '../../base/errors';
import { normalizeAoR } from '../../security/aor';
import { KeyStore } from '../../security/keystore';
import {
  KEY_FILE,
  KEYSTORE_FILE,
  accountDir,
  chooseKeyWrapper,
  loadSipPassword,
  readAccountFile,
  removeAccountFile,
  writeAccountFile,
  type AccountFile,
} from '../../ue/profile';
import { createUe, type CreateUeOptions, type Ue } from '../../ue/ue';
import { waitRegistered } from '../../ue/oneshot';
import type { SipAccount } from '../../net/sip/ua';
import type { Parsed } from './args';
import { readProfile, writeProfile } from './account';
import { CliExit, cliError, EXIT, exitCodeOf, UsageError } from './exit-codes';
import type { Io } from './ua-run';

/** Default profile directory when neither --profile nor PARLEY_PROFILE is given. */
export function defaultProfileDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.PARLEY_PROFILE ? resolve(env.PARLEY_PROFILE) : join(env.HOME || homedir(), '.config', 'parley-cli');
}

export function profileDirOf(p: Parsed, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  const f = p.flags.profile as string | undefined;
  return f ? resolve(cwd, f) : defaultProfileDir(env);
}

const LAB_CA_CANDIDATES = ['.lab/ca.pem', '.lab/certs/ca.pem'];
export const KEY_FILE_NOTICE = 'notice: the key store is protected by the profile key file only (set PARLEY_PASSPHRASE for a passphrase)';

/** The account a command runs as: flags > PARLEY_PASSWORD > profile.json > account.json. */
export interface CliAccount {
  profileDir: string;
  aor: string;
  proxy: string;
  caFile?: string;
  displayName?: string;
  /** Given on the command line, in PARLEY_PASSWORD or (legacy) in clear in profile.json; else the sealed one is used. */
  password?: string;
  timeoutMs: number;
  /** account.json of the profile as found (null: never signed in). */
  saved: AccountFile | null;
}

export async function resolveCliAccount(p: Parsed, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Promise<CliAccount> {
  const f = p.flags as Record<string, string | boolean | undefined>;
  const profileDir = profileDirOf(p, env, cwd);
  const legacy = readProfile(profileDir);
  let saved: AccountFile | null;
  try {
    saved = await readAccountFile(profileDir);
  } catch (e) {
    throw new CliExit(EXIT.USAGE, `profile ${profileDir}: ${(e as Error).message}`);
  }
  const str = (k: string) => (typeof f[k] === 'string' ? (f[k] as string) : undefined);
  const uri = str('uri') ?? legacy.uri ?? saved?.aor;
  const proxy = str('proxy') ?? legacy.proxy ?? saved?.proxy;
  let ca = str('ca') ? resolve(cwd, str('ca')!) : (legacy.ca ?? saved?.caFile);
  if (!ca) ca = LAB_CA_CANDIDATES.map((c) => resolve(cwd, c)).find((c) => existsSync(c));
  const displayName = str('display-name') ?? legacy.displayName ?? saved?.displayName;
  const password = str('password') ?? env.PARLEY_PASSWORD ?? legacy.password;
  if (!uri) throw new UsageError(`missing --uri (your SIP address, e.g. sip:alice@parley.test); no account in profile ${profileDir}`);
  if (!/^sips?:[^@\s]+@[^@\s]+$/i.test(uri)) throw new UsageError(`--uri must look like sip:user@domain (got ${uri})`);
  if (!proxy) throw new UsageError('missing --proxy (e.g. wss://127.0.0.1:5067)');
  if (!/^(wss?|tls|tcp):\/\//i.test(proxy)) throw new UsageError(`--proxy must start with wss://, ws://, tls:// or tcp:// (got ${proxy})`);
  const timeoutS = f.timeout === undefined ? 15 : Number(f.timeout);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new UsageError('--timeout must be a positive number of seconds');
  // Remember the account flags (never a password: it is sealed in the key store once the registrar accepted it).
  writeProfile(profileDir, { uri, proxy, ca, displayName, ...(legacy.password !== undefined ? { password: legacy.password } : {}) });
  return { profileDir, aor: uri, proxy, caFile: ca, displayName, password, timeoutMs: timeoutS * 1000, saved };
}

function sameAccount(a: CliAccount, s: AccountFile | null): boolean {
  return (
    !!s &&
    normalizeAoR(s.aor) === normalizeAoR(a.aor) &&
    s.proxy === a.proxy &&
    (s.caFile ?? undefined) === (a.caFile ?? undefined) &&
    (s.displayName ?? undefined) === (a.displayName ?? undefined)
  );
}

/** The SIP password sealed in the profile (secrets.bin), or null. Opens and closes the key store (no UE may hold it). */
export async function loadSealedPassword(profileDir: string, aor: string, env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  const dir = accountDir(profileDir, aor);
  const path = join(dir, KEYSTORE_FILE);
  if (!existsSync(path)) return null;
  if (!env.PARLEY_PASSPHRASE && !existsSync(join(profileDir, KEY_FILE))) {
    throw cliError('PROFILE_LOCKED', 'the key store is passphrase-protected: set PARLEY_PASSPHRASE');
  }
  try {
    const w = await chooseKeyWrapper(profileDir, { env });
    const ks = await KeyStore.open(path, w.wrapper);
    try {
      return await loadSipPassword(dir, ks);
    } finally {
      await ks.close();
    }
  } catch (e) {
    throw profileError(e);
  }
}

/** A SipAccount for the raw (--plain) paths: the given password, else the sealed one. */
export async function plainSipAccount(a: CliAccount, env: NodeJS.ProcessEnv = process.env): Promise<SipAccount> {
  const password = a.password ?? (await loadSealedPassword(a.profileDir, a.aor, env));
  if (password === null)
    throw new UsageError(`missing password: use --password or PARLEY_PASSWORD (profile ${a.profileDir} has none sealed for ${a.aor})`);
  return { aor: a.aor, password, proxy: a.proxy, caFile: a.caFile, displayName: a.displayName };
}

/** Key store / profile problems are configuration errors (exit 2) with the typed code. */
export function profileError(e: unknown): CliExit {
  if (e instanceof CliExit) return e;
  const code = isParleyError(e) ? e.code : 'ERROR';
  const hint = /^KEYSTORE_(WRONG_WRAPPER|UNWRAP_FAILED|BAD_PASSPHRASE)$/.test(code) ? ' (wrong or missing PARLEY_PASSPHRASE?)' : '';
  return new CliExit(EXIT.USAGE, `cannot open the profile key store [${code}]: ${(e as Error).message}${hint}`);
}

/** Signing in failed: exit as the registry maps the code (timeout 5, profile 2...), else 3. */
function registrationError(e: unknown, timeoutMs: number): CliExit {
  const code = isParleyError(e) ? e.code : 'ERROR';
  const exit = exitCodeOf(e, EXIT.REGISTRATION);
  if (exit === EXIT.TIMEOUT)
    return new CliExit(exit, `registration timed out after ${timeoutMs / 1000} s [${code}]: ${(e as Error).message}`);
  if (exit === EXIT.USAGE) return profileError(e);
  return new CliExit(exit, `registration failed [${code}]: ${(e as Error).message}`);
}

/** `<profile>/cli.lock`: {pid, command} of the one parley process that has the profile's key store open. */
export const LOCK_FILE = 'cli.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One process per profile: the key store and history have no cross-process locking, and two writers lose pins. Takes
 * the lock (a stale one, whose process is gone, is replaced); PROFILE_IN_USE (exit 2) while another process holds it.
 */
export function lockProfile(dir: string, command: string): () => void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, JSON.stringify({ pid: process.pid, command }));
      closeSync(fd);
      let held = true;
      const release = () => {
        if (!held) return;
        held = false;
        process.off('exit', release);
        try {
          if ((JSON.parse(readFileSync(path, 'utf8')) as { pid?: number }).pid === process.pid) unlinkSync(path);
        } catch {
          /* already gone */
        }
      };
      process.on('exit', release);
      return release;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let holder: { pid?: unknown; command?: unknown } | null;
    try {
      holder = JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown; command?: unknown };
    } catch {
      holder = null;
    }
    if (holder && typeof holder.pid === 'number' && alive(holder.pid)) {
      throw cliError(
        'PROFILE_IN_USE',
        `profile ${dir} is in use by parley ${String(holder.command)} (pid ${holder.pid}): one process per profile (use another --profile)`,
      );
    }
    rmSync(path, { force: true });
  }
  throw cliError('PROFILE_IN_USE', `cannot lock profile ${dir}`);
}

export interface CliUe {
  ue: Ue;
  aor: string;
  keyFileNotice: boolean;
  /** Closes the UE (un-REGISTER, key store, history) and releases the profile lock. */
  close(): Promise<void>;
}

/**
 * Runs a full UE on the profile and signs in: configure (register, seal the password, write account.json) when a password
 * is given or the account settings changed; else resume with the sealed password. Resolves once registered.
 */
export async function openCliUe(
  a: CliAccount,
  command: string,
  opts: Partial<CreateUeOptions> & { onUe?: (ue: Ue) => void } = {},
): Promise<CliUe> {
  const release = lockProfile(a.profileDir, command);
  try {
    return await openLockedUe(a, release, opts);
  } catch (e) {
    release();
    throw e;
  }
}

async function openLockedUe(
  a: CliAccount,
  release: () => void,
  opts: Partial<CreateUeOptions> & { onUe?: (ue: Ue) => void },
): Promise<CliUe> {
  const { onUe, ...o } = opts;
  const env = o.env ?? process.env;
  let password = a.password;
  const configure = password !== undefined || !sameAccount(a, a.saved);
  if (configure && password === undefined) {
    password = (await loadSealedPassword(a.profileDir, a.aor, env)) ?? undefined;
    if (password === undefined)
      throw new UsageError(`missing password: use --password or PARLEY_PASSWORD (nothing sealed in ${a.profileDir} for ${a.aor})`);
  }
  // A passphrase-protected key store without PARLEY_PASSPHRASE: say so (createUe would create a stray key file).
  const ksPath = join(accountDir(a.profileDir, a.aor), KEYSTORE_FILE);
  if (!o.passphrase && !env.PARLEY_PASSPHRASE && !o.keyWrapper && existsSync(ksPath) && !existsSync(join(a.profileDir, KEY_FILE))) {
    throw cliError('PROFILE_LOCKED', 'the key store is passphrase-protected: set PARLEY_PASSPHRASE');
  }
  // createUe resumes a saved account at once: take it away first when we are about to configure (restored on failure).
  if (configure && a.saved) await removeAccountFile(a.profileDir);
  let ue: Ue;
  try {
    ue = await createUe({ profileDir: a.profileDir, registerTimeoutMs: a.timeoutMs, env, ...o });
  } catch (e) {
    if (configure && a.saved) await writeAccountFile(a.profileDir, a.saved).catch(() => {});
    throw profileError(e);
  }
  const keyFileNotice = ue.keyProtection() === 'key-file';
  onUe?.(ue);
  try {
    if (configure) {
      try {
        await ue.accountConfigure({ aor: a.aor, password: password!, proxy: a.proxy, caFile: a.caFile, displayName: a.displayName });
      } catch (e) {
        if (a.saved) await writeAccountFile(a.profileDir, a.saved).catch(() => {});
        throw registrationError(e, a.timeoutMs);
      }
      // Sealed now: drop a clear password left in profile.json by --save-password of earlier versions.
      const legacy = readProfile(a.profileDir);
      if (legacy.password !== undefined) {
        delete legacy.password;
        writeProfile(a.profileDir, legacy);
      }
    } else {
      await ue.ready;
      if (!ue.account()) {
        const c = await ue.connectionGet({});
        const why = c.reason ?? 'unknown error';
        throw new CliExit(
          EXIT.USAGE,
          `cannot open the profile key store: ${why}${/wrapper|passphrase|unwrap/i.test(why) ? ' (wrong or missing PARLEY_PASSPHRASE?)' : ''}`,
        );
      }
      try {
        await waitRegistered(ue, a.timeoutMs);
      } catch (e) {
        throw registrationError(e, a.timeoutMs);
      }
    }
  } catch (e) {
    await ue.close().catch(() => {});
    throw e instanceof CliExit ? e : registrationError(e, a.timeoutMs);
  }
  return {
    ue,
    aor: normalizeAoR(a.aor),
    keyFileNotice,
    close: async () => {
      try {
        await ue.close();
      } finally {
        release();
      }
    },
  };
}

/** --trace: one stderr line per page-mode body sent or received (direction, peer, content type; never the body). */
export function traceTap(io: Io): (dir: 'in' | 'out', m: { peer: string; contentType: string }) => void {
  return (dir, m) => io.err(`trace: ${dir} ${m.peer} ${m.contentType}`);
}

export function isProfileError(e: unknown): boolean {
  return e instanceof ParleyError && /^(KEYSTORE|PROFILE)_/.test(e.code);
}
