// Sealed offer preview (docs/file-transfer.md s.4.1): real name/type/size/hash for the receiver's accept dialog, sealed in the
// INVITE's SDP (RFC 4566 attribute `a=x-parley-file-info`) to the receiver's pinned identity key; checked later against the
// authenticated manifest, so a forged preview is detected (FILE_TAMPERED) before anything is saved.
import { ParleyError } from '../../base/errors';
import { attrValue, parseSdp, type Sdp } from '../../protocol/sdp/sdp';
import { openSegment, sealSegment } from '../../security/secret-stream';
import { concat, edPkToX, fromB64, hkdf, toB64, utf8, wipe, x25519, x25519KeyPair } from '../../security/sodium';
import type { Identity } from '../../security/identity';

export const PREVIEW_ATTRIBUTE = 'x-parley-file-info';
const INFO = utf8('parley-file-preview-v1');
const MAX_PREVIEW_B64 = 4096;

export interface FilePreview {
  name: string;
  type: string;
  size: number;
  sha256: string;
}

function keyFor(dh: Uint8Array, ephPub: Uint8Array, recipientEd: Uint8Array): Uint8Array {
  const k = hkdf(dh, concat(ephPub, recipientEd), INFO);
  wipe(dh);
  return k;
}

/** Base64 of ephemeral X25519 public key || sealed JSON, for the receiver whose Ed25519 identity key is `recipientEd`. */
export function sealPreview(recipientEd: Uint8Array, p: FilePreview): string {
  const eph = x25519KeyPair();
  const key = keyFor(x25519(eph.privateKey, edPkToX(recipientEd)), eph.publicKey, recipientEd);
  wipe(eph.privateKey);
  try {
    return toB64(concat(eph.publicKey, sealSegment(key, 0, utf8(JSON.stringify(p)), true)));
  } finally {
    wipe(key);
  }
}

/** Open a preview with our identity; undefined when absent; FILE_PREVIEW_BAD when it does not open or is malformed. */
export function openPreview(me: Identity, sdp: string | Sdp): FilePreview | undefined {
  const s = typeof sdp === 'string' ? parseSdp(sdp) : sdp;
  const v = s.media.map((m) => attrValue(m.lines, PREVIEW_ATTRIBUTE)).find((x) => x !== undefined);
  if (v === undefined) return undefined;
  if (v.length > MAX_PREVIEW_B64) throw new ParleyError('FILE_PREVIEW_BAD', 'file preview too large');
  const raw = fromB64(v.trim(), 'FILE_PREVIEW_BAD');
  if (raw.length < 32 + 41) throw new ParleyError('FILE_PREVIEW_BAD', 'file preview too short');
  const ephPub = raw.subarray(0, 32);
  const key = keyFor(me.agree(ephPub), ephPub, me.publicKey);
  let p: FilePreview;
  try {
    const { plaintext } = openSegment(key, 0, raw.subarray(32));
    p = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext)) as FilePreview;
  } catch (e) {
    throw new ParleyError('FILE_PREVIEW_BAD', `file preview does not open: ${(e as Error).message}`);
  } finally {
    wipe(key);
  }
  if (
    !p ||
    typeof p.name !== 'string' ||
    !p.name ||
    typeof p.type !== 'string' ||
    !Number.isSafeInteger(p.size) ||
    !/^[0-9a-f]{64}$/.test(String(p.sha256))
  ) {
    throw new ParleyError('FILE_PREVIEW_BAD', 'malformed file preview');
  }
  return { name: p.name, type: p.type, size: p.size, sha256: p.sha256 };
}

/** Add the attribute to the (single) media section of an SDP text. */
export function withPreview(sdp: string, value: string): string {
  return sdp.replace(/\r\na=(sendonly|recvonly)\r\n/, `\r\na=${PREVIEW_ATTRIBUTE}:${value}\r\na=$1\r\n`);
}
