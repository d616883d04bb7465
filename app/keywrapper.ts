// KeyWrapper (main/security/key-wrapper.ts, id 2 = OS key storage) over Electron's safeStorage. Written against a small
// SafeStorageLike interface so it is testable without Electron. Refuses Linux's 'basic_text' backend: that "encryption"
// uses a hard-coded password, so the key store must fall back to the passphrase wrapper instead. desktopKeyProtection
// decides what the desktop app unlocks with; it never falls back to a plain key file (issue 12).
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

/** What the shell adds to KEYSTORE_NO_PROTECTION's user text before it quits: how to get going. */
export const NO_PROTECTION_HELP =
  'Start a keyring (GNOME Keyring or KWallet, through the Secret Service) and restart Parley, or start Parley with the ' +
  'environment variable PARLEY_PASSPHRASE set to a long passphrase: it then protects your keys instead. Parley does not ' +
  'keep your keys in a plain file.';

/** How the desktop app protects the key store: OS key storage, else a passphrase (PARLEY_PASSPHRASE). */
export type DesktopKeys = { keyWrapper: KeyWrapper; passphrase?: undefined } | { keyWrapper: null; passphrase: string };

/**
 * OS key storage when it really protects; else the passphrase from PARLEY_PASSPHRASE (Argon2id wrapper); else
 * KEYSTORE_NO_PROTECTION, which the shell shows before quitting: the desktop app never keeps the storage key in a plain
 * file readable by anyone with the profile directory (docs/app.md "Key store protection").
 */
export function desktopKeyProtection(ss: SafeStorageLike, platform: string, env: Record<string, string | undefined>): DesktopKeys {
  const keyWrapper = safeStorageWrapper(ss, platform);
  if (keyWrapper) return { keyWrapper };
  const passphrase = env.PARLEY_PASSPHRASE;
  if (passphrase) return { keyWrapper: null, passphrase };
  throw new ParleyError(
    'KEYSTORE_NO_PROTECTION',
    `no OS key storage (${platform}: ${ss.getSelectedStorageBackend?.() ?? 'unavailable'}) and no PARLEY_PASSPHRASE`,
  );
}
