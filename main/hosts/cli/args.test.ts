import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandFirst, parseArgs } from './args';
import { ACCOUNT_FLAGS, resolveAccount, readProfile } from './account';
import { COMMANDS, main } from './index';
import { LOCK_FILE, defaultProfileDir, lockProfile, resolveCliAccount } from './profile';
import { writeAccountFile } from '../../ue/profile';

const SPECS = { ...ACCOUNT_FLAGS, json: { type: 'boolean' as const, help: '' } };

test('parseArgs: values, =values, booleans, positionals, -- and errors', () => {
  const p = parseArgs(['send', '--uri', 'sip:a@b', '--proxy=tcp://1.2.3.4:5', '--json', 'x y', '--', '--literal'], SPECS);
  assert.deepEqual(p.positionals, ['send', 'x y', '--literal']);
  assert.equal(p.flags.uri, 'sip:a@b');
  assert.equal(p.flags.proxy, 'tcp://1.2.3.4:5');
  assert.equal(p.flags.json, true);
  assert.throws(() => parseArgs(['--nope'], SPECS), { exitCode: 2, message: /unknown option --nope/ });
  assert.throws(() => parseArgs(['--uri'], SPECS), { exitCode: 2, message: /needs a value/ });
  assert.throws(() => parseArgs(['--json=1'], SPECS), { exitCode: 2 });
  assert.throws(() => parseArgs(['-x'], SPECS), { exitCode: 2 });
  assert.equal(parseArgs(['-h'], SPECS).flags.help, true);
});

test('parseArgs: refusals name the flag; switches take no value; values may start with a dash; repeated flags', () => {
  assert.throws(() => parseArgs(['--json=1'], SPECS), { exitCode: 2, message: /--json takes no value/ });
  assert.throws(() => parseArgs(['--uri'], SPECS), { exitCode: 2, message: /--uri needs a value \(SIP-URI\)/ });
  assert.throws(() => parseArgs(['-x'], SPECS), { exitCode: 2, message: /unknown option -x/ });
  assert.throws(() => parseArgs(['-1'], SPECS), { exitCode: 2, message: /unknown option -1 \(put text starting with '-' after --\)/ });
  assert.throws(() => parseArgs(['--nope=1'], SPECS), { exitCode: 2, message: /unknown option --nope/ });
  assert.throws(() => parseArgs(['--constructor'], SPECS), { exitCode: 2, message: /unknown option --constructor/ });
  assert.throws(() => parseArgs(['--__proto__'], SPECS), { exitCode: 2 });
  assert.deepEqual(parseArgs(['--uri', '-x', '-', '--uri=', 'a'], SPECS), { flags: { uri: '' }, positionals: ['-', 'a'] });
  assert.deepEqual(parseArgs(['--', '-1', '--json'], SPECS).positionals, ['-1', '--json']);
  assert.equal(parseArgs(['--uri', 'a', '--uri', 'b'], SPECS).flags.uri, 'b', 'last one wins');
  const many = { to: { type: 'string' as const, multiple: true, help: '' } };
  assert.deepEqual(parseArgs(['--to', 'a', '--to=b'], many).flags.to, ['a', 'b']);
});

test('commandFirst: options before the command move behind it; flag values are never taken for the command (#15)', () => {
  const all = { ...SPECS, 'download-dir': { type: 'string' as const, help: '' } };
  assert.deepEqual(commandFirst(['--profile', 'P', '--json', 'send', 'bob', 'hi'], all), ['send', '--profile', 'P', '--json', 'bob', 'hi']);
  assert.deepEqual(commandFirst(['--profile=P', 'send', 'bob'], all), ['send', '--profile=P', 'bob']);
  assert.deepEqual(commandFirst(['send', '--profile', 'P', 'bob'], all), ['send', '--profile', 'P', 'bob'], 'unchanged');
  assert.deepEqual(commandFirst(['--profile', 'P'], all), ['--profile', 'P'], 'no command: unchanged');
  assert.deepEqual(commandFirst(['--json', '--', 'send'], all), ['--json', '--', 'send'], 'nothing moves across --');
});

test('every command agrees on the type of a flag it shares with another (options before the command rely on it)', () => {
  const seen = new Map<string, string>();
  for (const c of COMMANDS)
    for (const [name, spec] of Object.entries(c.flags)) {
      assert.equal(seen.get(name) ?? spec.type, spec.type, `--${name} of ${c.name}`);
      seen.set(name, spec.type);
    }
});

test('main: options before the command reach the command (parley --profile P listen --help)', async () => {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
  assert.equal(await main(['--profile', '/nonexistent/p', '--json', 'listen', '--help'], io), 0);
  assert.match(out.join('\n'), /usage: parley listen/);
  assert.equal(await main(['--profile', 'P', 'help', 'send'], io), 0);
  assert.match(out.join('\n'), /usage: parley send/);
  assert.equal(await main(['--clear', 'listen'], io), 2, "keys' --clear is not a listen option");
  assert.match(err.join('\n'), /unknown option --clear/);
  assert.equal(await main(['--profile', 'P'], io), 2);
  assert.match(err.join('\n'), /missing command/);
});

test('resolveAccount: env password, lab CA default, profile 0600 without password unless asked', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'parley-acct-'));
  mkdirSync(join(cwd, '.lab'));
  writeFileSync(join(cwd, '.lab', 'ca.pem'), 'x');
  const base = ['--uri', 'sip:alice@parley.test', '--proxy', 'tls://127.0.0.1:5061'];
  const r = resolveAccount(parseArgs(base, SPECS), { PARLEY_PASSWORD: 'pw' }, cwd);
  assert.equal(r.account.password, 'pw');
  assert.equal(r.account.caFile, join(cwd, '.lab', 'ca.pem'));
  assert.equal(r.timeoutMs, 15_000);
  assert.throws(() => resolveAccount(parseArgs(base, SPECS), {}, cwd), { exitCode: 2, message: /missing password/ });
  assert.throws(() => resolveAccount(parseArgs(['--uri', 'alice', '--proxy', 'tcp://h:1', '--password', 'p'], SPECS), {}, cwd), {
    exitCode: 2,
  });
  assert.throws(() => resolveAccount(parseArgs(['--uri', 'sip:a@b', '--proxy', 'udp://h:1', '--password', 'p'], SPECS), {}, cwd), {
    exitCode: 2,
  });
  assert.throws(() => resolveAccount(parseArgs([...base, '--password', 'p', '--save-password'], SPECS), {}, cwd), {
    message: /needs --profile/,
  });

  resolveAccount(parseArgs([...base, '--password', 'p', '--profile', 'prof'], SPECS), {}, cwd);
  assert.equal(readProfile(join(cwd, 'prof')).password, undefined);
  assert.equal(statSync(join(cwd, 'prof', 'profile.json')).mode & 0o777, 0o600);
  resolveAccount(parseArgs([...base, '--password', 'p', '--profile', 'prof', '--save-password'], SPECS), {}, cwd);
  const again = resolveAccount(parseArgs(['--profile', 'prof'], SPECS), {}, cwd);
  assert.deepEqual(
    [again.account.aor, again.account.proxy, again.account.password],
    ['sip:alice@parley.test', 'tls://127.0.0.1:5061', 'p'],
  );
});

test('main: help and usage errors never touch the network', async () => {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
  assert.equal(await main(['help'], io), 0);
  assert.match(out.join('\n'), /send +send one message, end-to-end encrypted/);
  assert.match(out.join('\n'), /keys +show your key fingerprint/);
  assert.match(out.join('\n'), /6 safety number mismatch/);
  assert.equal(await main(['listen', '--help'], io), 0);
  assert.equal(await main([], io), 2);
  assert.equal(await main(['send'], io), 2);
  assert.equal(await main(['help', 'nope'], io), 2);
  assert.match(err.join('\n'), /unknown command nope/);
});

test('resolveCliAccount: PARLEY_PROFILE / HOME default, account.json fills the gaps, never a password in profile.json', async () => {
  const home = mkdtempSync(join(tmpdir(), 'parley-home-'));
  assert.equal(defaultProfileDir({ HOME: home }), join(home, '.config', 'parley-cli'));
  assert.equal(defaultProfileDir({ HOME: home, PARLEY_PROFILE: join(home, 'p') }), join(home, 'p'));
  const env = { HOME: home };
  await assert.rejects(resolveCliAccount(parseArgs([], SPECS), env, home), { exitCode: 2, message: /missing --uri/ });
  const dir = join(home, '.config', 'parley-cli');
  await writeAccountFile(dir, { v: 1, aor: 'sip:alice@parley.test', proxy: 'tls://127.0.0.1:5061', caFile: '/ca.pem' });
  const a = await resolveCliAccount(parseArgs(['--timeout', '3'], SPECS), env, home);
  assert.deepEqual(
    [a.profileDir, a.aor, a.proxy, a.caFile, a.password, a.timeoutMs],
    [dir, 'sip:alice@parley.test', 'tls://127.0.0.1:5061', '/ca.pem', undefined, 3000],
  );
  assert.equal(a.saved?.aor, 'sip:alice@parley.test');
  const b = await resolveCliAccount(
    parseArgs(['--uri', 'sip:bob@parley.test', '--proxy', 'tcp://127.0.0.1:5060', '--password', 'pw'], SPECS),
    { ...env, PARLEY_PROFILE: join(home, 'other') },
    home,
  );
  assert.equal(b.profileDir, join(home, 'other'));
  assert.equal(b.password, 'pw');
  assert.equal(readProfile(join(home, 'other')).password, undefined);
  const d = await resolveCliAccount(
    parseArgs(['--proxy', 'tcp://127.0.0.1:5062'], SPECS),
    { ...env, PARLEY_PROFILE: join(home, 'other') },
    home,
  );
  assert.deepEqual(
    [d.aor, d.proxy, d.password],
    ['sip:bob@parley.test', 'tcp://127.0.0.1:5062', undefined],
    'profile.json remembered the uri',
  );
  const c = await resolveCliAccount(
    parseArgs(['--uri', 'sip:bob@parley.test', '--proxy', 'tcp://127.0.0.1:5060', '--password', 'pw', '--profile', 'x'], SPECS),
    env,
    home,
  );
  assert.equal(c.profileDir, join(home, 'x'));
  assert.deepEqual(readProfile(join(home, 'x')), { uri: 'sip:bob@parley.test', proxy: 'tcp://127.0.0.1:5060' });
  assert.equal(statSync(join(home, 'x', 'profile.json')).mode & 0o777, 0o600);
});

test("lockProfile: one holder at a time, released on demand, a dead holder's lock is taken over", () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-lock-'));
  const release = lockProfile(dir, 'listen');
  assert.equal(statSync(join(dir, LOCK_FILE)).mode & 0o777, 0o600);
  assert.throws(() => lockProfile(dir, 'send'), {
    exitCode: 2,
    message: new RegExp(`PROFILE_IN_USE: .*parley listen \\(pid ${process.pid}\\)`),
  });
  release();
  release(); // idempotent
  lockProfile(dir, 'send')();
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 2 ** 22 + 12345, command: 'listen' })); // no such process
  const again = lockProfile(dir, 'send');
  assert.throws(() => lockProfile(dir, 'chat'), { message: /in use by parley send/ });
  again();
});
