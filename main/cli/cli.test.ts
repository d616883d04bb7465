import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, stat, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startLab, type Lab } from '../../network/lab';

const BIN = resolve(import.meta.dirname, '../../bin/parley.mjs');
const CHILD_TIMEOUT_MS = 30_000;
let lab: Lab;
let work: string;
const children = new Set<ChildProcess>();

before(async () => {
  lab = await startLab();
  work = await mkdtemp(join(tmpdir(), 'parley-cli-'));
});

after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await lab?.stop();
  await rm(work, { recursive: true, force: true });
});

interface Run { code: number | null; stdout: string; stderr: string }

function parley(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: work, env: { ...process.env, ...env } });
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
  '--uri', lab.aor(user), '--password', password, '--proxy', lab.proxy[kind], '--ca', lab.caFile,
];

/** Starts `parley listen`, resolves once its readiness line is on stderr. */
function listen(user: string, extra: string[]): Promise<{ child: ChildProcess; lines: string[]; nextLine: () => Promise<string>; stderr: () => string }> {
  const child = spawn(process.execPath, [BIN, 'listen', ...acct(user, 'wss'), ...extra], { cwd: work });
  children.add(child);
  const lines: string[] = [];
  const waiters: Array<(l: string) => void> = [];
  let buf = '';
  let err = '';
  child.stdout.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const w = waiters.shift();
      if (w) w(line);
      else lines.push(line);
    }
  });
  const nextLine = () =>
    lines.length
      ? Promise.resolve(lines.shift()!)
      : new Promise<string>((res, rej) => {
          const t = setTimeout(() => rej(new Error(`no output line; stderr: ${err}`)), CHILD_TIMEOUT_MS);
          waiters.push((l) => {
            clearTimeout(t);
            res(l);
          });
        });
  return new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error(`listen not ready: ${err}`)), CHILD_TIMEOUT_MS);
    child.stderr.on('data', (d) => {
      err += d;
      if (err.includes('registered as ')) {
        clearTimeout(t);
        res({ child, lines, nextLine, stderr: () => err });
      }
    });
    child.on('close', (code) => rej(new Error(`listen exited early with ${code}: ${err}`)));
  });
}

test('listen --json prints the message sent by `parley send`; SIGTERM unregisters and exits 0', async () => {
  const l = await listen('bob', ['--json']);
  const sent = await parley(['send', 'sip:bob@parley.test', 'hello from the CLI ✓', '--cpim', ...acct('alice', 'tls')]);
  assert.equal(sent.code, 0, sent.stderr);
  assert.match(sent.stdout, /^delivered \(imdn [A-Za-z0-9_-]+\)\n$/);
  const obj = JSON.parse(await l.nextLine());
  assert.equal(obj.from, lab.aor('alice'));
  assert.equal(obj.to, lab.aor('bob'));
  assert.equal(obj.contentType, 'message/cpim');
  assert.equal(obj.text, 'hello from the CLI ✓');
  assert.equal(obj.mode, 'page');
  assert.equal(obj.imdnMessageId, /imdn ([^)]+)/.exec(sent.stdout)?.[1]);
  assert.ok(!Number.isNaN(Date.parse(obj.receivedAt)));

  const exited = new Promise<number | null>((r) => l.child.on('close', (c) => r(c)));
  l.child.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.match(l.stderr(), /unregistered/);
  assert.ok(!(await lab.registrations()).includes('bob@parley.test'));
});

test('send to an offline user reports "stored by network" (202) and exits 0', async () => {
  const r = await parley(['send', 'carol', 'see you later', ...acct('alice')]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'stored by network\n');
});

test('exit codes: wrong password 3, unknown user 4, usage 2', async () => {
  const wrong = await parley(['send', 'bob', 'x', ...acct('alice', 'tcp', 'bad-password')]);
  assert.equal(wrong.code, 3, wrong.stderr);
  assert.match(wrong.stderr, /SIP_AUTH_FAILED/);

  const unknown = await parley(['send', 'sip:nobody@parley.test', 'x', ...acct('alice')]);
  assert.equal(unknown.code, 4, unknown.stderr);
  assert.match(unknown.stderr, /failed 404/);

  const usage = await parley(['send', 'bob', 'x', '--no-such-flag']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /unknown option --no-such-flag/);
  assert.equal((await parley(['frobnicate'])).code, 2);
  const help = await parley(['help', 'send']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /usage: parley send TARGET/);
});

test('--profile remembers the account; password only with --save-password (mode 0600); PARLEY_PASSWORD works', async () => {
  const dir = join(work, 'profile');
  const first = await parley(['send', 'carol', 'one', ...acct('alice'), '--profile', dir]);
  assert.equal(first.code, 0, first.stderr);
  const saved = JSON.parse(await readFile(join(dir, 'profile.json'), 'utf8'));
  assert.equal(saved.uri, lab.aor('alice'));
  assert.equal(saved.password, undefined);
  assert.equal((await stat(join(dir, 'profile.json'))).mode & 0o777, 0o600);

  const noPassword = await parley(['send', 'carol', 'two', '--profile', dir]);
  assert.equal(noPassword.code, 2);
  const viaEnv = await parley(['send', 'carol', 'three', '--profile', dir], { PARLEY_PASSWORD: 'alice-secret' });
  assert.equal(viaEnv.code, 0, viaEnv.stderr);

  assert.equal((await parley(['send', 'carol', 'four', '--profile', dir, '--password', 'alice-secret', '--save-password'])).code, 0);
  assert.equal(JSON.parse(await readFile(join(dir, 'profile.json'), 'utf8')).password, 'alice-secret');
  const fromProfile = await parley(['send', 'carol', 'five', '--profile', dir]);
  assert.equal(fromProfile.code, 0, fromProfile.stderr);
});
