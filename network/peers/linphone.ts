// linphonec 5.1 (Debian linphone-cli) as a real third-party SIP MESSAGE peer (RFC 3428) over TCP or TLS.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lab } from '../lab';
import { assertLabAllowed } from '../lab';
import { PEER_READY_TIMEOUT_MS, peerHandle, spawnPeer, stopProcess, type Peer, type PeerMessage } from './common';

export interface LinphoneOptions {
  lab: Lab;
  user: string;
  password: string;
  transport?: 'tcp' | 'tls';
  log?: (line: string) => void;
}

const REGISTRATION_POLL_MS = 100;

/** linphonec prints `Message received from sip:alice@parley.test: text` (possibly after its prompt). */
export function parseLinphoneMessage(line: string): PeerMessage | undefined {
  const m = /Message received from (sips?:[^\s:]+@[^\s:]+): (.*)$/.exec(line);
  return m ? { from: m[1], text: m[2] } : undefined;
}

export async function startLinphone(o: LinphoneOptions): Promise<Peer> {
  assertLabAllowed('linphonec');
  const { lab } = o;
  const transport = o.transport ?? 'tcp';
  const dir = await mkdtemp(join(tmpdir(), 'parley-linphone-'));
  await mkdir(join(dir, 'storage'));
  await mkdir(join(dir, 'home', '.local', 'share', 'linphone'), { recursive: true });
  const port = transport === 'tls' ? lab.ports.tls : lab.ports.sip;
  const proxy = `<sip:127.0.0.1:${port};transport=${transport}>`;
  const rc = join(dir, 'linphonerc');
  await writeFile(
    rc,
    [
      '[sip]',
      'sip_port=-1',
      'sip_tcp_port=-1',
      'sip_tls_port=-1',
      'default_proxy=0',
      'use_ipv6=0',
      // TLS: trust the lab CA; the proxy is addressed by IP, so skip the CN/SAN name check.
      ...(transport === 'tls' ? [`root_ca=${lab.caFile}`, 'verify_server_cn=0', 'verify_server_certs=1'] : []),
      '[net]',
      'dns_srv_enabled=0',
      '[proxy_0]',
      `reg_proxy=${proxy}`,
      `reg_route=${proxy.replace('>', ';lr>')}`,
      `reg_identity=sip:${o.user}@${lab.domain}`,
      'reg_expires=600',
      'reg_sendregister=1',
      '[auth_info_0]',
      `username=${o.user}`,
      `passwd=${o.password}`,
      `realm=${lab.domain}`,
      `domain=${lab.domain}`,
      // Without an existing storage location the core never leaves startup.
      '[storage]',
      `uri=${join(dir, 'storage', 'linphone.db')}`,
      '[video]',
      'enabled=0',
      '',
    ].join('\n'),
  );
  const { proc, watch } = spawnPeer('linphonec', ['-c', rc], {
    cwd: dir,
    home: join(dir, 'home'),
    parseMessage: parseLinphoneMessage,
    log: o.log,
  });
  const cleanup = async (): Promise<void> => {
    proc.stdin?.end();
    await stopProcess(proc);
    await rm(dir, { recursive: true, force: true });
  };

  // Readiness: the registrar holds a binding for the user (linphonec prints nothing reliable without -S).
  const aor = `${o.user}@${lab.domain}`;
  const deadline = Date.now() + PEER_READY_TIMEOUT_MS;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      await cleanup();
      throw new Error(`linphonec exited before registering ${aor}:\n${watch.text()}`);
    }
    if ((await lab.registrations()).includes(aor)) break;
    if (Date.now() > deadline) {
      const out = watch.text();
      await cleanup();
      throw new Error(`linphonec did not register ${aor} within ${PEER_READY_TIMEOUT_MS} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, REGISTRATION_POLL_MS));
  }

  return peerHandle(
    lab,
    o.user,
    watch,
    async (target, text) => {
      if (/[\r\n]/.test(text)) throw new Error('linphonec peer: text must be a single line');
      proc.stdin?.write(`chat ${target} ${text}\n`);
    },
    cleanup,
  );
}
