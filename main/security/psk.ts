// Per-conversation pre-shared key from a shared passphrase via Argon2id (docs/security.md s.5.4).
import { ParleyError } from '../base/errors';
import { initCrypto, concat, lp16, utf8, h256 } from './sodium';
import { normalizeAoR, compareAoR } from './aor';
import { argon2id } from './argon2';

/** Fixed for v1: both ends must derive the same key. ~0.9 s, 256 MiB on the lab machine (in a worker thread). */
export const PSK_V1 = { opslimit: 3, memlimit: 256 * 1024 * 1024 } as const;

/** The two normalized AoRs, bytewise sorted. */
export function sortedPair(aorA: string, aorB: string): [string, string] {
  const a = normalizeAoR(aorA);
  const b = normalizeAoR(aorB);
  return compareAoR(a, b) <= 0 ? [a, b] : [b, a];
}

/** salt = first 16 bytes of BLAKE2b-256("parley-psk-salt-v1" || 0x00 || lp16(low) || lp16(high)). */
export function pskSalt(aorA: string, aorB: string): Uint8Array {
  const [lo, hi] = sortedPair(aorA, aorB);
  return h256(concat(utf8('parley-psk-salt-v1\0'), lp16(lo), lp16(hi))).subarray(0, 16);
}

export function normalizePassphrase(p: string): string {
  const n = p.normalize('NFKC').trim();
  if (n.length === 0) throw new ParleyError('PSK_EMPTY', 'the shared passphrase is empty');
  return n;
}

/** 32-byte PSK for the conversation between aorA and aorB (order independent). */
export async function derivePsk(passphrase: string, aorA: string, aorB: string): Promise<Uint8Array> {
  await initCrypto();
  return argon2id(utf8(normalizePassphrase(passphrase)), pskSalt(aorA, aorB), PSK_V1.opslimit, PSK_V1.memlimit);
}
