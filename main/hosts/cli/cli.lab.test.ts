// The `parley` binary end to end against the lab: E2E send/listen on CLI profiles (key discovery, pins reused, stored
// by the network while offline), --plain interop, chat with the profile identity, keys, exit codes, profile files.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, stat, readFile, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startLab, type Lab } from '../../../network/lab';
import { KEY_REQUEST_CONTENT_TYPE } from '../../security/key-request';
import { sendFileCommand } from './commands/send-file';

const BIN = resolve(import.meta.dirname, '../../../bin/parley.mjs');
const CHILD_TIMEOUT_MS = 30_000;
const KEY_FILE_NOTICE = /key store is protected by the profile key file only/;
let lab: Lab;
let work: string;
const children = new Set<ChildProcess>();

before(async () => {
  lab = await startLab();
  await lab.addAccount('dave', 'dave-secret');
  await lab.addAccount('erin', 'erin-secret');
  await lab.addAccount('frank', 'frank-secret');
  await lab.addAccount('gina', 'gina-secret');
  work = await mkdtemp(join(tmpdir(), 'parley-cli-'));
});

after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await lab?.stop();
  await rm(work, { recursive: true, force: true });
});

/** Children never see the caller's PARLEY_* variables or home directory. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: work };
  for (const k of Object.keys(env)) if (k.startsWith('PARLEY_')) delete env[k];
  return { ...env, ...extra };
}

const prof = (name: string) => join(work, `profile-${name}`);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function parley(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: work, env: childEnv(env) });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`parley ${args.join(' ')} did not finish: ${stderr}`));
    }, CHILD_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(t);
      children.delete(child);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

const acct = (user: string, kind: 'tcp' | 'tls' | 'ws' | 'wss' = 'tcp', password = `${user}-secret`) => [
  '--uri',
  lab.aor(user),
  '--password',
  password,
  '--proxy',
  lab.proxy[kind],
  '--ca',
  lab.caFile,
];

/** A running child whose stdout lines are collected; waitFor resolves with the first line (from `from`) matching. */
interface Proc {
  child: ChildProcess;
  lines: string[];
  stderr: () => string;
  waitFor: (pred: (l: string) => boolean, from?: number) => Promise<string>;
  json: (pred: (o: Record<string, unknown>) => boolean, from?: number) => Promise<Record<string, unknown>>;
  exit: Promise<number | null>;
  stop: () => Promise<number | null>;
}

function spawnProc(args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: work, env: childEnv(env) });
  children.add(child);
  const lines: string[] = [];
  const wake = new Set<() => void>();
  let buf = '';
  let err = '';
  child.stdout!.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
    for (const w of wake) w();
  });
  child.stderr!.on('data', (d) => {
    err += d;
    for (const w of wake) w();
  });
  const exit = new Promise<number | null>((r) =>
    child.on('close', (c) => {
      children.delete(child);
      r(c);
      for (const w of wake) w();
    }),
  );
  const waitFor = (pred: (l: string) => boolean, from = 0) =>
    new Promise<string>((res, rej) => {
      const check = () => {
        const hit = lines.slice(from).find(pred);
        if (hit !== undefined) {
          done();
          res(hit);
        } else if (child.exitCode !== null) {
          done();
          rej(new Error(`exited ${child.exitCode} without the line; stdout ${lines.join('\n')}; stderr ${err}`));
        }
      };
      const t = setTimeout(() => {
        done();
        rej(new Error(`no matching line; stdout ${lines.join('\n')}; stderr ${err}`));
      }, CHILD_TIMEOUT_MS);
      const done = () => {
        clearTimeout(t);
        wake.delete(check);
      };
      wake.add(check);
      check();
    });
  const json = async (pred: (o: Record<string, unknown>) => boolean, from = 0) =>
    JSON.parse(await waitFor((l) => l.startsWith('{') && pred(JSON.parse(l)), from)) as Record<string, unknown>;
  return {
    child,
    lines,
    stderr: () => err,
    waitFor,
    json,
    exit,
    stop: () => {
      child.kill('SIGTERM');
      return exit;
    },
  };
}

/** Starts `parley listen ARGS`, resolves once its readiness line is on stderr. */
async function listen(args: string[], env: Record<string, string> = {}): Promise<Proc> {
  const p = spawnProc(['listen', ...args], env);
  await new Promise<void>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`listen not ready: ${p.stderr()}`)), CHILD_TIMEOUT_MS);
    const check = () => {
      if (p.stderr().startsWith('registered as ')) {
        clearTimeout(t);
        res();
      } else if (p.child.exitCode !== null) {
        clearTimeout(t);
        rej(new Error(`listen exited early with ${p.child.exitCode}: ${p.stderr()}`));
      }
    };
    p.child.stderr!.on('data', check);
    p.child.on('close', check);
    check();
  });
  return p;
}

const keyRequests = (s: string, dir: 'in' | 'out') =>
  s.split('\n').filter((l) => l.startsWith(`trace: ${dir} `) && l.endsWith(KEY_REQUEST_CONTENT_TYPE)).length;

test('send is end-to-end encrypted: the first message discovers the key; a second run reuses the pin (no key request)', async () => {
  const l = await listen(['--json', '--trace', '--profile', prof('bob'), ...acct('bob', 'wss')]);
  const first = await parley([
    'send',
    'sip:bob@parley.test',
    'hello from the CLI ✓',
    '--trace',
    '--profile',
    prof('alice'),
    ...acct('alice', 'tls'),
  ]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stdout, 'delivered (end-to-end encrypted)\n');
  assert.equal(keyRequests(first.stderr, 'out'), 1, first.stderr);
  assert.match(first.stderr, KEY_FILE_NOTICE);
  assert.doesNotMatch(first.stderr, /not end-to-end encrypted/);
  const obj = await l.json((o) => o.event === 'message');
  assert.equal(obj.from, lab.aor('alice'));
  assert.equal(obj.to, lab.aor('bob'));
  assert.match(String(obj.contentType), /^text\/plain/);
  assert.equal(obj.text, 'hello from the CLI ✓');
  assert.equal(obj.mode, 'page');
  assert.equal(obj.e2e, 'on');
  assert.equal(obj.signatureValid, true);
  assert.match(String(obj.imdnMessageId), /^[A-Za-z0-9_-]{8,}$/);
  assert.ok(!Number.isNaN(Date.parse(String(obj.receivedAt))));
  assert.equal(keyRequests(l.stderr(), 'in'), 1, 'the listener answered one key request');

  // Second run: no account flags (the profile resumes with the sealed password), the pinned key, no key request;
  // options before the command (issue #15).
  const seen = l.lines.length;
  const second = await parley(['--profile', prof('alice'), '--json', 'send', 'bob', 'again', '--trace']);
  assert.equal(second.code, 0, second.stderr);
  const out = JSON.parse(second.stdout);
  assert.deepEqual([out.state, out.e2e, out.timedOut], ['sent', 'on', false]);
  assert.equal(keyRequests(second.stderr, 'out'), 0, second.stderr);
  const again = await l.json((o) => o.event === 'message', seen);
  assert.deepEqual([again.text, again.e2e, again.imdnMessageId], ['again', 'on', out.imdnMessageId]);
  assert.equal(keyRequests(l.stderr(), 'in'), 1, 'no second key request reached the listener');

  assert.equal(await l.stop(), 0);
  assert.match(l.stderr(), /unregistered/);
  assert.ok(!(await lab.registrations()).includes('bob@parley.test'));
});

test('send --plain to listen --plain: the raw MESSAGE as before, flagged not end-to-end encrypted', async () => {
  const l = await listen(['--plain', '--json', '--profile', prof('bob-plain'), ...acct('bob', 'wss')]);
  const sent = await parley(['send', 'sip:bob@parley.test', 'plain hello ✓', '--plain', '--cpim', '--profile', prof('alice')]);
  assert.equal(sent.code, 0, sent.stderr);
  assert.match(sent.stdout, /^delivered \(imdn [A-Za-z0-9_-]+\)\n$/);
  assert.match(sent.stderr, /not end-to-end encrypted/);
  const obj = await l.json(() => true);
  assert.equal(obj.from, lab.aor('alice'));
  assert.equal(obj.to, lab.aor('bob'));
  assert.equal(obj.contentType, 'message/cpim');
  assert.equal(obj.text, 'plain hello ✓');
  assert.equal(obj.mode, 'page');
  assert.equal(obj.e2e, 'off');
  assert.equal(obj.imdnMessageId, /imdn ([^)]+)/.exec(sent.stdout)?.[1]);
  assert.ok(!Number.isNaN(Date.parse(String(obj.receivedAt))));

  const typed = await parley(['send', 'bob', 'typed', '--type', 'text/plain', '--profile', prof('alice')]);
  assert.equal(typed.code, 0, typed.stderr);
  assert.equal(typed.stdout, 'delivered\n');
  assert.match(typed.stderr, /not end-to-end encrypted/, '--type implies --plain');
  assert.equal((await l.json((o) => o.text === 'typed')).contentType, 'text/plain');
  assert.equal(await l.stop(), 0);
});

test('offline recipient: stored by network (E2E), printed decrypted when its listener starts; a message waiting for a key stays queued and goes out later; password sealed', async () => {
  // carol's profile comes from PARLEY_PROFILE and her password from PARLEY_PASSWORD.
  const carolEnv = { PARLEY_PROFILE: prof('carol') };
  const carolFlags = ['--uri', lab.aor('carol'), '--proxy', lab.proxy.tcp, '--ca', lab.caFile];
  const c1 = await listen(['--json', ...carolFlags], { ...carolEnv, PARLEY_PASSWORD: 'carol-secret' });
  const hi = await parley(['send', 'carol', 'hi carol', '--profile', prof('alice')]);
  assert.equal(hi.code, 0, hi.stderr);
  assert.equal((await c1.json((o) => o.event === 'message')).text, 'hi carol');
  assert.equal(await c1.stop(), 0);

  const saved = JSON.parse(await readFile(join(prof('carol'), 'profile.json'), 'utf8'));
  assert.equal(saved.uri, lab.aor('carol'));
  assert.equal(saved.password, undefined);
  assert.equal((await stat(join(prof('carol'), 'profile.json'))).mode & 0o777, 0o600);
  const secrets = join(prof('carol'), 'accounts', 'sip_carol@parley.test', 'secrets.bin');
  assert.equal((await stat(secrets)).mode & 0o777, 0o600);
  assert.ok(!(await readFile(secrets)).includes(Buffer.from('carol-secret')), 'the password is sealed');

  const away = await parley(['send', 'carol', 'while you were away', '--profile', prof('alice')]);
  assert.equal(away.code, 0, away.stderr);
  assert.equal(away.stdout, 'stored by network (end-to-end encrypted)\n');

  // A clear password left in profile.json by an older --save-password is used once, then removed (sealed instead).
  await writeFile(join(prof('carol'), 'profile.json'), JSON.stringify({ ...saved, password: 'carol-secret' }), { mode: 0o600 });
  const c2 = await listen(['--json'], carolEnv);
  const got = await c2.json((o) => o.event === 'message');
  assert.deepEqual([got.text, got.e2e, got.mode, got.from], ['while you were away', 'on', 'page', lab.aor('alice')]);
  assert.equal(await c2.stop(), 0);
  assert.equal(JSON.parse(await readFile(join(prof('carol'), 'profile.json'), 'utf8')).password, undefined);

  // Nobody answers dave's key request: the message waits, queued in the profile (exit 5), nothing in clear.
  const dave = await parley(['send', 'dave', 'secret for dave', '--timeout', '2', '--trace', '--profile', prof('alice')]);
  assert.equal(dave.code, 5, dave.stderr);
  assert.match(dave.stderr, /waiting for the peer's key \(message stays queued in the profile\)/);
  assert.deepEqual(
    dave.stderr.split('\n').filter((x) => x.startsWith('trace: out')),
    [`trace: out sip:dave@parley.test ${KEY_REQUEST_CONTENT_TYPE}`],
  );
  const plain = await parley(['send', 'dave', 'see you later', '--plain', '--profile', prof('alice')]);
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(plain.stdout, 'stored by network\n');

  // dave comes online: answers the stored key request; alice's next run gets the key and sends the queued message.
  const d = await listen(['--json', '--profile', prof('dave'), ...acct('dave')]);
  const clear = await d.json((o) => o.event === 'message');
  assert.deepEqual([clear.text, clear.e2e], ['see you later', 'off']);
  const a = await listen(['--json', '--profile', prof('alice')]);
  const queued = await d.json((o) => o.text === 'secret for dave');
  assert.deepEqual([queued.e2e, queued.signatureValid, queued.from], ['on', true, lab.aor('alice')]);
  assert.equal(await a.stop(), 0);
  assert.equal(await d.stop(), 0);
});

test('exit codes: wrong password 3 (profile kept), unknown user 4, usage 2', async () => {
  const before = await readFile(join(prof('alice'), 'account.json'), 'utf8');
  const wrong = await parley(['send', 'bob', 'x', '--profile', prof('alice'), '--password', 'bad-password']);
  assert.equal(wrong.code, 3, wrong.stderr);
  assert.match(wrong.stderr, /SIP_AUTH_FAILED/);
  assert.equal(
    await readFile(join(prof('alice'), 'account.json'), 'utf8'),
    before,
    'a refused password does not replace the saved account',
  );

  // Default profile: $HOME/.config/parley-cli; nothing but the remembered flags is written when registration fails.
  const fresh = await parley(['send', 'bob', 'x', ...acct('alice', 'tcp', 'bad-password')]);
  assert.equal(fresh.code, 3, fresh.stderr);
  const home = join(work, '.config', 'parley-cli');
  assert.equal(JSON.parse(await readFile(join(home, 'profile.json'), 'utf8')).uri, lab.aor('alice'));
  await assert.rejects(stat(join(home, 'account.json')), { code: 'ENOENT' });

  const unknown = await parley(['send', 'sip:nobody@parley.test', 'x', '--profile', prof('alice')]);
  assert.equal(unknown.code, 4, unknown.stderr);
  assert.match(unknown.stderr, /failed 404/);

  const usage = await parley(['send', 'bob', 'x', '--no-such-flag']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /unknown option --no-such-flag/);
  assert.equal((await parley(['send', 'bob', 'x', '--mode', 'fax', '--profile', prof('alice')])).code, 2);
  assert.equal((await parley(['frobnicate'])).code, 2);
  const help = await parley(['help', 'send']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /usage: parley send TARGET/);
});

/** `parley chat bob` from alice's profile: one line out, delivered, stdin closed -> BYE, exit 0. */
async function chatOnce(text: string): Promise<{ established: Record<string, unknown>; run: Proc; code: number | null }> {
  const run = spawnProc(['chat', 'bob', '--json', '--profile', prof('alice')]);
  const established = await run.json((o) => o.event === 'established');
  run.child.stdin!.write(`${text}\n`);
  const sent = await run.json((o) => o.event === 'sent');
  assert.equal(sent.status, 'delivered', run.lines.join('\n'));
  run.child.stdin!.end();
  return { established, run, code: await run.exit };
}

test('chat uses the profile identity: twice in a row, listener restarted, no PEER_KEY_CHANGED', async () => {
  for (const text of ['chat one', 'chat two']) {
    const l = await listen(['--json', '--profile', prof('bob')]);
    const { established, run, code } = await chatOnce(text);
    assert.equal(code, 0, run.stderr());
    assert.deepEqual([established.protected, established.peerKeyState], [true, 'unverified']);
    const got = await l.json((o) => o.event === 'message' || o.event === 'failure');
    assert.deepEqual([got.event, got.text, got.mode, got.e2e, got.from], ['message', text, 'session', 'on', lab.aor('alice')]);
    assert.equal(await l.stop(), 0);
    for (const s of [run.stderr(), run.lines.join('\n'), l.stderr(), l.lines.join('\n')])
      assert.doesNotMatch(s, /PEER_KEY_CHANGED|key-changed/);
  }
});

test('keys: both profiles show the same safety number; verify marks the peer (6 on mismatch, 7 for an unknown key)', async () => {
  const show = await parley(['keys', 'show', '--profile', prof('alice')]);
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, /^sip:alice@parley\.test\n {2}fingerprint ([0-9a-f]{4} ){9}[0-9a-f]{4}\n$/);
  const digits = (r: Run) => /\n {2}([0-9 ]+)\n/.exec(r.stdout)?.[1]?.replace(/ /g, '');
  const a = await parley(['keys', 'fingerprint', 'bob', '--profile', prof('alice')]);
  const b = await parley(['keys', 'fingerprint', 'alice', '--profile', prof('bob')]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  assert.match(digits(a) ?? '', /^[0-9]{60}$/);
  assert.equal(digits(a), digits(b));
  const n = digits(b)!;
  const wrong = (n[0] === '9' ? '0' : '9') + n.slice(1);
  assert.equal((await parley(['keys', 'verify', 'bob', wrong, '--profile', prof('alice')])).code, 6);
  const ok = await parley(['keys', 'verify', 'bob', n, '--profile', prof('alice')]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^verified sip:bob@parley\.test/);
  assert.match((await parley(['keys', 'fingerprint', 'bob', '--profile', prof('alice')])).stdout, /\(verified\)/);
  assert.equal((await parley(['keys', 'fingerprint', 'carol', '--profile', prof('bob')])).code, 7);
});

test('PARLEY_PASSPHRASE protects the profile: no key-file notice; without it exit 2 (nothing created), a wrong one exit 2', async () => {
  const dir = prof('pass');
  const first = await parley(['send', 'dave', 'x', '--timeout', '1', '--profile', dir, ...acct('carol')], {
    PARLEY_PASSPHRASE: 'correct horse',
  });
  assert.equal(first.code, 5, first.stderr);
  assert.doesNotMatch(first.stderr, KEY_FILE_NOTICE);
  await assert.rejects(stat(join(dir, 'keyfile')), { code: 'ENOENT' });
  const locked = await parley(['send', 'dave', 'x', '--profile', dir]);
  assert.equal(locked.code, 2);
  assert.match(locked.stderr, /PROFILE_LOCKED: the key store is passphrase-protected: set PARLEY_PASSPHRASE/);
  await assert.rejects(stat(join(dir, 'keyfile')), { code: 'ENOENT' });
  const wrong = await parley(['send', 'dave', 'x', '--profile', dir], { PARLEY_PASSPHRASE: 'wrong' });
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /wrong passphrase \(wrong or missing PARLEY_PASSPHRASE\?\)/);
});

test('key change: the old key cannot open (failure line), the change is announced, send exits 6 until keys accept', async () => {
  const e1 = await listen(['--json', '--profile', prof('erin-1'), ...acct('erin')]);
  const first = await parley(['send', 'erin', 'first', '--profile', prof('frank'), ...acct('frank')]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal((await e1.json((o) => o.event === 'message')).text, 'first');
  assert.equal(await e1.stop(), 0);

  // erin starts over with a new profile, so a new identity key; frank still seals to the old one.
  const e2 = await listen(['--json', '--profile', prof('erin-2'), ...acct('erin')]);
  const stale = await parley(['send', 'erin', 'sealed for the old key', '--profile', prof('frank')]);
  assert.equal(stale.code, 0, stale.stderr);
  const fail = await e2.json((o) => o.event === 'failure');
  assert.deepEqual([fail.code, fail.from, fail.signatureValid, fail.text], ['E2E_NOT_FOR_ME', lab.aor('frank'), false, undefined]);
  // One process per profile: the listener holds erin-2.
  const busy = await parley(['send', 'frank', 'x', '--profile', prof('erin-2')]);
  assert.equal(busy.code, 2);
  assert.match(busy.stderr, /PROFILE_IN_USE: .* in use by parley listen \(pid \d+\)/);
  assert.equal(await e2.stop(), 0);

  // erin's key request carries the new key: frank's listener announces the change and flags her message.
  const f = await listen(['--json', '--profile', prof('frank')]);
  const hello = await parley(['send', 'frank', 'my new key', '--profile', prof('erin-2')]);
  assert.equal(hello.code, 0, hello.stderr);
  const changed = await f.json((o) => o.event === 'key-changed');
  assert.equal(changed.peer, lab.aor('erin'));
  const flagged = await f.json((o) => o.event === 'message');
  assert.deepEqual([flagged.text, flagged.signatureValid], ['my new key', false]);
  assert.equal(await f.stop(), 0);

  const blocked = await parley(['send', 'erin', 'blocked?', '--profile', prof('frank')]);
  assert.equal(blocked.code, 6, blocked.stderr);
  assert.match(blocked.stderr, /PEER_KEY_CHANGED.*parley keys accept erin/);
  const fp = await parley(['keys', 'fingerprint', 'erin', '--profile', prof('frank')]);
  assert.match(fp.stderr, new RegExp(`presented a new key \\(${String(changed.fingerprint)}\\)`));
  const accepted = await parley(['keys', 'accept', 'erin', '--profile', prof('frank')]);
  assert.equal(accepted.code, 0, accepted.stderr);

  const e3 = await listen(['--json', '--profile', prof('erin-2')]);
  const after = await parley(['send', 'erin', 'after accept', '--profile', prof('frank')]);
  assert.equal(after.code, 0, after.stderr);
  assert.equal(after.stdout, 'delivered (end-to-end encrypted)\n');
  const ok = await e3.json((o) => o.event === 'message');
  assert.deepEqual([ok.text, ok.e2e, ok.signatureValid], ['after accept', 'on', true]);
  assert.equal(await e3.stop(), 0);
});

test('listen --download-dir --accept-files saves a file sent by parley send-file (E2E), beside messages', async () => {
  const dl = join(work, 'downloads');
  const g = await listen(['--json', '--download-dir', dl, '--accept-files', '--profile', prof('gina'), ...acct('gina')]);
  const src = join(work, 'report.bin');
  const bytes = randomBytes(200_000);
  await writeFile(src, bytes);
  // send-file is registered by the lead: run the command module in-process (its own per-run identity; gina pins none).
  const out: string[] = [];
  const code = await sendFileCommand.run(['gina', src, '--profile', prof('carol-files'), ...acct('carol')], {
    out: (l) => out.push(l),
    err: (l) => out.push(l),
  });
  assert.equal(code, 0, out.join('\n'));
  const offer = await g.json((o) => o.event === 'file-offer');
  assert.deepEqual([offer.from, offer.protected], [lab.aor('carol'), true]);
  assert.ok(Number(offer.size) >= bytes.length, 'offered size (ciphertext) covers the file');
  const saved = await g.json((o) => o.event === 'file-saved' || o.event === 'file-failed');
  assert.equal(saved.event, 'file-saved', JSON.stringify(saved));
  assert.ok(String(saved.path).startsWith(dl + '/'), String(saved.path));
  assert.deepEqual(await readFile(String(saved.path)), bytes);
  assert.equal(await g.stop(), 0);
});
