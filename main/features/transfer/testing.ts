// Test/bench helpers for file transfer: loopback MSRP pairs (optionally through a cuttable TCP forwarder), test files.
import net from 'node:net';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { MsrpSession, type MsrpSessionOptions } from '../../protocol/msrp/index';
import { MsrpTransport } from '../../net/msrp/index';

/** A TCP forwarder on 127.0.0.1 whose connections the test can cut (simulated network loss). */
export class CuttableProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  port = 0;
  constructor(private readonly targetPort: number) {}
  async start(): Promise<number> {
    this.server = net.createServer((client) => {
      const up = net.connect(this.targetPort, '127.0.0.1');
      client.setNoDelay(true);
      up.setNoDelay(true);
      for (const s of [client, up]) {
        this.sockets.add(s);
        s.on('error', () => {});
        s.on('close', () => {
          this.sockets.delete(s);
          client.destroy();
          up.destroy();
        });
      }
      client.pipe(up);
      up.pipe(client);
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }
  /** Destroy every forwarded connection (both sides see a reset/close). */
  cut(): void {
    for (const s of [...this.sockets]) s.destroy();
  }
  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

export interface LoopbackPair {
  sender: { transport: MsrpTransport; session: MsrpSession };
  receiver: { transport: MsrpTransport; session: MsrpSession };
  proxy?: CuttableProxy;
  close(): Promise<void>;
}

/**
 * Receiver listens (passive); the sender connects (active), through a CuttableProxy when `viaProxy` (CEMA matching, since
 * the To-Path then names the proxy). Session options come from the receiver (sink, types, limits).
 */
export async function loopbackPair(o: {
  receiverSession?: Partial<MsrpSessionOptions>;
  chunkSize?: number;
  viaProxy?: boolean;
  tls?: boolean;
}): Promise<LoopbackPair> {
  const ts = new MsrpTransport({ tls: o.tls });
  const tr = new MsrpTransport({ tls: o.tls });
  await tr.listen();
  let proxy: CuttableProxy | undefined;
  const su = ts.localUri();
  const ru = tr.localUri();
  const target = { ...ru };
  if (o.viaProxy) {
    proxy = new CuttableProxy(tr.port);
    target.port = await proxy.start();
  }
  const ss = new MsrpSession({ localUri: su, toPath: [target], chunkSize: o.chunkSize, cema: !!o.viaProxy });
  const rs = new MsrpSession({ localUri: ru, toPath: [su], cema: !!o.viaProxy, ...o.receiverSession });
  const passive = tr.attach(rs, { role: 'passive' });
  await ts.attach(ss, { role: 'active' });
  await passive;
  return {
    sender: { transport: ts, session: ss },
    receiver: { transport: tr, session: rs },
    proxy,
    async close() {
      await proxy?.stop();
      await ts.close();
      await tr.close();
    },
  };
}

/** A fresh directory (under `parent`, default the OS temp dir). */
export function tempDir(prefix = 'parley-ft-', parent = os.tmpdir()): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(parent, prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Write `size` pseudo-random bytes (deterministic per seed) in 1 MiB blocks; returns the SHA-256 hex. */
export async function writeTestFile(file: string, size: number, seed = 1): Promise<string> {
  const h = createHash('sha256');
  const ws = createWriteStream(file);
  const block = Buffer.allocUnsafe(1024 * 1024);
  let x = seed >>> 0 || 1;
  for (let off = 0; off < size; off += block.length) {
    const n = Math.min(block.length, size - off);
    for (let i = 0; i < n; i += 4) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      block.writeUInt32LE(x >>> 0, i);
    }
    const piece = Buffer.from(block.subarray(0, n));
    h.update(piece);
    if (!ws.write(piece)) await once(ws, 'drain');
  }
  ws.end();
  await once(ws, 'finish');
  return h.digest('hex');
}

/** Peak RSS sampler. */
export function rssSampler(intervalMs = 25): { stop(): number } {
  let peak = process.memoryUsage().rss;
  const t = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), intervalMs);
  return {
    stop() {
      clearInterval(t);
      return Math.max(peak, process.memoryUsage().rss);
    },
  };
}
