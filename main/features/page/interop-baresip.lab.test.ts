// Interop: RFC 3428 MESSAGE between Parley and baresip 1.0.0 (Debian baresip-core) through the lab's Kamailio.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { startLab, freePorts, type Lab } from '../../../network/lab';
import { accountFor, nextEvent, UaPool } from '../../net/sip/testing';
import { PageMessagingService, type IncomingPageMessage } from './page-messaging';

const PEER_TIMEOUT_MS = 15_000;
let lab: Lab;
let dir: string;
let baresip: ChildProcess | undefined;
let output = '';
let ctrlPort = 0;
const pool = new UaPool();
let alice: PageMessagingService;
const outputWaiters: Array<{ re: RegExp; resolve: () => void }> = [];

function waitForOutput(re: RegExp, timeoutMs = PEER_TIMEOUT_MS): Promise<void> {
  if (re.test(output)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const w = {
      re,
      resolve: () => {
        clearTimeout(t);
        resolve();
      },
    };
    const t = setTimeout(() => {
      outputWaiters.splice(outputWaiters.indexOf(w), 1);
      reject(new Error(`baresip never printed ${re}; output:\n${output}`));
    }, timeoutMs);
    outputWaiters.push(w);
  });
}

before(async () => {
  lab = await startLab();
  dir = await mkdtemp(join(tmpdir(), 'parley-baresip-'));
  const [sipPort, ctrl] = await freePorts(2);
  ctrlPort = ctrl;
  await writeFile(
    join(dir, 'config'),
    [
      'poll_method epoll',
      `sip_listen 127.0.0.1:${sipPort}`,
      'net_interface 127.0.0.1',
      'dns_server 127.0.0.1:53',
      'module_path /usr/lib/baresip/modules',
      'module stdio.so',
      'module g711.so',
      'module_app account.so',
      'module_app contact.so',
      'module_app menu.so',
      'module_app ctrl_tcp.so',
      `ctrl_tcp_listen 127.0.0.1:${ctrlPort}`,
      'audio_player aufile,/dev/null',
      'audio_source aufile,/dev/null',
      '',
    ].join('\n'),
  );
  await writeFile(
    join(dir, 'accounts'),
    `<sip:carol@${lab.domain};transport=tcp>;auth_pass=carol-secret;outbound="sip:127.0.0.1:${lab.ports.sip};transport=tcp";regint=600\n`,
  );
  // The current contact is where ctrl_tcp's "message" command sends.
  await writeFile(join(dir, 'contacts'), `"Alice" <${lab.aor('alice')}>\n`);
  // baresip's stdio module needs a terminal: run it under script(1), in its own process group.
  baresip = spawn('script', ['-qfc', `baresip -f ${dir}`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  baresip.stdout!.on('data', (d) => {
    output += d;
    for (const w of [...outputWaiters])
      if (w.re.test(output)) {
        outputWaiters.splice(outputWaiters.indexOf(w), 1);
        w.resolve();
      }
  });
  baresip.stderr!.on('data', (d) => (output += d));
  await waitForOutput(/registered successfully/);

  const ua = pool.create(accountFor(lab, 'alice', 'tls'));
  alice = new PageMessagingService(ua);
  await ua.start();
});

after(async () => {
  await pool.stopAll();
  if (baresip?.pid) {
    const exited = new Promise((r) => baresip!.once('close', r));
    try {
      process.kill(-baresip.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000).unref())]);
    try {
      process.kill(-baresip.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  await lab?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('a MESSAGE from Parley (TLS) is received by baresip (TCP)', async () => {
  const out = await alice.send('sip:carol@parley.test', { text: 'hello baresip, from Parley' });
  assert.deepEqual([out.status, out.code], ['sent', 200]);
  await waitForOutput(/sip:alice@parley\.test: "hello baresip, from Parley"/);
});

test('a MESSAGE from baresip is received by Parley', async () => {
  const got = nextEvent<IncomingPageMessage>(alice, 'message', (m) => m.text === 'hello Parley, from baresip');
  const sock = net.connect(ctrlPort, '127.0.0.1');
  await new Promise<void>((r, j) => {
    sock.once('connect', () => r());
    sock.once('error', j);
  });
  const cmd = JSON.stringify({ command: 'message', params: 'hello Parley, from baresip', token: 'parley-1' });
  const reply = new Promise<string>((r) => sock.once('data', (d) => r(d.toString())));
  sock.write(`${Buffer.byteLength(cmd)}:${cmd},`);
  assert.match(await reply, /"ok":true/);
  sock.destroy();
  const m = await got;
  assert.equal(m.from, 'sip:carol@parley.test');
  assert.match(m.contentType, /^text\/plain/);
  assert.equal(m.transport?.transport, 'TLS');
});
