// The receiver's '.part' file and its sidecar state (RFC 5547 s.9 file-range resume): sequential verified writes, an
// incremental SHA-256, and the final rename that happens only after the hash matched (docs/file-transfer.md s.5).
import { createHash, timingSafeEqual, type Hash } from 'node:crypto';
import {
  closeSync,
  constants,
  ftruncateSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
  fsyncSync,
  write as writeAsync,
} from 'node:fs';
import path from 'node:path';
import { ParleyError } from '../../base/errors';
import { reserveUniquePath } from './sanitize';

export const PART_SUFFIX = '.parley-part';
export const STATE_SUFFIX = '.parley-part.json';
export const PART_STATE_VERSION = 1;
const REHASH_BLOCK = 1024 * 1024;

/** What a receiver needs to ask for the rest of a file later (sidecar JSON, mode 0600). */
export interface PartState {
  v: number;
  /** Local id of this download (stable across resumes; names the .part file). */
  id: string;
  peer: string;
  /** SDP file-selector fields as offered (wire name, type, wire size, wire hash), to pull the same file again. */
  selector: { name?: string; type?: string; size: number; hash?: string };
  protected: boolean;
  /** Plaintext bytes in the .part file that were verified (segment-aligned for protected files). */
  bytes: number;
  /** From the manifest (protected) or the SDP (plain). */
  name?: string;
  type?: string;
  plainSize?: number;
  sha256?: string;
  updatedAt: string;
}

export class PartFile {
  readonly partPath: string;
  readonly statePath: string;
  private fd: number | undefined;
  private hash: Hash = createHash('sha256');
  /** Plaintext bytes written to the file (appends count once their write completed). */
  bytes = 0;
  private end = 0; // bytes hashed and written or queued
  private pending = 0; // appends in flight
  private tail: Promise<void> = Promise.resolve();
  private closing = false;

  private constructor(
    readonly dir: string,
    public state: PartState,
  ) {
    this.partPath = path.join(dir, `.${state.id}${PART_SUFFIX}`);
    this.statePath = path.join(dir, `.${state.id}${STATE_SUFFIX}`);
  }

  /** A new download: creates the .part exclusively. */
  static create(dir: string, state: Omit<PartState, 'v' | 'bytes' | 'updatedAt'>): PartFile {
    if (!/^[A-Za-z0-9_-]{8,64}$/.test(state.id)) throw new ParleyError('FILE_BAD_STATE', 'bad download id');
    const p = new PartFile(dir, { ...state, v: PART_STATE_VERSION, bytes: 0, updatedAt: new Date().toISOString() });
    p.fd = openSync(p.partPath, constants.O_CREAT | constants.O_EXCL | constants.O_RDWR, 0o600);
    p.saveState();
    return p;
  }

  /** Reopen an interrupted download: the file is cut back to the verified bytes, which are hashed again. */
  static open(dir: string, id: string): PartFile {
    const statePath = path.join(dir, `.${id}${STATE_SUFFIX}`);
    let st: PartState;
    try {
      st = JSON.parse(readFileSync(statePath, 'utf8')) as PartState;
    } catch (e) {
      throw new ParleyError('FILE_NO_PARTIAL', `no resumable download ${id}`, { id }, { cause: e });
    }
    if (st.v !== PART_STATE_VERSION || st.id !== id || !Number.isSafeInteger(st.bytes) || st.bytes < 0) {
      throw new ParleyError('FILE_BAD_STATE', `bad state file ${statePath}`);
    }
    const p = new PartFile(dir, st);
    p.fd = openSync(p.partPath, constants.O_RDWR);
    ftruncateSync(p.fd, st.bytes);
    const block = Buffer.allocUnsafe(REHASH_BLOCK);
    for (let off = 0; off < st.bytes;) {
      const n = readSync(p.fd, block, 0, Math.min(REHASH_BLOCK, st.bytes - off), off);
      if (n <= 0) throw new ParleyError('FILE_BAD_STATE', 'partial file shorter than its state');
      p.hash.update(block.subarray(0, n));
      off += n;
    }
    p.bytes = p.end = st.bytes;
    return p;
  }

  /** Append verified plaintext (synchronous positioned write on the calling thread). */
  write(data: Uint8Array): void {
    if (this.fd === undefined || this.closing) throw new ParleyError('FILE_CLOSED', 'partial file closed');
    if (this.pending) throw new ParleyError('FILE_BAD_STATE', 'write() while appends are in flight');
    let done = 0;
    while (done < data.length) done += writeSync(this.fd, data, done, data.length - done, this.bytes + done);
    this.hash.update(data);
    this.bytes += data.length;
    this.end = this.bytes;
  }

  /**
   * Append verified plaintext with the write in libuv's thread pool (the event loop only hashes). Appends are written in
   * call order; `bytes` grows when each completes; `data` must stay untouched until the promise settles.
   */
  append(data: Uint8Array): Promise<void> {
    if (this.fd === undefined || this.closing) return Promise.reject(new ParleyError('FILE_CLOSED', 'partial file closed'));
    const fd = this.fd;
    const pos = this.end;
    this.end += data.length;
    this.hash.update(data);
    this.pending++;
    const done = this.tail
      .then(() => writeAt(fd, data, pos))
      .then(
        () => {
          this.bytes += data.length;
        },
        (e: unknown) => {
          throw new ParleyError('FILE_WRITE_FAILED', `cannot write ${this.partPath}: ${String(e)}`, undefined, { cause: e });
        },
      )
      .finally(() => this.pending--);
    this.tail = done.catch(() => {});
    return done;
  }

  /** Appends in flight (close() then waits for them before it closes the file). */
  get writing(): boolean {
    return this.pending > 0;
  }

  /** Persist progress (write-then-rename); call at segment boundaries / every few MB. */
  saveState(extra: Partial<PartState> = {}): void {
    this.state = { ...this.state, ...extra, bytes: this.bytes, updatedAt: new Date().toISOString() };
    const tmp = `${this.statePath}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.state), { mode: 0o600 });
    renameSync(tmp, this.statePath);
  }

  /**
   * Check the SHA-256 (FILE_HASH_MISMATCH: the partial file and state are removed) and move the file to a new, unique,
   * sanitized name in the folder. Returns the final path.
   */
  finalize(expectedSha256Hex: string | undefined, name: string): { path: string; sha256: string; verified: boolean } {
    if (this.pending) throw new ParleyError('FILE_BAD_STATE', 'finalize() while appends are in flight');
    const digest = this.hash.digest();
    const hex = digest.toString('hex');
    if (expectedSha256Hex !== undefined) {
      const want = Buffer.from(expectedSha256Hex, 'hex');
      if (want.length !== 32 || !timingSafeEqual(want, digest)) {
        this.discard();
        throw new ParleyError('FILE_HASH_MISMATCH', 'the received file does not match its SHA-256; it was deleted', {
          expected: expectedSha256Hex,
          actual: hex,
        });
      }
    }
    if (this.fd !== undefined) {
      fsyncSync(this.fd);
      closeSync(this.fd);
      this.fd = undefined;
    }
    const final = reserveUniquePath(this.dir, name); // O_EXCL placeholder: the rename below replaces only our own empty file
    renameSync(this.partPath, final);
    rmSync(this.statePath, { force: true });
    return { path: final, sha256: hex, verified: expectedSha256Hex !== undefined };
  }

  /** Keep for a later resume (state saved) or remove both files; waits for appends in flight (never closes under them). */
  close(keep: boolean): Promise<void> {
    this.closing = true;
    if (!this.pending) {
      this.closeNow(keep);
      return Promise.resolve();
    }
    return this.tail.then(() => this.closeNow(keep));
  }

  private closeNow(keep: boolean): void {
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
    if (keep) this.saveState();
    else this.discard();
  }

  discard(): void {
    if (this.pending) throw new ParleyError('FILE_BAD_STATE', 'discard() while appends are in flight');
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
    rmSync(this.partPath, { force: true });
    rmSync(this.statePath, { force: true });
  }
}

function writeAt(fd: number, data: Uint8Array, pos: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (done: number) =>
      writeAsync(fd, data, done, data.length - done, pos + done, (err, n) => {
        if (err) reject(err);
        else if (done + n < data.length) step(done + n);
        else resolve();
      });
    step(0);
  });
}
