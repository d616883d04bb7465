// Argon2id (crypto_pwhash) off the main thread: a short-lived worker keeps the event loop free (~0.9 s at moderate limits)
// and takes its 256 MiB WebAssembly heap with it when it exits (WebAssembly memory never shrinks). docs/security.md s.3.
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { ParleyError } from '../base/errors';
import { initCrypto } from './sodium';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const sodium = require(workerData.sodiumPath);
sodium.ready.then(() => {
  try {
    const key = sodium.crypto_pwhash(workerData.outLen, workerData.password, workerData.salt, workerData.opslimit,
      workerData.memlimit, sodium.crypto_pwhash_ALG_ARGON2ID13);
    parentPort.postMessage({ ok: true, key });
  } catch (e) {
    parentPort.postMessage({ ok: false, error: String((e && e.message) || e) });
  }
});
`;

let sodiumPath: string | null | undefined;
function resolveSodium(): string | null {
  if (sodiumPath === undefined) {
    try {
      sodiumPath = createRequire(import.meta.url).resolve('libsodium-wrappers-sumo');
    } catch {
      sodiumPath = null;
    }
  }
  return sodiumPath;
}

async function inThread(password: Uint8Array, salt: Uint8Array, opslimit: number, memlimit: number, outLen: number): Promise<Uint8Array> {
  const s = await initCrypto();
  return s.crypto_pwhash(outLen, password, salt, opslimit, memlimit, s.crypto_pwhash_ALG_ARGON2ID13);
}

/** Argon2id13 in a worker thread; falls back to the calling thread if a worker cannot be started. */
export async function argon2id(
  password: Uint8Array,
  salt: Uint8Array,
  opslimit: number,
  memlimit: number,
  outLen = 32,
): Promise<Uint8Array> {
  const path = resolveSodium();
  if (!path || process.env.PARLEY_ARGON2_IN_THREAD === '1') return inThread(password, salt, opslimit, memlimit, outLen);
  let worker: Worker;
  try {
    worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { sodiumPath: path, password, salt, opslimit, memlimit, outLen } });
  } catch {
    return inThread(password, salt, opslimit, memlimit, outLen);
  }
  return new Promise<Uint8Array>((resolve, reject) => {
    let settled = false;
    const done = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
      void worker.terminate();
    };
    worker.once('message', (m: { ok: boolean; key?: Uint8Array; error?: string }) =>
      done(() =>
        m.ok && m.key ? resolve(new Uint8Array(m.key)) : reject(new ParleyError('CRYPTO_KDF_FAILED', `Argon2id failed: ${m.error}`)),
      ),
    );
    worker.once('error', (e) =>
      done(() => reject(new ParleyError('CRYPTO_KDF_FAILED', `Argon2id worker failed: ${e.message}`, undefined, { cause: e }))),
    );
    worker.once('exit', (code) => done(() => reject(new ParleyError('CRYPTO_KDF_FAILED', `Argon2id worker exited with code ${code}`))));
  });
}
