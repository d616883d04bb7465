// The runnable app server: starts on the given port, prints where it listens, answers OPTIONS from the proxy, stops on SIGTERM.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, freePorts, type Lab } from '../lab';
import { RawSipClient } from '../testing/rawsip';
import { usePatchedLabCfg } from './lab-patch';

function waitForLine(p: ChildProcess, re: RegExp, ms = 15000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => reject(new Error(`no line matching ${re} in ${buf}`)), ms);
    p.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = buf.split('\n').find((l) => re.test(l));
      if (m) {
        clearTimeout(t);
        resolve(m);
      }
    });
  });
}

describe('app server CLI', () => {
  let lab: Lab;
  let proc: ChildProcess | undefined;
  let dir = '';
  let unpatch = () => {};
  before(async () => {
    unpatch = usePatchedLabCfg();
    dir = mkdtempSync(join(tmpdir(), 'parley-as-cli-'));
  });
  after(async () => {
    if (proc && proc.exitCode === null) proc.kill('SIGKILL');
    await lab?.stop();
    rmSync(dir, { recursive: true, force: true });
    unpatch();
  });

  it('rejects bad arguments with a usage line', async () => {
    const p = spawn(process.execPath, ['--import', 'tsx', 'network/appserver/cli.ts', '--port'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const code = p.exitCode ?? (await once(p, 'exit'))[0];
    assert.equal(code, 2);
    assert.match(err, /usage: tsx network\/appserver\/cli\.ts/);
  });

  it('serves a group from a JSON file behind the lab and stops cleanly on SIGTERM', async () => {
    const [port] = await freePorts(1);
    lab = await startLab({ appServerPort: port });
    const groups = join(dir, 'groups.json');
    writeFileSync(groups, JSON.stringify({ pair: { members: [lab.aor('alice'), lab.aor('bob')] } }));
    proc = spawn(
      process.execPath,
      ['--import', 'tsx', 'network/appserver/cli.ts', '--port', String(port), '--proxy', `127.0.0.1:${lab.ports.sip}`, '--groups', groups],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    await waitForLine(proc, /Parley app server on sip:127\.0\.0\.1:\d+/);
    const alice = await RawSipClient.connect({ lab, transport: 'tcp', user: 'alice', password: 'alice-secret' });
    const bob = await RawSipClient.connect({ lab, transport: 'tcp', user: 'bob', password: 'bob-secret' });
    try {
      assert.equal((await bob.register()).status, 200);
      assert.equal((await alice.message(`sip:group-pair@${lab.domain}`, 'from the cli')).status, 202);
      const m = await bob.waitForRequest((x) => x.method === 'MESSAGE');
      assert.equal(m.body, 'from the cli');
    } finally {
      await alice.close();
      await bob.close();
    }
    const stopped = waitForLine(proc, /app server stopped/);
    proc.kill('SIGTERM');
    await stopped;
    const code = proc.exitCode ?? (await once(proc, 'exit'))[0];
    assert.equal(code, 0);
  });
});
