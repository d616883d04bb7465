// libsodium (sumo build, for Argon2id) loader plus small byte helpers shared by the security core.
import sodiumModule from 'libsodium-wrappers-sumo';
import { hkdfSync, getRandomValues } from 'node:crypto';
import { ParleyError, type ErrorCode } from '../base/errors';

export type Sodium = typeof sodiumModule;

let readyFlag = false;

/** Await once before calling any synchronous function of main/security (KeyStore.create/open do it for you). */
export async function initCrypto(): Promise<Sodium> {
  await sodiumModule.ready;
  readyFlag = true;
  return sodiumModule;
}

/** The initialized libsodium instance; throws CRYPTO_NOT_READY before initCrypto() resolved. */
export function S(): Sodium {
  if (!readyFlag) throw new ParleyError('CRYPTO_NOT_READY', 'call await initCrypto() before using main/security');
  return sodiumModule;
}

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

export function utf8(s: string): Uint8Array {
  return enc.encode(s);
}

export function fromUtf8(b: Uint8Array, code: ErrorCode = 'SEC_BAD_UTF8'): string {
  try {
    return dec.decode(b);
  } catch {
    throw new ParleyError(code, 'invalid UTF-8');
  }
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function u8(n: number): Uint8Array {
  return Uint8Array.of(n & 0xff);
}
export function u16(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new ParleyError('SEC_RANGE', `u16 out of range: ${n}`);
  return Uint8Array.of(n >>> 8, n & 0xff);
}
export function u32(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new ParleyError('SEC_RANGE', `u32 out of range: ${n}`);
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}
export function u64(n: number | bigint): Uint8Array {
  const v = BigInt(n);
  if (v < 0n || v > 0xffffffffffffffffn) throw new ParleyError('SEC_RANGE', `u64 out of range: ${n}`);
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v);
  return b;
}
/** u16 length prefix + UTF-8 bytes. */
export function lp16(s: string | Uint8Array): Uint8Array {
  const b = typeof s === 'string' ? utf8(s) : s;
  return concat(u16(b.length), b);
}

/** Cursor over untrusted bytes; every read past the end throws `code`. */
export class Reader {
  off = 0;
  constructor(
    readonly buf: Uint8Array,
    readonly code: ErrorCode,
  ) {}
  private need(n: number): void {
    if (this.off + n > this.buf.length) throw new ParleyError(this.code, `truncated at byte ${this.off} (need ${n})`);
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    const b = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return b;
  }
  u8(): number {
    return this.bytes(1)[0];
  }
  u16(): number {
    const b = this.bytes(2);
    return (b[0] << 8) | b[1];
  }
  u32(): number {
    const b = this.bytes(4);
    return new DataView(b.buffer, b.byteOffset, 4).getUint32(0);
  }
  u64(): bigint {
    const b = this.bytes(8);
    return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0);
  }
  lp16(maxLen = 0xffff): Uint8Array {
    const n = this.u16();
    if (n > maxLen) throw new ParleyError(this.code, `field of ${n} bytes exceeds limit ${maxLen}`);
    return this.bytes(n);
  }
  str16(maxLen = 0xffff): string {
    return fromUtf8(this.lp16(maxLen), this.code);
  }
  get remaining(): number {
    return this.buf.length - this.off;
  }
  end(): void {
    if (this.off !== this.buf.length) throw new ParleyError(this.code, `${this.buf.length - this.off} trailing bytes`);
  }
}

/** Constant-time equality (false on length mismatch). */
export function ctEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && S().memcmp(a, b);
}

export function b64url(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('base64url');
}

/** Strict base64url (no padding) decode; throws `code` on any other character or a wrong length. */
export function fromB64url(s: unknown, code: ErrorCode, len?: number): Uint8Array {
  if (typeof s !== 'string' || !/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) throw new ParleyError(code, 'bad base64url field');
  const b = new Uint8Array(Buffer.from(s, 'base64url'));
  if (len !== undefined && b.length !== len) throw new ParleyError(code, `expected ${len} bytes, got ${b.length}`);
  return b;
}

/** Strict standard base64 (RFC 4648 s.4, padding optional, surrounding whitespace tolerated). */
export function fromB64(s: string, code: ErrorCode): Uint8Array {
  const t = s.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(t) || t.replace(/=+$/, '').length % 4 === 1) throw new ParleyError(code, 'bad base64 body');
  return new Uint8Array(Buffer.from(t, 'base64'));
}

export function toB64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('base64');
}

/** HKDF-SHA-256 (RFC 5869). */
export function hkdf(ikm: Uint8Array, salt: Uint8Array | string, info: Uint8Array, len = 32): Uint8Array {
  const s = typeof salt === 'string' ? utf8(salt) : salt;
  return new Uint8Array(hkdfSync('sha256', ikm, s, info, len));
}

/** Unkeyed (or keyed) BLAKE2b, 32 bytes by default. */
export function h256(data: Uint8Array, key?: Uint8Array, len = 32): Uint8Array {
  return S().crypto_generichash(len, data, key ?? null);
}

/** X25519 with a check against all-zero output (small-order peer keys). */
export function x25519(secret: Uint8Array, pub: Uint8Array, code: ErrorCode = 'E2E_BAD_FORMAT'): Uint8Array {
  let out: Uint8Array;
  try {
    out = S().crypto_scalarmult(secret, pub);
  } catch {
    throw new ParleyError(code, 'invalid X25519 public key');
  }
  if (S().is_zero(out)) throw new ParleyError(code, 'X25519 produced an all-zero shared secret (small-order key)');
  return out;
}

const xCache = new Map<string, Uint8Array>();
const X_CACHE_MAX = 512;

/** Ed25519 public key -> X25519 public key (memoized: the conversion costs ~0.1 ms in WebAssembly). */
export function edPkToX(pk: Uint8Array, code: ErrorCode = 'E2E_BAD_FORMAT'): Uint8Array {
  const k = Buffer.from(pk.buffer, pk.byteOffset, pk.length).toString('base64');
  const hit = xCache.get(k);
  if (hit) return hit.slice();
  let x: Uint8Array;
  try {
    x = S().crypto_sign_ed25519_pk_to_curve25519(pk);
  } catch {
    throw new ParleyError(code, 'invalid Ed25519 public key');
  }
  if (xCache.size >= X_CACHE_MAX) xCache.delete(xCache.keys().next().value!);
  xCache.set(k, x.slice());
  return x;
}

/**
 * Random bytes from the OS CSPRNG via Web Crypto (libsodium-wrappers' randombytes_buf costs ~2.5 us per byte in
 * WebAssembly here). A fresh, unpooled buffer, so it can be wiped.
 */
export function random(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let o = 0; o < n; o += 65536) getRandomValues(out.subarray(o, Math.min(n, o + 65536)));
  return out;
}

/** Fresh X25519 key pair (random scalar, public = scalarmult_base). */
export function x25519KeyPair(): { publicKey: Uint8Array; privateKey: Uint8Array } {
  const privateKey = random(32);
  return { publicKey: S().crypto_scalarmult_base(privateKey), privateKey };
}

export function wipe(...bufs: (Uint8Array | undefined | null)[]): void {
  for (const b of bufs) if (b) S().memzero(b);
}
