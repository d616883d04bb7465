// baresip 1.0 (Debian baresip-core) as a real third-party SIP MESSAGE peer (RFC 3428) registered to the lab over TCP.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lab } from '../lab';
import { assertLabAllowed, freePorts } from '../lab';
import { PEER_READY_TIMEOUT_MS, peerHandle, spawnPeer, stopProcess, type Peer, type PeerMessage } from './common';

export interface BaresipOptions {
  lab: Lab;
  user: string;
  password: string;
  /** Extra contact URIs sendMessage may target (every lab account is a contact already). */
  contacts?: string[];
  log?: (line: string) => void;
}

const CTRL_TIMEOUT_MS = 5000;

/** `sip:bob@parley.test: "text"` is how baresip's menu module prints a received MESSAGE. */
export function parseBaresipMessage(line: string): PeerMessage | undefined {
  const m = /(sips?:[^\s:"]+@[^\s:"]+): "(.*)"$/.exec(line);
  return m ? { from: m[1], text: m[2] } : undefined;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** baresip also binds SIP/TLS on sip_listen port + 1, so both must be free. */
async function sipAndCtrlPorts(): Promise<[number, number]> {
  for (;;) {
    const [sip, ctrl] = await freePorts(2);
    if (ctrl !== sip + 1 && sip < 65535 && (await portFree(sip + 1))) return [sip, ctrl];
  }
}

/** netstring JSON client for baresip's ctrl_tcp module. */
class Ctrl {
  private buf = '';
  private seq = 0;
  private readonly pending = new Map<string, (r: { ok: boolean; data: string }) => void>();
  private constructor(private readonly sock: Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      this.buf += d;
      for (;;) {
        const colon = this.buf.indexOf(':');
        if (colon < 0) break;
        const len = Number(this.buf.slice(0, colon));
        if (this.buf.length < colon + 1 + len + 1) break;
        const json = this.buf.slice(colon + 1, colon + 1 + len);
        this.buf = this.buf.slice(colon + 1 + len + 1);
        try {
          const r = JSON.parse(json) as { response?: boolean; ok: boolean; data: string; token?: string };
          if (r.response && r.token) {
            this.pending.get(r.token)?.(r);
            this.pending.delete(r.token);
          }
        } catch {
          /* events and malformed lines are ignored */
        }
      }
    });
    sock.on('error', () => undefined);
  }

  static async open(port: number): Promise<Ctrl> {
    const s = connect({ host: '127.0.0.1', port });
    await new Promise<void>((res, rej) => {
      s.once('connect', () => res());
      s.once('error', rej);
    });
    return new Ctrl(s);
  }

  command(command: string, params?: string): Promise<{ ok: boolean; data: string }> {
    const token = `t${++this.seq}`;
    const body = JSON.stringify(params === undefined ? { command, token } : { command, params, token });
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.pending.delete(token);
        reject(new Error(`baresip ctrl ${command}: no response`));
      }, CTRL_TIMEOUT_MS);
      this.pending.set(token, (r) => {
        clearTimeout(t);
        resolve(r);
      });
      this.sock.write(`${Buffer.byteLength(body)}:${body},`);
    });
  }

  close(): void {
    this.sock.destroy();
  }
}

export async function startBaresip(o: BaresipOptions): Promise<Peer> {
  assertLabAllowed('baresip');
  const { lab } = o;
  const dir = await mkdtemp(join(tmpdir(), 'parley-baresip-'));
  const [sipPort, ctrlPort] = await sipAndCtrlPorts();
  const outbound = `sip:127.0.0.1:${lab.ports.sip};transport=tcp`;
  await writeFile(
    join(dir, 'config'),
    [
      'poll_method epoll',
      `sip_listen 127.0.0.1:${sipPort}`,
      'net_interface 127.0.0.1',
      'dns_server 127.0.0.1:53',
      'module_path /usr/lib/baresip/modules',
      'module stdio.so',
      'module_app account.so',
      'module_app contact.so',
      'module_app menu.so',
      'module_app ctrl_tcp.so',
      `ctrl_tcp_listen 127.0.0.1:${ctrlPort}`,
      '',
    ].join('\n'),
  );
  // Without outbound= baresip sends MESSAGE over UDP; with it everything uses the TCP connection to the lab.
  await writeFile(
    join(dir, 'accounts'),
    `<sip:${o.user}@${lab.domain};transport=tcp>;auth_pass=${o.password};outbound="${outbound}";regint=600;answermode=manual\n`,
  );
  const contacts = [...new Set([...lab.accounts.map((a) => lab.aor(a.user)), ...(o.contacts ?? [])])];
  const display = (uri: string): string => uri.replace(/^sips?:/, '').split('@')[0];
  await writeFile(join(dir, 'contacts'), contacts.map((c) => `"${display(c)}" <${c}>\n`).join(''));

  // The stdio UI needs a terminal: run under `script` to give it a pty.
  const { proc, watch } = spawnPeer('script', ['-qfc', `baresip -f ${dir}`, '/dev/null'], {
    cwd: dir,
    home: dir,
    parseMessage: parseBaresipMessage,
    log: o.log,
  });
  let ctrl: Ctrl | undefined;
  const cleanup = async (): Promise<void> => {
    ctrl?.close();
    await stopProcess(proc);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const aor = `${o.user}@${lab.domain}`;
    await watch.waitForLine((l) => l.includes(`${aor}: {0/TCP/v4} 200 OK`), PEER_READY_TIMEOUT_MS, `baresip ${aor} registration`, proc);
    ctrl = await Ctrl.open(ctrlPort);
  } catch (e) {
    await cleanup();
    throw e;
  }
  const c = ctrl;
  return peerHandle(
    lab,
    o.user,
    watch,
    async (target, text) => {
      if (!contacts.includes(target)) throw new Error(`baresip peer: ${target} is not a configured contact (pass it in contacts)`);
      let current = '';
      // contact_next/contact_prev stop at the ends of the list: walk forward, then backward.
      for (const cmd of ['contact_next', 'contact_prev']) {
        for (let i = 0; i <= contacts.length && !current.includes(`<${target}>`); i++) current = (await c.command(cmd)).data;
      }
      if (!current.includes(`<${target}>`)) throw new Error(`baresip peer: could not select contact ${target} (last: ${current})`);
      const r = await c.command('message', text);
      if (!r.ok) throw new Error(`baresip peer: message command failed: ${r.data}`);
    },
    cleanup,
  );
}
