// The update feed electron-updater reads: electron-builder's generic provider (a static folder of installers plus the
// channel file `latest-linux.yml` / `latest-mac.yml` / `latest.yml`), with one addition: the channel file must carry an
// Ed25519 signature (`<channel file>.sig`, base64 of the 64-byte signature over the file's exact bytes) by the key whose
// public half is built into the app. The channel file holds the SHA-512 of every installer, which electron-updater checks
// after downloading, so a verified channel file authenticates the download too. Publishing: docs/app.md "Updates".
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { AppUpdater } from 'electron-updater';
import type { UpdateInfo } from 'builder-util-runtime';
import type { ProviderRuntimeOptions } from 'electron-updater/out/providers/Provider.js';
import { GenericProvider } from 'electron-updater/out/providers/GenericProvider.js';
import { parseUpdateInfo } from 'electron-updater/out/providers/Provider.js';
import { getChannelFilename, newUrlFromBase } from 'electron-updater/out/util.js';
import { ParleyError } from '../main/base/errors';

/** A channel file larger than this is refused before its signature is checked. */
export const MAX_CHANNEL_FILE_BYTES = 64 * 1024;
/** base64 of a 64-byte signature, with some room for line ends. */
const MAX_SIGNATURE_CHARS = 200;

export interface SignedFeedOptions {
  /** Base URL of the feed (https in production; the tests use http on 127.0.0.1). */
  url: string;
  /** The publisher's Ed25519 public key, PEM (SPKI). */
  publicKey: string;
}

/** Parses a PEM Ed25519 public key; throws UPDATE_SIGNATURE_INVALID for anything else (a build with a wrong key). */
export function updateKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (e) {
    throw new ParleyError('UPDATE_SIGNATURE_INVALID', `the built-in update key is not a PEM public key: ${(e as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new ParleyError('UPDATE_SIGNATURE_INVALID', `the built-in update key is ${key.asymmetricKeyType}, not ed25519`);
  }
  return key;
}

/** Checks `signature` (base64, as in the .sig file) over the channel file's bytes; throws UPDATE_SIGNATURE_INVALID. */
export function verifyChannelFile(text: string, signature: string | null, key: KeyObject, what = 'channel file'): void {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > MAX_CHANNEL_FILE_BYTES) {
    throw new ParleyError('UPDATE_SIGNATURE_INVALID', `${what} is ${bytes.length} bytes (limit ${MAX_CHANNEL_FILE_BYTES})`);
  }
  const sigText = (signature ?? '').trim();
  if (!sigText) throw new ParleyError('UPDATE_SIGNATURE_INVALID', `${what} has no signature`);
  if (sigText.length > MAX_SIGNATURE_CHARS || !/^[A-Za-z0-9+/]+={0,2}$/.test(sigText)) {
    throw new ParleyError('UPDATE_SIGNATURE_INVALID', `the signature of ${what} is not base64`);
  }
  const sig = Buffer.from(sigText, 'base64');
  if (sig.length !== 64 || !verify(null, bytes, key, sig)) {
    throw new ParleyError('UPDATE_SIGNATURE_INVALID', `the signature of ${what} does not verify with the app's update key`);
  }
}

/** Error codes electron-updater gives an HTTP failure (builder-util-runtime HttpError has statusCode). */
function isNotFound(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { statusCode?: number }).statusCode === 404;
}

/**
 * electron-updater's generic provider with the signature check in front of the channel file: the updater never sees
 * update information that the publisher did not sign. Registered with `setFeedURL({provider: 'custom', ...})`.
 */
export class SignedFeedProvider extends GenericProvider {
  readonly #key: KeyObject;
  readonly #base: URL;
  readonly #noCache: boolean;

  constructor(options: SignedFeedOptions, updater: AppUpdater, runtimeOptions: ProviderRuntimeOptions) {
    super({ provider: 'generic', url: options.url }, updater, runtimeOptions);
    this.#key = updateKey(options.publicKey);
    const base = new URL(options.url);
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    this.#base = base;
    // Cache-busting query like the generic provider (AppUpdater.isAddNoCacheQuery is internal).
    this.#noCache = (updater as unknown as { isAddNoCacheQuery?: boolean }).isAddNoCacheQuery ?? true;
  }

  override async getLatestVersion(): Promise<UpdateInfo> {
    const channelFile = getChannelFilename(this.getDefaultChannelName());
    const channelUrl = newUrlFromBase(channelFile, this.#base, this.#noCache);
    const sigUrl = newUrlFromBase(`${channelFile}.sig`, this.#base, this.#noCache);
    const text = await this.httpRequest(channelUrl);
    let sig: string | null;
    try {
      sig = await this.httpRequest(sigUrl);
    } catch (e) {
      if (isNotFound(e)) throw new ParleyError('UPDATE_SIGNATURE_INVALID', `${channelFile}.sig is missing on the feed`);
      throw e;
    }
    verifyChannelFile(text ?? '', sig, this.#key, channelFile);
    return parseUpdateInfo(text, channelFile, channelUrl);
  }
}
