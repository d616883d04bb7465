// The private halves of an account's prekeys: rotation, one-time top-up, retirement (docs/security.md s.5.7).
import { ParleyError } from '../base/errors';
import { b64url, fromB64url, wipe } from './sodium';
import { encodeBundle, encodeOneTime, kemKeyPair, x25519FromRng, KEM_PUBLIC_LEN, KEM_SECRET_LEN, type Rng } from './prekeys';
import type { Identity } from './identity';

/** A new signed prekey and KEM prekey are drawn this often. */
export const PREKEY_ROTATION_MS = 7 * 24 * 3600 * 1000;
/** A replaced prekey's secret is kept this long (first messages may wait in msilo or on an offline device). */
export const PREKEY_RETIRED_KEEP_MS = 30 * 24 * 3600 * 1000;
/** One-time prekeys published per batch, the level below which a client tops up, and the most it holds. */
export const ONE_TIME_BATCH = 100;
export const ONE_TIME_LOW = 20;
export const ONE_TIME_MAX_HELD = 500;

interface KeyRec {
  id: number;
  pub: string;
  priv: string;
  created: number;
  retired?: number;
}

export interface PrekeySecretsJSON {
  v: 1;
  spk: KeyRec[];
  kem: KeyRec[];
  /** one-time prekey id -> private key (b64url), in creation order */
  otk: [number, string][];
  nextId: number;
}

const corrupt = (m: string) => new ParleyError('KEYSTORE_CORRUPT', `prekey section: ${m}`);

export class PrekeySecrets {
  private constructor(private s: PrekeySecretsJSON) {}

  /** Fresh prekeys (first signed prekey and KEM prekey, no one-time keys yet). */
  static create(now: number, rng?: Rng): PrekeySecrets {
    const p = new PrekeySecrets({ v: 1, spk: [], kem: [], otk: [], nextId: 1 });
    p.rotate(now, rng);
    return p;
  }

  static fromJSON(j: unknown): PrekeySecrets {
    const s = j as PrekeySecretsJSON;
    if (!s || s.v !== 1 || !Array.isArray(s.spk) || !Array.isArray(s.kem) || !Array.isArray(s.otk) || !Number.isInteger(s.nextId))
      throw corrupt('bad shape');
    if (!s.spk.some((k) => k.retired === undefined) || !s.kem.some((k) => k.retired === undefined)) throw corrupt('no current prekey');
    return new PrekeySecrets(s);
  }

  toJSON(): PrekeySecretsJSON {
    return this.s;
  }

  private take(): number {
    const id = this.s.nextId;
    this.s = { ...this.s, nextId: id >= 0xfffffffe ? 1 : id + 1 };
    return id;
  }

  private current(list: KeyRec[]): KeyRec {
    return list.find((k) => k.retired === undefined)!;
  }

  /** Draw a new signed prekey and KEM prekey, retire the current ones, drop retired ones past PREKEY_RETIRED_KEEP_MS. */
  rotate(now: number, rng?: Rng): void {
    const x = x25519FromRng(rng);
    const k = kemKeyPair(rng);
    const retire = (l: KeyRec[]) =>
      l
        .filter((r) => r.retired === undefined || now - r.retired < PREKEY_RETIRED_KEEP_MS)
        .map((r) => ({ ...r, retired: r.retired ?? now }));
    this.s = {
      ...this.s,
      spk: [...retire(this.s.spk), { id: this.take(), pub: b64url(x.publicKey), priv: b64url(x.privateKey), created: now }],
      kem: [...retire(this.s.kem), { id: this.take(), pub: b64url(k.publicKey), priv: b64url(k.secretKey), created: now }],
    };
    wipe(x.privateKey, k.secretKey);
  }

  rotationDue(now: number): boolean {
    return now - this.current(this.s.spk).created >= PREKEY_ROTATION_MS;
  }

  /** The signed bundle of the current prekeys. */
  bundle(me: Identity): Uint8Array {
    const spk = this.current(this.s.spk);
    const kem = this.current(this.s.kem);
    return encodeBundle(me, {
      created: spk.created,
      signedPrekey: { id: spk.id, publicKey: fromB64url(spk.pub, 'KEYSTORE_CORRUPT', 32) },
      kemPrekey: { id: kem.id, publicKey: fromB64url(kem.pub, 'KEYSTORE_CORRUPT', KEM_PUBLIC_LEN) },
    });
  }

  /** Draw `n` one-time prekeys; returns their signed records to publish. The oldest held ones go beyond ONE_TIME_MAX_HELD. */
  generateOneTime(me: Identity, n: number, rng?: Rng): Uint8Array[] {
    if (!Number.isInteger(n) || n < 1 || n > ONE_TIME_MAX_HELD) throw new ParleyError('SEC_RANGE', `one-time prekey count ${n}`);
    const out: Uint8Array[] = [];
    const added: [number, string][] = [];
    for (let i = 0; i < n; i++) {
      const id = this.take();
      const x = x25519FromRng(rng);
      added.push([id, b64url(x.privateKey)]);
      out.push(encodeOneTime(me, id, x.publicKey));
      wipe(x.privateKey);
    }
    this.s = { ...this.s, otk: [...this.s.otk, ...added].slice(-ONE_TIME_MAX_HELD) };
    return out;
  }

  get oneTimeHeld(): number {
    return this.s.otk.length;
  }

  /** Secret of a signed prekey by id (current or retired and still kept). */
  signedPrekey(id: number): { publicKey: Uint8Array; privateKey: Uint8Array } | undefined {
    const r = this.s.spk.find((k) => k.id === id);
    return r && { publicKey: fromB64url(r.pub, 'KEYSTORE_CORRUPT', 32), privateKey: fromB64url(r.priv, 'KEYSTORE_CORRUPT', 32) };
  }

  kemSecret(id: number): Uint8Array | undefined {
    const r = this.s.kem.find((k) => k.id === id);
    return r && fromB64url(r.priv, 'KEYSTORE_CORRUPT', KEM_SECRET_LEN);
  }

  /** Secret of a one-time prekey (still held), without consuming it. */
  oneTime(id: number): Uint8Array | undefined {
    const r = this.s.otk.find(([i]) => i === id);
    return r && fromB64url(r[1], 'KEYSTORE_CORRUPT', 32);
  }

  /** Delete a one-time prekey once a first message that used it has authenticated (its secret is gone for good). */
  consumeOneTime(id: number): void {
    this.s = { ...this.s, otk: this.s.otk.filter(([i]) => i !== id) };
  }

  /** Drop retired prekeys older than the keep period (call daily or at start). */
  prune(now: number): void {
    const keep = (l: KeyRec[]) => l.filter((r) => r.retired === undefined || now - r.retired < PREKEY_RETIRED_KEEP_MS);
    this.s = { ...this.s, spk: keep(this.s.spk), kem: keep(this.s.kem) };
  }
}
