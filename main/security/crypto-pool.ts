// secretstream segments (docs/security.md s.5.5) sealed and opened with OpenSSL's ChaCha20-Poly1305 (node:crypto) in a pool
// of worker threads, so big file transfers keep the event loop free and use the other cores (docs/file-transfer.md s.3).
import { Worker } from 'node:worker_threads';
import * as nodeCrypto from 'node:crypto';
import { availableParallelism } from 'node:os';
import { ParleyError } from '../base/errors';

/**
 * libsodium's crypto_secretstream_xchacha20poly1305 push/pull on top of node:crypto, byte for byte (tests compare with
 * libsodium both ways). A chunk is the IETF ChaCha20-Poly1305 AEAD of (a 64-byte block holding the tag byte, then the
 * message) under the stream's subkey and nonce (counter || inonce), with no additional data: keystream block 0 keys
 * Poly1305, block 1 encrypts the tag block, the message starts at block 2, exactly as libsodium does. libsodium pads the MAC
 * input with `mlen & 15` zero bytes where the AEAD pads `-mlen & 15`: the two agree only when mlen % 16 is 0 or 8, so
 * segments whose last chunk is not such a length are left to libsodium (`nativeEligible`). HChaCha20 is read off one
 * ChaCha20 keystream block (output minus the input words). Tags with the rekey bit end a segment, so no rekey is needed.
 *
 * This function is serialised into the worker source: it must not use imports or anything outside its own body.
 */
export function secretstreamCore(c: typeof nodeCrypto) {
  const CHUNK = 65536;
  const HEADER = 24;
  const ABYTES = 17;
  const TAG_MESSAGE = 0;
  const TAG_PUSH = 1;
  const TAG_FINAL = 3;
  const ZERO64 = new Uint8Array(64);
  const SIGMA = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574];
  const hchacha = (key: Uint8Array, n16: Uint8Array): Buffer => {
    const ks = c.createCipheriv('chacha20', key, n16).update(ZERO64);
    const n = Buffer.from(n16.buffer, n16.byteOffset, 16);
    const out = Buffer.allocUnsafe(32);
    for (let i = 0; i < 4; i++) out.writeUInt32LE((ks.readUInt32LE(4 * i) - SIGMA[i]) >>> 0, 4 * i);
    for (let i = 0; i < 4; i++) out.writeUInt32LE((ks.readUInt32LE(48 + 4 * i) - n.readUInt32LE(4 * i)) >>> 0, 16 + 4 * i);
    ks.fill(0);
    return out;
  };
  const start = (key: Uint8Array, header: Uint8Array) => {
    const nonce = Buffer.alloc(12);
    nonce[0] = 1; // counter starts at 1 (libsodium counter_reset)
    nonce.set(header.subarray(16, 24), 4);
    return { k: hchacha(key, header.subarray(0, 16)), nonce };
  };
  const next = (nonce: Buffer, mac: Uint8Array) => {
    for (let j = 0; j < 8; j++) nonce[4 + j] ^= mac[j];
    for (let j = 0; j < 4 && ++nonce[j] === 256; j++) nonce[j] = 0;
  };
  const chunks = (len: number) => Math.max(1, Math.ceil(len / CHUNK));
  const sealInPlace = (key: Uint8Array, buf: Uint8Array, final: boolean): void => {
    const n = Math.ceil((buf.length - HEADER) / (CHUNK + ABYTES));
    const plainLen = buf.length - HEADER - n * ABYTES;
    let at = buf.length - plainLen; // the plaintext sits at the tail; each chunk's output ends before the next input
    c.randomFillSync(buf, 0, HEADER);
    const st = start(key, buf);
    const block = Buffer.alloc(64);
    let o = HEADER;
    for (let i = 0; i < n; i++) {
      const mlen = Math.min(CHUNK, plainLen - i * CHUNK);
      const aead = c.createCipheriv('chacha20-poly1305', st.k, st.nonce, { authTagLength: 16 });
      block.fill(0);
      block[0] = i < n - 1 ? TAG_MESSAGE : final ? TAG_FINAL : TAG_PUSH;
      const tag = aead.update(block)[0];
      const ct = aead.update(buf.subarray(at, at + mlen)); // a copy: the input may be overwritten from here on
      aead.final();
      const mac = aead.getAuthTag();
      buf[o] = tag;
      buf.set(ct, o + 1);
      buf.set(mac, o + 1 + mlen);
      next(st.nonce, mac);
      o += ABYTES + mlen;
      at += mlen;
    }
    st.k.fill(0);
  };
  const openInPlace = (key: Uint8Array, buf: Uint8Array): { plainLen: number; final: boolean } => {
    if (buf.length < HEADER + ABYTES) throw new Error('tampered: segment size invalid');
    const n = Math.ceil((buf.length - HEADER) / (CHUNK + ABYTES));
    const st = start(key, buf);
    const iv = Buffer.alloc(16);
    let o = HEADER;
    let p = 0;
    let tag = -1;
    try {
      for (let i = 0; i < n; i++) {
        if (tag !== -1 && tag !== TAG_MESSAGE) throw new Error('tampered: data after end of segment');
        const end = Math.min(buf.length, o + CHUNK + ABYTES);
        const mlen = end - o - ABYTES;
        if (mlen < 0) throw new Error('tampered: segment size invalid');
        iv[0] = 1;
        iv.set(st.nonce, 4);
        const block = c.createCipheriv('chacha20', st.k, iv).update(ZERO64); // keystream at counter 1 = encrypted zeros
        block[0] = buf[o];
        const d = c.createDecipheriv('chacha20-poly1305', st.k, st.nonce, { authTagLength: 16 });
        const mac = Buffer.from(buf.subarray(end - 16, end));
        d.setAuthTag(mac);
        const t = d.update(block)[0];
        const m = d.update(buf.subarray(o + 1, o + 1 + mlen));
        try {
          d.final();
        } catch {
          throw new Error('tampered: stream chunk does not authenticate');
        }
        buf.set(m, p); // plaintext moves to the front, behind the ciphertext still to read
        tag = t;
        next(st.nonce, mac);
        o = end;
        p += mlen;
      }
    } catch (e) {
      buf.fill(0);
      throw e;
    } finally {
      st.k.fill(0);
    }
    if (tag !== TAG_FINAL && tag !== TAG_PUSH) throw new Error('tampered: segment truncated');
    return { plainLen: p, final: tag === TAG_FINAL };
  };
  return {
    /** In place: `buf` is exactly the ciphertext size with the plaintext at its tail; it ends up holding the ciphertext. */
    sealInPlace,
    /** In place: the plaintext ends up at the front of `buf`; throws Error('tampered: ...') on any failure. */
    openInPlace,
    /** Segment ciphertext: random 24-byte header, then 64 KiB chunks, TAG_FINAL or TAG_PUSH on the last. */
    seal(key: Uint8Array, plaintext: Uint8Array, final: boolean): Buffer {
      const buf = Buffer.allocUnsafe(HEADER + plaintext.length + chunks(plaintext.length) * ABYTES);
      buf.set(plaintext, buf.length - plaintext.length);
      sealInPlace(key, buf, final);
      return buf;
    },
    open(key: Uint8Array, ct: Uint8Array): { plaintext: Buffer; final: boolean } {
      const buf = Buffer.from(ct);
      const r = openInPlace(key, buf);
      return { plaintext: buf.subarray(0, r.plainLen), final: r.final };
    },
  };
}

/** Ciphertext bytes of a segment holding `plainLen` bytes (the in-place buffer size). */
export function sealedSize(plainLen: number): number {
  return 24 + plainLen + Math.max(1, Math.ceil(plainLen / 65536)) * 17;
}

/** True when every chunk of a segment holding `plainLen` bytes has a length the AEAD construction covers (see above). */
export function nativeEligible(plainLen: number): boolean {
  return plainLen % 16 === 0 || plainLen % 16 === 8;
}

/** Worker threads in the shared pool (PARLEY_CRYPTO_WORKERS overrides; 0 = seal and open on the calling thread). */
export function defaultPoolSize(): number {
  const env = process.env.PARLEY_CRYPTO_WORKERS;
  if (env !== undefined && /^\d+$/.test(env)) return Math.min(8, Number(env));
  return Math.max(1, Math.min(4, availableParallelism()));
}
/** Idle workers exit after this long (their memory goes with them). */
export const POOL_IDLE_MS = 10_000;

/** Jobs between the workers' young-generation collections (see the worker source). */
export const GC_EVERY_JOBS = 8;

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const __name = (f) => f;
const core = (${secretstreamCore.toString()})(require('node:crypto'));
const own = (b) => b.byteOffset === 0 && b.byteLength === b.buffer.byteLength;
// OpenSSL output buffers (64 KiB per chunk) are garbage at once, but V8 collects them only after ~64 MB of external memory;
// a young-generation collection every few jobs keeps each worker flat (every 4: +0.9 ms CPU per MiB sealed and opened,
// every 16: +15 MiB peak RSS in a 512 MiB run; 8 is between).
let collect = null;
try {
  require('v8').setFlagsFromString('--expose-gc');
  collect = require('vm').runInNewContext('gc');
} catch {}
let jobs = 0;
parentPort.on('message', (m) => {
  try {
    const data = m.data;
    let out = data;
    let final = m.final;
    if (m.op === 'seal') core.sealInPlace(m.key, data, final);
    else {
      const r = core.openInPlace(m.key, data);
      out = data.subarray(0, r.plainLen);
      final = r.final;
    }
    m.key.fill(0);
    if (typeof collect === 'function' && ++jobs % ${GC_EVERY_JOBS} === 0) collect({ type: 'minor' });
    parentPort.postMessage({ id: m.id, ok: true, data: out, final }, own(data) ? [data.buffer] : []);
  } catch (e) {
    parentPort.postMessage({ id: m.id, ok: false, error: String((e && e.message) || e) });
  }
});
`;

type Result = { data: Uint8Array; final: boolean };
interface Job {
  resolve: (r: Result) => void;
  reject: (e: ParleyError) => void;
}
interface Slot {
  worker: Worker;
  jobs: Map<number, Job>;
  idle: ReturnType<typeof setTimeout> | undefined;
}

const tamper = (msg: string) => new ParleyError('E2E_TAMPERED', msg.replace(/^tampered: /, ''));

/** A small pool of worker threads running secretstreamCore; results come back in submission order per caller. */
export class CryptoPool {
  private readonly slots: Slot[] = [];
  private seq = 0;
  private inThread: ReturnType<typeof secretstreamCore> | undefined;

  constructor(readonly size = defaultPoolSize()) {}

  /**
   * Seal one segment in place: `buf` is exactly the ciphertext size (sealedSize) with the plaintext at its tail. The memory
   * moves to a worker and back (the caller's view is detached): use the returned ciphertext, which is the same memory.
   */
  seal(segmentKey: Uint8Array, buf: Uint8Array, final: boolean): Promise<Uint8Array> {
    return this.run('seal', segmentKey, buf, final).then((r) => r.data);
  }

  /** Open one segment in place (same memory, plaintext at the front); rejects with E2E_TAMPERED. `buf` is detached. */
  open(segmentKey: Uint8Array, buf: Uint8Array): Promise<{ plaintext: Uint8Array; final: boolean }> {
    return this.run('open', segmentKey, buf, false).then((r) => ({ plaintext: r.data, final: r.final }));
  }

  /** Jobs not yet answered. */
  get pending(): number {
    return this.slots.reduce((n, s) => n + s.jobs.size, 0);
  }

  /** Stop every worker (pending jobs fail with CRYPTO_WORKER_FAILED). */
  async close(): Promise<void> {
    await Promise.all([...this.slots].map((s) => this.retire(s, new ParleyError('CRYPTO_WORKER_FAILED', 'crypto pool closed'))));
  }

  private run(op: 'seal' | 'open', key: Uint8Array, data: Uint8Array, final: boolean): Promise<Result> {
    const slot = this.size > 0 ? this.slot() : undefined;
    if (!slot) return this.direct(op, key, data, final);
    const id = ++this.seq;
    return new Promise<Result>((resolve, reject) => {
      slot.jobs.set(id, { resolve, reject });
      if (slot.idle) clearTimeout(slot.idle);
      slot.idle = undefined;
      slot.worker.ref();
      const own = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && !(data.buffer instanceof SharedArrayBuffer);
      slot.worker.postMessage({ id, op, key: Uint8Array.from(key), data, final }, own ? [data.buffer as ArrayBuffer] : []);
    });
  }

  private direct(op: 'seal' | 'open', key: Uint8Array, data: Uint8Array, final: boolean): Promise<Result> {
    this.inThread ??= secretstreamCore(nodeCrypto);
    try {
      if (op === 'seal') {
        this.inThread.sealInPlace(key, data, final);
        return Promise.resolve({ data, final });
      }
      const r = this.inThread.openInPlace(key, data);
      return Promise.resolve({ data: data.subarray(0, r.plainLen), final: r.final });
    } catch (e) {
      return Promise.reject(tamper((e as Error).message));
    }
  }

  /** The least busy worker, starting one while fewer than `size` run; undefined when workers cannot start. */
  private slot(): Slot | undefined {
    let best = this.slots[0];
    for (const s of this.slots) if (s.jobs.size < best.jobs.size) best = s;
    if (best && (best.jobs.size === 0 || this.slots.length >= this.size)) return best;
    let worker: Worker;
    try {
      worker = new Worker(WORKER_SOURCE, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: Number(process.env.YG ?? 16) } });
    } catch {
      return best;
    }
    const s: Slot = { worker, jobs: new Map(), idle: undefined };
    worker.on('message', (m: { id: number; ok: boolean; data?: Uint8Array; final?: boolean; error?: string }) => this.answer(s, m));
    worker.on('error', (e) => void this.retire(s, new ParleyError('CRYPTO_WORKER_FAILED', `crypto worker failed: ${e.message}`)));
    worker.on('exit', () => void this.retire(s, new ParleyError('CRYPTO_WORKER_FAILED', 'crypto worker exited')));
    this.slots.push(s);
    return s;
  }

  private answer(s: Slot, m: { id: number; ok: boolean; data?: Uint8Array; final?: boolean; error?: string }): void {
    const job = s.jobs.get(m.id);
    if (!job) return;
    s.jobs.delete(m.id);
    if (s.jobs.size === 0) {
      s.worker.unref(); // an idle pool never keeps the process alive
      s.idle = setTimeout(() => void this.retire(s), POOL_IDLE_MS);
      s.idle.unref();
    }
    if (m.ok) job.resolve({ data: Buffer.from(m.data!.buffer, m.data!.byteOffset, m.data!.byteLength), final: !!m.final });
    else job.reject(m.error?.startsWith('tampered') ? tamper(m.error) : new ParleyError('CRYPTO_WORKER_FAILED', m.error ?? 'failed'));
  }

  private async retire(s: Slot, error?: ParleyError): Promise<void> {
    const i = this.slots.indexOf(s);
    if (i < 0) return;
    this.slots.splice(i, 1);
    if (s.idle) clearTimeout(s.idle);
    for (const job of s.jobs.values()) job.reject(error ?? new ParleyError('CRYPTO_WORKER_FAILED', 'crypto worker stopped'));
    s.jobs.clear();
    await s.worker.terminate();
  }
}

let shared: CryptoPool | undefined;
/** The process-wide pool (workers start on first use and exit when idle). */
export function cryptoPool(): CryptoPool {
  return (shared ??= new CryptoPool());
}
