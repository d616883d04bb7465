// Issue 12 hole 2(a): resident memory while decoding corrupt gzip/deflate page-mode bodies. Feeds N randomly corrupted
// gzip / zlib / raw-deflate bodies to decodeContentEncoding (zlib streams, always closed) and, for comparison, to the sync
// zlib calls it replaced (which leaked ~9 KB of native memory per corrupt body). Prints RSS every N/10 inputs.
// Run: npx tsx bench/content-decoding-rss.ts [--inputs 100000] [--only streams|sync]
import { deflateRawSync, deflateSync, gunzipSync, gzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import { decodeContentEncoding } from '../main/protocol/sip/message-body';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const N = Number(arg('inputs', '100000'));
const only = arg('only', '');

let seed = 12;
const rnd = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 0x100000000;
};
const plain = Buffer.from('From: <sip:a@x>\r\nTo: <sip:b@x>\r\n'.repeat(20));
const good = [gzipSync(plain), deflateSync(plain), deflateRawSync(plain)];
const codings = ['gzip', 'deflate', 'deflate'];
function corrupt(i: number): [Buffer, string] {
  const k = i % 3;
  const b = Buffer.from(good[k]);
  for (let e = 0; e < 1 + (i % 4); e++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
  return [b, codings[k]];
}

function syncDecode(b: Buffer, coding: string): void {
  const o = { maxOutputLength: 64 * 1024 };
  if (coding === 'gzip') gunzipSync(b, o);
  else if ((b[0] & 0x0f) === 8 && ((b[0] << 8) | b[1]) % 31 === 0) inflateSync(b, o);
  else inflateRawSync(b, o);
}

const mib = (n: number) => (n / 1048576).toFixed(1);

async function run(name: string, decode: (b: Buffer, c: string) => Promise<void> | void): Promise<void> {
  seed = 12;
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const start = process.memoryUsage().rss;
  const t0 = performance.now();
  let refused = 0;
  console.log(`\n${name}: ${N} corrupt bodies`);
  console.log('| inputs | RSS MiB | growth MiB |');
  console.log('| ---: | ---: | ---: |');
  for (let i = 0; i < N; i++) {
    const [b, c] = corrupt(i);
    try {
      await decode(b, c);
    } catch {
      refused++;
    }
    if ((i + 1) % Math.max(1, Math.floor(N / 10)) === 0) {
      gc?.();
      const rss = process.memoryUsage().rss;
      console.log(`| ${i + 1} | ${mib(rss)} | ${mib(rss - start)} |`);
    }
  }
  const s = (performance.now() - t0) / 1000;
  console.log(`${refused} refused as corrupt, ${Math.round(N / s)} bodies/s`);
}

if (only !== 'sync')
  await run('decodeContentEncoding (zlib streams, closed on every outcome)', (b, c) =>
    decodeContentEncoding(b, c, 64 * 1024).then(() => {}),
  );
if (only !== 'streams') await run('sync zlib calls (before issue 12)', syncDecode);
