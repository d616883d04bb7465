// MSRP parser throughput on a large chunked message (serialize, then parse 64 KiB socket-sized reads), beside a baseline
// that only scans the same reads with Buffer.indexOf for an end-line pattern of the same length the parser searches
// ("\r\n-------" + a 24-char transaction id) that never occurs: one pass over the bytes, no framing work.
// Run: npx tsx bench/msrp-parser.ts
import { chunkBody } from '../main/protocol/msrp/chunker';
import { formatByteRange, newTransactionId } from '../main/protocol/msrp/message';
import { MsrpParser } from '../main/protocol/msrp/parser';
import { serializeRequestParts } from '../main/protocol/msrp/serializer';

const TOTAL = 128 * 1024 * 1024;
const READ = 64 * 1024;
const ROUNDS = 5;

function buildWire(chunkSize: number): Buffer[] {
  const body = Buffer.allocUnsafe(TOTAL);
  for (let i = 0; i < TOTAL; i += 4) body.writeUInt32LE((i * 2654435761) >>> 0, i);
  const parts: Buffer[] = [];
  for (const c of chunkBody(body, chunkSize)) {
    parts.push(
      ...serializeRequestParts({
        tid: newTransactionId(),
        method: 'SEND',
        toPath: ['msrp://127.0.0.1:2855/bench1;tcp'],
        fromPath: ['msrp://127.0.0.1:2856/bench2;tcp'],
        headers: [
          ['Message-ID', 'bench'],
          ['Byte-Range', formatByteRange(c.byteRange)],
        ],
        contentType: 'application/octet-stream',
        body: c.body,
        flag: c.flag,
      }),
    );
  }
  const wire = Buffer.concat(parts);
  const reads: Buffer[] = [];
  for (let o = 0; o < wire.length; o += READ) reads.push(Buffer.from(wire.subarray(o, o + READ)));
  return reads;
}

function best(fn: () => number): { ms: number; check: number } {
  let ms = Infinity;
  let check = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const t = process.hrtime.bigint();
    check = fn();
    ms = Math.min(ms, Number(process.hrtime.bigint() - t) / 1e6);
  }
  return { ms, check };
}

for (const chunkSize of [4096, 64 * 1024, 1024 * 1024]) {
  const reads = buildWire(chunkSize);
  const bytes = reads.reduce((n, r) => n + r.length, 0);
  const pat = Buffer.from(`\r\n-------${'z'.repeat(24)}`);
  const base = best(() => {
    let hits = 0;
    for (const r of reads) for (let p = r.indexOf(pat); p >= 0; p = r.indexOf(pat, p + 1)) hits++;
    return hits;
  });
  const parse = best(() => {
    const p = new MsrpParser();
    let body = 0;
    for (const r of reads) {
      for (const ev of p.push(r)) {
        if (ev.type === 'frame') body += ev.frame.body?.length ?? 0;
        else if (ev.type === 'bodyPart') body += ev.data.length;
        else if (ev.type === 'error') throw ev.error;
      }
    }
    return body;
  });
  if (parse.check !== TOTAL) throw new Error(`parsed ${parse.check} body bytes, expected ${TOTAL}`);
  const mbps = (ms: number) => bytes / 1e6 / (ms / 1000);
  console.log(
    `chunk ${String(chunkSize).padStart(7)} B: parser ${mbps(parse.ms).toFixed(0).padStart(6)} MB/s | indexOf baseline ${mbps(base.ms).toFixed(0).padStart(6)} MB/s | parser/baseline ${(base.ms / parse.ms).toFixed(2)} (${(bytes / 1e6).toFixed(0)} MB in ${READ / 1024} KiB reads, best of ${ROUNDS})`,
  );
}
