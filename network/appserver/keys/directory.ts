// The prekey directory's store: what each authenticated user published for its own AoR, one one-time prekey handed out
// per fetch, persisted to a JSON file (docs/security.md s.5.7). No SIP here: service.ts maps requests onto it.
// The directory is untrusted for identity and checks structure and ownership only: every client verifies the signatures
// against the identity key it pins (a user who publishes badly signed keys harms only itself).
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { ParleyError } from '../../../main/base/errors';
import type { ErrorCode } from '../../../main/base/error-codes';
import { parseBundle, parseOneTime } from '../../../main/protocol/formats/prekeys';
import { aorOf } from '../sip/message';

export interface DirectoryLimits {
  /** One-time prekeys held per user (a publish beyond it is refused). */
  maxOneTimePerUser: number;
  /** Users with a bundle. */
  maxUsers: number;
  /** A requester gets at most one one-time prekey of the same user within this time (drain protection). */
  oneTimeRefetchMs: number;
  /** (requester, user) pairs remembered for that. */
  maxRecentFetches: number;
}

export const DEFAULT_DIRECTORY_LIMITS: DirectoryLimits = {
  maxOneTimePerUser: 200,
  maxUsers: 10_000,
  oneTimeRefetchMs: 3600 * 1000,
  maxRecentFetches: 50_000,
};

interface Entry {
  bundle: string;
  identityKey: string;
  oneTime: string[];
  updated: number;
}
interface FileState {
  v: 1;
  users: Record<string, Entry>;
}

const refuse = (code: ErrorCode, m: string) => new ParleyError(code, m);
const b64url = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length).toString('base64url');
const fromB64url = (s: string) => new Uint8Array(Buffer.from(s, 'base64url'));

/** Same-directory temp file, fsync, rename: a crash leaves the old file or the new one. */
async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${randomBytes(6).toString('hex')}`;
  const fh = await open(tmp, 'wx', 0o644);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path).catch(async (e) => {
    await unlink(tmp).catch(() => {});
    throw e;
  });
}

function sameAoR(a: string, b: string): boolean {
  try {
    return aorOf(a) === aorOf(b);
  } catch {
    return false;
  }
}

export class KeyDirectory {
  #users = new Map<string, Entry>();
  #recent = new Map<string, number>();
  #pending: Promise<void> | null = null;
  #writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: string | undefined,
    readonly limits: DirectoryLimits,
  ) {}

  /** Load from `file` (created on first write) or keep everything in memory when no file is given. */
  static async open(file?: string, limits: Partial<DirectoryLimits> = {}): Promise<KeyDirectory> {
    const d = new KeyDirectory(file, { ...DEFAULT_DIRECTORY_LIMITS, ...limits });
    if (file) {
      let text: string | undefined;
      try {
        text = await readFile(file, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      if (text !== undefined) {
        const st = JSON.parse(text) as FileState;
        if (!st || st.v !== 1 || typeof st.users !== 'object') throw refuse('KEYDIR_CORRUPT', `${file}: unsupported directory file`);
        for (const [aor, e] of Object.entries(st.users)) d.#users.set(aor, e);
      }
    }
    return d;
  }

  /**
   * Store what `aor` (the proxy-authenticated requester) publishes for itself: the bundle must name that AoR. A bundle
   * with a new identity key replaces everything (the old one-time prekeys were signed by the old key).
   */
  async publish(aor: string, bundle: Uint8Array | undefined, oneTime: Uint8Array[], replaceOneTime: boolean, now: number): Promise<number> {
    const prev = this.#users.get(aor);
    let entry: Entry;
    if (bundle) {
      let b;
      try {
        b = parseBundle(bundle);
      } catch (e) {
        throw refuse('KEYDIR_BAD_REQUEST', (e as Error).message);
      }
      if (!sameAoR(b.aor, aor)) throw refuse('KEYDIR_FORBIDDEN', `a bundle for ${b.aor} cannot be published by ${aor}`);
      const sameKey = prev?.identityKey === b64url(b.identityKey);
      entry = {
        bundle: b64url(bundle),
        identityKey: b64url(b.identityKey),
        oneTime: sameKey && !replaceOneTime ? prev.oneTime : [],
        updated: now,
      };
      if (!prev && this.#users.size >= this.limits.maxUsers) throw refuse('KEYDIR_FULL', 'directory full');
    } else {
      if (!prev) throw refuse('KEYDIR_NOT_FOUND', 'publish a bundle before one-time prekeys');
      entry = { ...prev, oneTime: replaceOneTime ? [] : prev.oneTime, updated: now };
    }
    const added: string[] = [];
    for (const o of oneTime) {
      try {
        parseOneTime(o);
      } catch (e) {
        throw refuse('KEYDIR_BAD_REQUEST', (e as Error).message);
      }
      added.push(b64url(o));
    }
    const all = [...new Set([...entry.oneTime, ...added])];
    if (all.length > this.limits.maxOneTimePerUser)
      throw refuse('KEYDIR_TOO_MANY', `at most ${this.limits.maxOneTimePerUser} one-time prekeys per user (have ${entry.oneTime.length})`);
    this.#users.set(aor, { ...entry, oneTime: all });
    await this.persist();
    return all.length;
  }

  /**
   * The bundle of `aor` and one one-time prekey, removed before the answer leaves (persisted), or none when they ran out
   * or this requester already got one recently (the signed prekey alone then).
   */
  async fetch(requester: string, aor: string, now: number): Promise<{ bundle: Uint8Array; oneTime: Uint8Array | null } | undefined> {
    const e = this.#users.get(aor);
    if (!e) return undefined;
    const pair = `${requester} ${aor}`;
    const last = this.#recent.get(pair);
    let oneTime: Uint8Array | null = null;
    if (e.oneTime.length > 0 && (last === undefined || now - last >= this.limits.oneTimeRefetchMs)) {
      oneTime = fromB64url(e.oneTime[0]);
      this.#users.set(aor, { ...e, oneTime: e.oneTime.slice(1) });
      this.#recent.delete(pair);
      this.#recent.set(pair, now);
      if (this.#recent.size > this.limits.maxRecentFetches) this.#recent.delete(this.#recent.keys().next().value!);
      await this.persist();
    }
    return { bundle: fromB64url(e.bundle), oneTime };
  }

  status(aor: string): { bundle: Uint8Array | null; oneTimeCount: number; updated: number | null } {
    const e = this.#users.get(aor);
    return e
      ? { bundle: fromB64url(e.bundle), oneTimeCount: e.oneTime.length, updated: e.updated }
      : { bundle: null, oneTimeCount: 0, updated: null };
  }

  /** Write the file (atomically); concurrent callers share one write. */
  persist(): Promise<void> {
    if (!this.file) return Promise.resolve();
    if (this.#pending) return this.#pending;
    const file = this.file;
    const p = this.#writing.then(() => {
      this.#pending = null;
      const st: FileState = { v: 1, users: Object.fromEntries(this.#users) };
      return writeAtomic(file, JSON.stringify(st));
    });
    this.#pending = p;
    this.#writing = p.catch(() => {});
    return p;
  }
}
