// RFC 5547 file transfer throughput: a file sent between two Parley endpoints in one process on loopback, plain and end-to-end
// encrypted, direct and through the lab's Kamailio MSRP relay, each beside a raw TCP socket copy of the same file (disk to
// disk) measured in the same run; peak RSS and CPU time (whole process, and its main thread) per run.
// Usage: npx tsx bench/file-transfer.ts [--size-mib 1024] [--relay-mib 64] [--no-relay] [--no-plain] [--chunk-kib 256]
import net from 'node:net';
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { initCrypto, h256 } from '../main/security/sodium';
import { cryptoPool } from '../main/security/crypto-pool';
import { MsrpSession } from '../main/protocol/msrp/index';
import { MsrpRelayClient, MsrpTransport, RELAY_CHUNK_SIZE } from '../main/net/msrp/index';
import { FileSender } from '../main/features/transfer/sender';
import { FileReceiver } from '../main/features/transfer/receiver';
import { PartFile } from '../main/features/transfer/part-file';
import { prepareFile, type PreparedFile } from '../main/features/transfer/prepare';
import { manifestFor } from '../main/features/transfer/file-crypto';
import { attachFileSession } from '../main/features/transfer/link';
import { loopbackPair, rssSampler, tempDir, writeTestFile } from '../main/features/transfer/testing';
import { startLab } from '../network/lab';

const MiB = 1024 * 1024;
const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const SIZE = arg('--size-mib', 1024) * MiB;
const RELAY_SIZE = arg('--relay-mib', 64) * MiB;
const CHUNK = arg('--chunk-kib', 256) * 1024;
const NO_RELAY = process.argv.includes('--no-relay');
const NO_PLAIN = process.argv.includes('--no-plain');

interface Result {
  seconds: number;
  peakRss: number;
  /** CPU seconds of the whole process (all threads) and of its main thread. */
  cpu: number;
  mainCpu: number;
}

/** CPU seconds of the main thread (Linux /proc; 0 elsewhere) — the event loop's own load, workers excluded. */
function mainThreadCpu(): number {
  try {
    const f = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

function meter(): { stop(): Result } {
  const rss = rssSampler();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const m0 = mainThreadCpu();
  return {
    stop() {
      const c = process.cpuUsage(c0);
      return {
        seconds: (performance.now() - t0) / 1000,
        peakRss: rss.stop(),
        cpu: (c.user + c.system) / 1e6,
        mainCpu: mainThreadCpu() - m0,
      };
    },
  };
}

async function rawCopy(src: string, dst: string): Promise<Result> {
  const m = meter();
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const got = new Promise<void>((resolve, reject) => {
    server.once('connection', (s) => {
      s.setNoDelay(true);
      pipeline(s, createWriteStream(dst)).then(resolve, reject);
    });
  });
  const c = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await once(c, 'connect');
  await pipeline(createReadStream(src, { highWaterMark: MiB }), c);
  await got;
  server.close();
  return m.stop();
}

type Link = {
  sender: { transport: MsrpTransport; session: MsrpSession };
  receiver: { transport: MsrpTransport; session: MsrpSession };
  close(): Promise<void>;
};

async function parley(
  f: PreparedFile,
  dl: string,
  prot: boolean,
  makeLink: (opts: ReturnType<FileReceiver['sessionOptions']>) => Promise<Link>,
): Promise<Result> {
  global.gc?.();
  const m = meter();
  const part = PartFile.create(dl, {
    id: `bench${randomBytes(6).toString('hex')}`,
    peer: 'sip:bench@parley.test',
    selector: { size: f.wireSize },
    protected: prot,
  });
  const manifestKey = h256(randomBytes(32));
  const receiver = new FileReceiver({
    part,
    wireSize: f.wireSize,
    wireStart: 0,
    protected: prot,
    manifestKey: prot ? manifestKey : undefined,
    name: f.name,
    type: f.type,
    sha256: f.sha256,
  });
  const link = await makeLink(receiver.sessionOptions());
  receiver.bind(link.receiver.session);
  const sender = new FileSender({
    path: f.path,
    size: f.size,
    wireStart: 0,
    contentType: f.type,
    protected: prot
      ? { fileKey: f.fileKey!, manifestKey, manifest: manifestFor({ ...f, fileKey: f.fileKey!, modified: f.modified.toISOString() }) }
      : undefined,
  });
  const [sent, got] = await Promise.all([sender.run(link.sender.transport, link.sender.session), receiver.result]);
  const r = m.stop();
  if (sent.status !== 'delivered' || got.sha256 !== f.sha256) throw new Error(`bench transfer failed: ${sent.status}`);
  rmSync(got.path);
  await link.close();
  return r;
}

const direct =
  (chunkSize: number) =>
  async (receiverSession: ReturnType<FileReceiver['sessionOptions']>): Promise<Link> =>
    loopbackPair({ receiverSession, chunkSize });

async function relayed(relayUri: string, receiverSession: ReturnType<FileReceiver['sessionOptions']>): Promise<Link> {
  const ts = new MsrpTransport();
  const tr = new MsrpTransport();
  const rs = new MsrpRelayClient(ts, { relayUri, username: 'alice', password: 'alice-secret' });
  const rr = new MsrpRelayClient(tr, { relayUri, username: 'bob', password: 'bob-secret' });
  const gs = await rs.authenticate();
  const gr = await rr.authenticate();
  const su = ts.localUri();
  const ru = tr.localUri();
  const ss = new MsrpSession({ localUri: su, toPath: [...gs.usePath, ...gr.usePath, ru], chunkSize: RELAY_CHUNK_SIZE });
  const rsn = new MsrpSession({
    localUri: ru,
    toPath: [...gr.usePath, ...gs.usePath, su],
    chunkSize: RELAY_CHUNK_SIZE,
    ...receiverSession,
  });
  const base = { secure: false, cema: false, relayed: true, viaRelay: true, chunkSize: RELAY_CHUNK_SIZE };
  const passive = attachFileSession({ ...base, transport: tr, localUri: ru, toPath: rsn.toPath, role: 'passive' }, rsn);
  await attachFileSession({ ...base, transport: ts, localUri: su, toPath: ss.toPath, role: 'active' }, ss);
  await passive;
  return {
    sender: { transport: ts, session: ss },
    receiver: { transport: tr, session: rsn },
    async close() {
      rs.close();
      rr.close();
      await ts.close();
      await tr.close();
    },
  };
}

const fmt = (r: Result, bytes: number) =>
  `${(bytes / MiB / r.seconds).toFixed(0).padStart(5)} MiB/s  ${r.seconds.toFixed(2).padStart(6)} s  peak RSS ${(r.peakRss / MiB).toFixed(0).padStart(3)} MiB` +
  `  cpu ${r.cpu.toFixed(2)} s (main thread ${r.mainCpu.toFixed(2)} s)`;
/** The figure the goals use: Parley throughput / raw copy throughput, same bytes, same run. */
const ratio = (p: Result, raw: Result) => `parley/raw ${(raw.seconds / p.seconds).toFixed(2)}`;

async function main(): Promise<void> {
  await initCrypto();
  const tmp = tempDir('parley-bench-');
  const { dir: dl } = tempDir('parley-bench-dl-');
  try {
    const load = os.loadavg()[0].toFixed(1);
    console.log(`node ${process.version}, ${os.availableParallelism()} cores, load average ${load}, crypto workers ${cryptoPool().size}`);
    console.log(
      `file transfer bench: ${SIZE / MiB} MiB direct (MSRP chunk ${CHUNK / 1024} KiB), ${RELAY_SIZE / MiB} MiB through the relay (chunk ${RELAY_CHUNK_SIZE} B); one process, loopback, disk to disk`,
    );
    const src = path.join(tmp.dir, 'big.bin');
    await writeTestFile(src, SIZE, 5);
    const tp = performance.now();
    const plainF = await prepareFile(src, { protected: false });
    const prepS = (performance.now() - tp) / 1000;
    const protF = { ...plainF, wireSize: (await prepareFile(src, { protected: true })).wireSize, fileKey: randomBytes(32) };
    console.log(
      `prepare (SHA-256 pass before the offer): ${(SIZE / MiB / prepS).toFixed(0)} MiB/s, ${prepS.toFixed(2)} s (not included below)`,
    );
    const raw = await rawCopy(src, path.join(dl, 'raw.bin'));
    rmSync(path.join(dl, 'raw.bin'));
    console.log(`raw TCP socket copy         ${fmt(raw, SIZE)}`);
    if (!NO_PLAIN) {
      const p = await parley(plainF, dl, false, direct(CHUNK));
      console.log(`parley plain, direct        ${fmt(p, SIZE)}  ${ratio(p, raw)}`);
    }
    const e = await parley(protF, dl, true, direct(CHUNK));
    console.log(
      `parley E2E, direct          ${fmt(e, SIZE)}  ${ratio(e, raw)} (wire ${((protF.wireSize / SIZE) * 100 - 100).toFixed(3)} % larger)`,
    );
    if (NO_RELAY) return;
    const lab = await startLab();
    try {
      const small = path.join(tmp.dir, 'relay.bin');
      await writeTestFile(small, RELAY_SIZE, 6);
      const sp = await prepareFile(small, { protected: false });
      const se = { ...sp, wireSize: (await prepareFile(small, { protected: true })).wireSize, fileKey: randomBytes(32) };
      const rawS = await rawCopy(small, path.join(dl, 'raw2.bin'));
      rmSync(path.join(dl, 'raw2.bin'));
      console.log(`raw TCP socket copy (${RELAY_SIZE / MiB} MiB) ${fmt(rawS, RELAY_SIZE)}`);
      const rp = await parley(sp, dl, false, (o) => relayed(lab.relay.tcp, o));
      console.log(`parley plain, via relay     ${fmt(rp, RELAY_SIZE)}  ${ratio(rp, rawS)} (raw = direct copy)`);
      const re = await parley(se, dl, true, (o) => relayed(lab.relay.tcp, o));
      console.log(`parley E2E, via relay       ${fmt(re, RELAY_SIZE)}  ${ratio(re, rawS)} (raw = direct copy)`);
    } finally {
      await lab.stop();
    }
  } finally {
    tmp.cleanup();
    rmSync(dl, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
