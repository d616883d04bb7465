// One big MSRP message between two Parley MSRP endpoints on loopback (sessions set up directly with the MSRP layer, no
// SIP), beside a baseline measured in the same run: a raw socket copy of the same bytes for direct TCP and direct TLS
// (a=fingerprint checked, self-signed certificates); through the lab Kamailio relay (both sides relayed, 4096-byte chunks)
// a minimal hand-written MSRP client over the same relay, same path and chunking (bench/relay-baseline.ts).
// Run: npx tsx --expose-gc bench/msrp-transfer.ts [--mib 256] [--relay-mib 32] [--rounds 5] [--no-relay] [--no-tls]
import net from 'node:net';
import os from 'node:os';
import tls from 'node:tls';
import { once } from 'node:events';
import { MsrpTransport } from '../main/net/msrp/transport';
import { MsrpSession } from '../main/protocol/msrp/session';
import { MsrpRelayClient, RELAY_CHUNK_SIZE } from '../main/net/msrp/relay';
import { certFingerprint } from '../main/net/msrp/tls-cert';
import type { MessageSink } from '../main/protocol/msrp/reassembly';
import { startLab, type Lab } from '../network/lab';
import { DIRECT_CHUNK_SIZE } from '../main/media/msrp-media';
import { rawRelayTransfer } from './relay-baseline';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const MIB = 1024 * 1024;
const SIZE = arg('mib', 256) * MIB;
const RELAY_SIZE = arg('relay-mib', 32) * MIB;
const ROUNDS = arg('rounds', 5);
const WRITE = 64 * 1024; // raw copy write size
const SLICE = MIB; // MSRP source pieces (direct)
const RELAY_SLICE = 64 * 1024; // paced relayed source pieces (what ChatSession does, docs/sessions.md)

function payload(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i + 4 <= n; i += 4) b.writeUInt32LE((i * 2654435761) >>> 0, i);
  return b;
}

/** Counts bytes and samples a checksum (every 4099th byte) so the transfer is checked without a second full pass. */
class CountingSink implements MessageSink {
  bytes = 0;
  sum = 0;
  done: Promise<number>;
  private resolve!: (n: number) => void;
  constructor() {
    this.done = new Promise((r) => (this.resolve = r));
  }
  write(offset: number, data: Buffer): void {
    this.bytes += data.length;
    const first = (4099 - (offset % 4099)) % 4099;
    for (let i = first; i < data.length; i += 4099) this.sum = (this.sum + data[i] * ((offset + i) % 65521)) % 2147483647;
  }
  end(total: number): void {
    this.resolve(total);
  }
  abort(): void {
    this.resolve(-1);
  }
}

function expectedSum(b: Buffer): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 4099) s = (s + b[i] * (i % 65521)) % 2147483647;
  return s;
}

async function rawCopy(body: Buffer, secure: boolean, cert?: { cert: string; key: string }): Promise<number> {
  let received = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const onConn = (s: net.Socket) =>
    s.on('data', (d: Buffer) => {
      received += d.length;
      if (received >= body.length) done();
    });
  const server = secure ? tls.createServer({ cert: cert!.cert, key: cert!.key }, onConn) : net.createServer(onConn);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  const sock = secure ? tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }) : net.connect(port, '127.0.0.1');
  await once(sock, secure ? 'secureConnect' : 'connect');
  const t0 = performance.now();
  for (let o = 0; o < body.length; o += WRITE) {
    if (!sock.write(body.subarray(o, o + WRITE))) await once(sock, 'drain');
  }
  await finished;
  const ms = performance.now() - t0;
  sock.destroy();
  await new Promise<void>((r) => server.close(() => r()));
  return ms;
}

async function* pieces(buf: Buffer, size: number, paced: boolean): AsyncIterable<Buffer> {
  for (let o = 0; o < buf.length; o += size) {
    yield buf.subarray(o, o + size);
    if (paced) await new Promise<void>((r) => setImmediate(r));
  }
}

interface Pair {
  ta: MsrpTransport;
  a: MsrpSession;
  b: MsrpSession;
  sink: () => CountingSink;
  close(): Promise<void>;
}

async function directPair(secure: boolean): Promise<Pair> {
  const ta = new MsrpTransport({ tls: secure });
  const tb = new MsrpTransport({ tls: secure });
  await tb.listen();
  const aUri = ta.localUri();
  const bUri = tb.localUri();
  let current = new CountingSink();
  const a = new MsrpSession({ localUri: aUri, toPath: [bUri], chunkSize: DIRECT_CHUNK_SIZE });
  const b = new MsrpSession({ localUri: bUri, toPath: [aUri], maxMessageBytes: Math.max(SIZE, RELAY_SIZE), createSink: () => current });
  const fpA = secure ? `sha-256 ${certFingerprint((await ta.certificate()).cert)}` : undefined;
  const fpB = secure ? `sha-256 ${certFingerprint((await tb.certificate()).cert)}` : undefined;
  await Promise.all([tb.attach(b, { role: 'passive', remoteFingerprint: fpA }), ta.attach(a, { role: 'active', remoteFingerprint: fpB })]);
  return { ta, a, b, sink: () => (current = new CountingSink()), close: async () => void (await Promise.all([ta.close(), tb.close()])) };
}

async function relayPair(lab: Lab): Promise<Pair> {
  const ta = new MsrpTransport();
  const tb = new MsrpTransport();
  const ra = new MsrpRelayClient(ta, { relayUri: lab.relay.tcp, username: 'alice', password: 'alice-secret' });
  const rb = new MsrpRelayClient(tb, { relayUri: lab.relay.tcp, username: 'bob', password: 'bob-secret' });
  const [ga, gb] = await Promise.all([ra.authenticate(), rb.authenticate()]);
  const aUri = ta.localUri();
  const bUri = tb.localUri();
  let current = new CountingSink();
  const a = new MsrpSession({ localUri: aUri, toPath: [...ga.usePath, ...gb.usePath, bUri], chunkSize: RELAY_CHUNK_SIZE });
  const b = new MsrpSession({
    localUri: bUri,
    toPath: [...gb.usePath, ...ga.usePath, aUri],
    chunkSize: RELAY_CHUNK_SIZE,
    maxMessageBytes: Math.max(SIZE, RELAY_SIZE),
    createSink: () => current,
  });
  let bound!: () => void;
  const gotBind = new Promise<void>((r) => (bound = r));
  b.onEvent = (e) => e.type === 'bound' && bound();
  await tb.attach(b, { role: 'passive', viaRelay: true } as never);
  await ta.attach(a, { role: 'active', viaRelay: true } as never);
  for (let i = 0; i < 5; i++) {
    const ok = await Promise.race([gotBind.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 1000))]);
    if (ok) break;
    a.sendBindRequest();
  }
  return {
    ta,
    a,
    b,
    sink: () => (current = new CountingSink()),
    close: async () => {
      ra.close();
      rb.close();
      await Promise.all([ta.close(), tb.close()]);
    },
  };
}

async function msrpTransfer(p: Pair, body: Buffer, slice: number, paced: boolean): Promise<number> {
  const sink = p.sink();
  const failed = new Promise<never>((_, reject) => {
    p.a.onEvent = (e) => e.type === 'sendFailed' && reject(new Error(`sendFailed ${e.status} ${e.comment ?? ''}`));
  });
  const t0 = performance.now();
  await p.ta.sendStream(p.a, pieces(body, slice, paced), { contentType: 'application/octet-stream' }, body.length);
  const total = await Promise.race([sink.done, failed]);
  const ms = performance.now() - t0;
  if (total !== body.length || sink.bytes !== body.length || sink.sum !== expectedSum(body))
    throw new Error(`transfer corrupted: ${total}/${sink.bytes}`);
  return ms;
}

const mbps = (bytes: number, ms: number) => (bytes / MIB / (ms / 1000)).toFixed(0);

/** A collection between runs (with --expose-gc) so no run pays for the garbage of the one before. */
const settle = () => (globalThis as { gc?: () => void }).gc?.();

async function row(name: string, size: number, raw: () => Promise<number>, msrp: () => Promise<number>): Promise<void> {
  let bestRaw = Infinity;
  let bestMsrp = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    settle();
    bestRaw = Math.min(bestRaw, await raw());
    settle();
    try {
      bestMsrp = Math.min(bestMsrp, await msrp());
    } catch (e) {
      console.log(`${name}: round ${r + 1} failed: ${(e as Error).message}`);
    }
  }
  console.log(
    `${name.padEnd(34)} ${String(size / MIB).padStart(4)} MiB  baseline ${mbps(size, bestRaw).padStart(5)} MiB/s  parley ${mbps(size, bestMsrp).padStart(5)} MiB/s` +
      `  parley/baseline ${(bestRaw / bestMsrp).toFixed(2)}  (best of ${ROUNDS}: ${bestRaw.toFixed(0)} ms, ${bestMsrp.toFixed(0)} ms)`,
  );
}

async function main(): Promise<void> {
  const all = payload(Math.max(SIZE, RELAY_SIZE));
  const body = all.subarray(0, SIZE);
  console.log(
    `node ${process.version}, ${os.availableParallelism()} cores, load average ${os.loadavg()[0].toFixed(1)}, ${ROUNDS} rounds each (best), ` +
      `gc between runs: ${typeof (globalThis as { gc?: unknown }).gc === 'function'}; receiver counts bytes into a sink`,
  );
  const tcp = await directPair(false);
  await row(
    `direct TCP (${DIRECT_CHUNK_SIZE / 1024} KiB chunks)`,
    SIZE,
    () => rawCopy(body, false),
    () => msrpTransfer(tcp, body, SLICE, false),
  );
  await tcp.close();
  if (process.argv.includes('--no-tls')) return relayRow(all);
  const tlsPair = await directPair(true);
  const cert = await tlsPair.ta.certificate();
  await row(
    `direct TLS (${DIRECT_CHUNK_SIZE / 1024} KiB), fingerprint`,
    SIZE,
    () => rawCopy(body, true, cert),
    () => msrpTransfer(tlsPair, body, SLICE, false),
  );
  await tlsPair.close();
  await relayRow(all);
}

async function relayRow(body: Buffer): Promise<void> {
  if (process.argv.includes('--no-relay')) return;
  const lab = await startLab();
  try {
    const relayBody = body.subarray(0, RELAY_SIZE);
    // fresh clients (AUTH, binding) for every run on both sides, outside the timing: the lab relay's leg to itself may
    // lose frames after a burst (docs/msrp.md, lab limitation 3), and a new session re-establishes it
    const parley = async () => {
      const rp = await relayPair(lab);
      try {
        return await msrpTransfer(rp, relayBody, RELAY_SLICE, true);
      } finally {
        await rp.close();
      }
    };
    await row(
      `lab relay, both relayed (${RELAY_CHUNK_SIZE / 1024} KiB)`,
      RELAY_SIZE,
      () => rawRelayTransfer(lab.relay.tcp, relayBody, RELAY_CHUNK_SIZE),
      parley,
    );
  } finally {
    await lab.stop();
  }
}

await main();
