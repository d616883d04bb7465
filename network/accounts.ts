// Add or list lab accounts in a state dir (db_text `subscriber`); a running lab picks changes up on next use.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readSubscribers, writeSubscribers } from './dbtext';
import { DEFAULT_DOMAIN } from './lab';
import { DEFAULT_STATE_DIR, parseAccount } from './cli-args';

const USAGE = `Usage: npx tsx network/accounts.ts [--state DIR] add user:password [user:password ...]
       npx tsx network/accounts.ts [--state DIR] list
Writes <state>/db/subscriber (default state <repo>/.lab). A running lab reloads the table on the next request.`;

async function main(argv: string[]): Promise<void> {
  let stateDir = DEFAULT_STATE_DIR;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--state') stateDir = resolve(argv[++i] ?? '.');
    else if (argv[i] === '--help' || argv[i] === '-h') {
      console.log(USAGE);
      return;
    } else rest.push(argv[i]);
  }
  const [cmd, ...args] = rest;
  const infoFile = join(stateDir, 'lab.json');
  const domain = existsSync(infoFile) ? (JSON.parse(readFileSync(infoFile, 'utf8')) as { domain: string }).domain : DEFAULT_DOMAIN;
  const current = await readSubscribers(stateDir);
  if (cmd === 'list') {
    for (const a of current) console.log(`sip:${a.user}@${domain}  ${a.password}`);
    return;
  }
  if (cmd !== 'add' || args.length === 0) {
    console.error(USAGE);
    process.exit(2);
  }
  if (!existsSync(join(stateDir, 'db'))) throw new Error(`${stateDir} has no lab database yet: start the lab once (npm run network)`);
  const m = new Map(current.map((a) => [a.user, a]));
  for (const a of args.map(parseAccount)) m.set(a.user, a);
  await writeSubscribers(stateDir, [...m.values()], domain);
  console.log(`accounts now: ${[...m.keys()].join(', ')} (${domain})`);
}

main(process.argv.slice(2)).catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
