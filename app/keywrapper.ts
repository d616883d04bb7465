// KeyWrapper (main/security/key-wrapper.ts, id 2 = OS key storage) over Electron's safeStorage. Written against a small
// SafeStorageLike interface so it is testable without Electron. Refuses Linux's 'basic_text' backend: that "encryption"
// uses a hard-coded password, so the key store must fall back to the passphrase wrapper instead.
import type { KeyWrapper } from '../main/security/key-wrapper';
import { WRAPPER_EXTERNAL } from '../main/security/key-wrapper';
import { ParleyError } from '../main/base/errors';

export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(blob: Buffer): string;
  getSelectedStorageBackend?(): string;
}

export const STORAGE_KEY_BYTES = 32;
const PREFIX = 'parley-ks-v1:';

/** Returns null when OS key storage is unavailable or only obfuscation (caller falls back to a passphrase). */
export function safeStorageWrapper(ss: SafeStorageLike, platform: string): KeyWrapper | null {
  if (!ss.isEncryptionAvailable()) return null;
  if (platform === 'linux') {
    const backend = ss.getSelectedStorageBackend?.() ?? 'unknown';
    if (backend === 'basic_text' || backend === 'unknown') return null;
  }
  return {
    id: WRAPPER_EXTERNAL,
    async wrap(key: Uint8Array): Promise<Uint8Array> {
      if (key.length !== STORAGE_KEY_BYTES) throw new ParleyError('KEYSTORE_WRAP_FAILED', 'storage key must be 32 bytes');
      return new Uint8Array(ss.encryptString(PREFIX + Buffer.from(key).toString('base64')));
    },
    async unwrap(blob: Uint8Array): Promise<Uint8Array> {
      let s: string;
      try {
        s = ss.decryptString(Buffer.from(blob));
      } catch (e) {
        throw new ParleyError('KEYSTORE_UNWRAP_FAILED', 'OS key storage could not decrypt the key store key', undefined, { cause: e });
      }
      if (!s.startsWith(PREFIX)) throw new ParleyError('KEYSTORE_UNWRAP_FAILED', 'unexpected key blob format');
      const key = Buffer.from(s.slice(PREFIX.length), 'base64');
      if (key.length !== STORAGE_KEY_BYTES) throw new ParleyError('KEYSTORE_UNWRAP_FAILED', 'unexpected key length');
      return new Uint8Array(key);
    },
  };
}
