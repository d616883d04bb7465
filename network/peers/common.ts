// Shared plumbing for third-party SIP peers (baresip, linphonec) driven as child processes in lab tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { guardProcessGroup } from '../watchdog';
import { WaitQueue } from '../testing/wait-queue';

export interface PeerMessage {
  from: string;
  text: string;
}

export interface Peer {
  user: string;
  aor: string;
  /** Send a SIP MESSAGE with a text/plain body to `target` (sip: URI). */
  sendMessage(target: string, text: string): Promise<void>;
  /** Wait for a received MESSAGE matching pred (earlier ones count). */
  waitForMessage(pred: (m: PeerMessage) => boolean, timeoutMs?: number): Promise<PeerMessage>;
  /** Every MESSAGE received so far. */
  received: PeerMessage[];
  /** Last lines of the peer's output (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

export const PEER_READY_TIMEOUT_MS = 15000;
export const PEER_MESSAGE_TIMEOUT_MS = 10000;
const OUTPUT_TAIL = 60;

/** Line-oriented output collector with predicate waits (no sleeps). */
export class OutputWatch {
  private readonly tail: string[] = [];
  private readonly waiters: Array<{ test: (l: string) => boolean; resolve: (l: string) => void }> = [];
  private readonly messages = new WaitQueue<PeerMessage>();
  private partial = '';

  constructor(
    private readonly parseMessage: (line: string) => PeerMessage | undefined,
    private readonly log?: (l: string) => void,
  ) {}

  feed(chunk: string): void {
    const lines = (this.partial + chunk).split(/\r?\n/);
    this.partial = lines.pop() ?? '';
    for (const raw of lines) {
      // Strip terminal escapes (colours, cursor moves) that baresip's stdio UI and `script` add.
      const line = raw.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
      if (line.length === 0) continue;
      this.log?.(line);
      this.tail.push(line);
      if (this.tail.length > OUTPUT_TAIL) this.tail.shift();
      for (let i = this.waiters.length - 1; i >= 0; i--) {
        if (this.waiters[i].test(line)) this.waiters.splice(i, 1)[0].resolve(line);
      }
      const m = this.parseMessage(line);
      if (m) {
        this.messages.push(m);
        this.received.push(m);
      }
    }
  }

  readonly received: PeerMessage[] = [];

  text(): string {
    return this.tail.join('\n');
  }

  waitForLine(test: (l: string) => boolean, timeoutMs: number, what: string, proc?: ChildProcess): Promise<string> {
    const seen = this.tail.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const onExit = (): void => {
        clearTimeout(t);
        reject(new Error(`${what}: peer exited\n${this.text()}`));
      };
      const entry = {
        test,
        resolve: (l: string) => {
          clearTimeout(t);
          proc?.off('exit', onExit);
          resolve(l);
        },
      };
      const t = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(entry), 1);
        proc?.off('exit', onExit);
        reject(new Error(`${what}: not seen within ${timeoutMs} ms. Peer output:\n${this.text()}`));
      }, timeoutMs);
      proc?.once('exit', onExit);
      this.waiters.push(entry);
    });
  }

  waitForMessage(pred: (m: PeerMessage) => boolean, timeoutMs: number): Promise<PeerMessage> {
    return this.messages.take(pred, timeoutMs, 'matching MESSAGE', () => `Peer output:\n${this.text()}`);
  }
}

/**
 * Start a peer program in its own process group (killed with this Node process, network/watchdog.ts) with stdin, stdout
 * and stderr piped; its output lines feed an OutputWatch that recognises received MESSAGEs with `parseMessage`.
 */
export function spawnPeer(
  command: string,
  args: string[],
  o: { cwd: string; home: string; parseMessage: (line: string) => PeerMessage | undefined; log?: (line: string) => void },
): { proc: ChildProcess; watch: OutputWatch } {
  const proc = spawn(command, args, {
    cwd: o.cwd,
    env: { ...process.env, HOME: o.home },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  guardProcessGroup(proc);
  const watch = new OutputWatch(o.parseMessage, o.log);
  for (const stream of [proc.stdout, proc.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (d: string) => watch.feed(d));
  }
  proc.stdin?.on('error', () => undefined);
  return { proc, watch };
}

/** The Peer of a started peer program: its received MESSAGEs and output come from `watch`. */
export function peerHandle(
  lab: { aor(user: string): string },
  user: string,
  watch: OutputWatch,
  sendMessage: Peer['sendMessage'],
  stop: Peer['stop'],
): Peer {
  return {
    user,
    aor: lab.aor(user),
    received: watch.received,
    output: () => watch.text(),
    sendMessage,
    waitForMessage: (pred, timeoutMs = PEER_MESSAGE_TIMEOUT_MS) => watch.waitForMessage(pred, timeoutMs),
    stop,
  };
}

/** SIGTERM a peer process group and wait for it to exit (SIGKILL after a grace period). */
export async function stopProcess(proc: ChildProcess, graceMs = 3000): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null || !proc.pid) return;
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  try {
    process.kill(-proc.pid, 'SIGTERM');
  } catch {
    proc.kill('SIGTERM');
  }
  let timer: NodeJS.Timeout | undefined;
  const late = await Promise.race([
    exited.then(() => false),
    new Promise<boolean>((r) => {
      timer = setTimeout(() => r(true), graceMs);
    }),
  ]);
  clearTimeout(timer);
  if (late) {
    try {
      process.kill(-proc.pid, 'SIGKILL');
    } catch {
      proc.kill('SIGKILL');
    }
    await exited;
  }
}
