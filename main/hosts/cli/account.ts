// Account resolution for CLI commands: flags > environment > profile (DIR/profile.json, mode 0600) > ./.lab CA default.
// send/listen/chat use resolveCliAccount (main/hosts/cli/profile.ts: the UE profile); resolveAccount stays for conf.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { SipAccount } from '../../net/sip/ua';
import type { FlagSpecs, Parsed } from './args';
import { CliExit, EXIT, UsageError } from './exit-codes';

export const ACCOUNT_FLAGS: FlagSpecs = {
  uri: { type: 'string', arg: 'SIP-URI', help: 'your address of record, e.g. sip:alice@parley.test' },
  password: { type: 'string', arg: 'SECRET', help: 'SIP digest password (or set PARLEY_PASSWORD)' },
  proxy: { type: 'string', arg: 'URL', help: 'outbound proxy: wss://, ws://, tls:// or tcp://HOST:PORT' },
  ca: { type: 'string', arg: 'FILE', help: 'PEM CA that signs the proxy certificate (default ./.lab/ca.pem if present)' },
  'display-name': { type: 'string', arg: 'NAME', help: 'display name in From' },
  profile: {
    type: 'string',
    arg: 'DIR',
    help: 'profile: account flags (profile.json), key store, sealed password, history (default $PARLEY_PROFILE or ~/.config/parley-cli)',
  },
  'save-password': {
    type: 'boolean',
    help: 'deprecated: send/listen/chat seal the password in the profile key store (only conf still writes it to profile.json)',
  },
  timeout: { type: 'string', arg: 'SECONDS', help: 'registration/request timeout (default 15)' },
  help: { type: 'boolean', help: 'show help for this command' },
};

export interface Profile {
  uri?: string;
  proxy?: string;
  ca?: string;
  displayName?: string;
  password?: string;
}

export const PROFILE_FILE = 'profile.json';
const LAB_CA_CANDIDATES = ['.lab/ca.pem', '.lab/certs/ca.pem'];

export function readProfile(dir: string): Profile {
  const file = join(dir, PROFILE_FILE);
  if (!existsSync(file)) return {};
  try {
    const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
    return typeof p === 'object' && p !== null ? p : {};
  } catch (e) {
    throw new CliExit(EXIT.USAGE, `cannot read profile ${file}: ${(e as Error).message}`);
  }
}

export function writeProfile(dir: string, p: Profile): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, PROFILE_FILE);
  writeFileSync(file, JSON.stringify(p, null, 2) + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
}

export interface ResolvedAccount {
  account: SipAccount;
  timeoutMs: number;
}

/** Builds the SipAccount from flags, PARLEY_PASSWORD, the profile and defaults; updates the profile when --profile is given. */
export function resolveAccount(p: Parsed, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ResolvedAccount {
  const f = p.flags as Record<string, string | undefined>;
  const profileDir = f.profile ? resolve(cwd, f.profile) : undefined;
  const saved = profileDir ? readProfile(profileDir) : {};
  const uri = f.uri ?? saved.uri;
  const proxy = f.proxy ?? saved.proxy;
  const password = f.password ?? env.PARLEY_PASSWORD ?? saved.password;
  let ca = f.ca ? resolve(cwd, f.ca) : saved.ca;
  if (!ca) ca = LAB_CA_CANDIDATES.map((c) => resolve(cwd, c)).find((c) => existsSync(c));
  const displayName = f['display-name'] ?? saved.displayName;
  if (!uri) throw new UsageError('missing --uri (your SIP address, e.g. sip:alice@parley.test)');
  if (!/^sips?:[^@\s]+@[^@\s]+$/i.test(uri)) throw new UsageError(`--uri must look like sip:user@domain (got ${uri})`);
  if (!proxy) throw new UsageError('missing --proxy (e.g. wss://127.0.0.1:5067)');
  if (!/^(wss?|tls|tcp):\/\//i.test(proxy)) throw new UsageError(`--proxy must start with wss://, ws://, tls:// or tcp:// (got ${proxy})`);
  if (password === undefined)
    throw new UsageError('missing password: use --password, PARLEY_PASSWORD or a profile saved with --save-password');
  if (p.flags['save-password'] && !profileDir) throw new UsageError('--save-password needs --profile DIR');
  const timeoutS = f.timeout === undefined ? 15 : Number(f.timeout);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new UsageError(`--timeout must be a positive number of seconds`);
  if (profileDir) {
    const next: Profile = { uri, proxy, ca, displayName };
    if (p.flags['save-password']) next.password = password;
    else if (saved.password !== undefined) next.password = saved.password;
    writeProfile(profileDir, next);
  }
  return { account: { aor: uri, password, proxy, caFile: ca, displayName }, timeoutMs: timeoutS * 1000 };
}
