// Kamailio db_text tables for the lab (subscriber, silo, version): one file per table, ':'-separated rows.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface DbAccount {
  user: string;
  password: string;
}

/** Table versions Kamailio 5.6 checks at startup. */
const VERSIONS: Record<string, number> = { subscriber: 7, silo: 8, location: 9 };

const SUBSCRIBER_HEADER = 'id(int,auto) username(string) domain(string) password(string) ha1(string) ha1b(string) ';
// callid and status must be nullable or m_store fails ("null value not allowed - field 11").
const SILO_HEADER =
  'id(int,auto) src_addr(string) dst_addr(string) username(string) domain(string) inc_time(int) ' +
  'exp_time(int) snd_time(int) ctype(string) body(string,null) extra_hdrs(string,null) callid(string,null) ' +
  'status(int,null) ';
const LOCATION_HEADER =
  'id(int,auto) ruid(string) username(string) domain(string,null) contact(string) ' +
  'received(string,null) path(string,null) expires(int) q(double) callid(string) cseq(int) last_modified(int) ' +
  'flags(int) cflags(int) user_agent(string) socket(string,null) methods(int,null) instance(string,null) ' +
  'reg_id(int) server_id(int) connection_id(int) keepalive(int) partition(int) ';

const USER_RE = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;

export function validateAccount(a: DbAccount): void {
  if (!USER_RE.test(a.user)) throw new Error(`invalid lab user name ${JSON.stringify(a.user)} (letters, digits, . _ + -)`);
  if (a.password.length === 0 || a.password.length > 128 || /[\r\n\0]/.test(a.password)) {
    throw new Error(`invalid password for lab user ${a.user} (1-128 chars, no line breaks)`);
  }
}

/** db_text escaping: ':' separates columns, '\' escapes. */
function esc(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
}

export function dbDir(stateDir: string): string {
  return join(stateDir, 'db');
}

function subscriberText(accounts: DbAccount[], domain: string): string {
  const md5 = (x: string): string => createHash('md5').update(x).digest('hex');
  // ha1/ha1b are filled in too (db_text has no nulls here), although auth_db computes HA1 from `password`.
  const rows = accounts.map((a, i) =>
    [
      i + 1,
      esc(a.user),
      esc(domain),
      esc(a.password),
      md5(`${a.user}:${domain}:${a.password}`),
      md5(`${a.user}@${domain}:${domain}:${a.password}`),
    ].join(':'),
  );
  return [SUBSCRIBER_HEADER, ...rows, ''].join('\n');
}

/** Create the tables (silo is kept when it exists, so stored messages survive restarts) and write the accounts. */
export async function initDb(stateDir: string, accounts: DbAccount[], domain: string): Promise<void> {
  const dir = dbDir(stateDir);
  await mkdir(dir, { recursive: true });
  const version = Object.entries(VERSIONS).map(([t, v]) => `0:${t}:${v}`);
  await writeFile(join(dir, 'version'), ['id(int,auto) table_name(string) table_version(int) ', ...version, ''].join('\n'));
  await writeFile(join(dir, 'location'), `${LOCATION_HEADER}\n`);
  const silo = join(dir, 'silo');
  if (!existsSync(silo) || !(await readFile(silo, 'utf8')).startsWith(SILO_HEADER)) await writeFile(silo, `${SILO_HEADER}\n`);
  await writeSubscribers(stateDir, accounts, domain);
}

/**
 * Rewrite the subscriber table. db_text reloads a table whose file modification time changed, so the mtime is
 * pushed forward by at least one second each time (its granularity is seconds).
 */
export async function writeSubscribers(stateDir: string, accounts: DbAccount[], domain: string): Promise<void> {
  accounts.forEach(validateAccount);
  const file = join(dbDir(stateDir), 'subscriber');
  let prev = 0;
  if (existsSync(file)) prev = Math.floor((await stat(file)).mtimeMs / 1000);
  await writeFile(file, subscriberText(accounts, domain));
  const now = Math.floor(Date.now() / 1000);
  const t = Math.max(now, prev + 1);
  await utimes(file, t, t);
}

/** Parse the subscriber table back (used by the accounts CLI to add to an existing state dir). */
export async function readSubscribers(stateDir: string): Promise<DbAccount[]> {
  const file = join(dbDir(stateDir), 'subscriber');
  if (!existsSync(file)) return [];
  const lines = (await readFile(file, 'utf8'))
    .split('\n')
    .slice(1)
    .filter((l) => l.length > 0);
  return lines.map((l) => {
    const cols: string[] = [];
    let cur = '';
    for (let i = 0; i < l.length; i++) {
      const c = l[i];
      if (c === '\\' && i + 1 < l.length) cur += l[++i];
      else if (c === ':') {
        cols.push(cur);
        cur = '';
      } else cur += c;
    }
    cols.push(cur);
    return { user: cols[1] ?? '', password: cols[3] ?? '' };
  });
}
