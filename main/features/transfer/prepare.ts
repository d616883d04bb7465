// Describe a local file for an RFC 5547 offer: size, type, SHA-256 (one streaming pass), dates; per-file key when protected.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ParleyError } from '../../base/errors';
import { cipherSize, newFileKey } from './file-crypto';

const TYPES: Record<string, string> = {
  txt: 'text/plain',
  md: 'text/markdown',
  csv: 'text/csv',
  html: 'text/html',
  json: 'application/json',
  xml: 'application/xml',
  pdf: 'application/pdf',
  zip: 'application/zip',
  gz: 'application/gzip',
  tar: 'application/x-tar',
  '7z': 'application/x-7z-compressed',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  svg: 'image/svg+xml',
  heic: 'image/heic',
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  ogg: 'audio/ogg',
  wav: 'audio/wav',
  mp4: 'video/mp4',
  webm: 'video/webm',
  mov: 'video/quicktime',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  odt: 'application/vnd.oasis.opendocument.text',
  exe: 'application/vnd.microsoft.portable-executable',
  msi: 'application/x-msi',
  sh: 'application/x-sh',
  jar: 'application/java-archive',
  apk: 'application/vnd.android.package-archive',
  dmg: 'application/x-apple-diskimage',
  deb: 'application/x-debian-package',
};

export function guessType(name: string): string {
  const ext = path.extname(name).slice(1).toLowerCase();
  return TYPES[ext] ?? 'application/octet-stream';
}

export interface PreparedFile {
  path: string;
  name: string;
  type: string;
  size: number;
  sha256: string;
  modified: Date;
  /** Bytes on the wire (ciphertext size when protected). */
  wireSize: number;
  /** Protected only: the fresh per-file key. */
  fileKey?: Uint8Array;
}

export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const b of createReadStream(file, { highWaterMark: 1024 * 1024 })) h.update(b as Buffer);
  return h.digest('hex');
}

export async function prepareFile(file: string, o: { protected: boolean; name?: string; type?: string }): Promise<PreparedFile> {
  let st;
  try {
    st = await stat(file);
  } catch (e) {
    throw new ParleyError('FILE_READ_FAILED', `cannot read ${file}: ${(e as Error).message}`, { path: file }, { cause: e });
  }
  if (!st.isFile()) throw new ParleyError('FILE_NOT_REGULAR', `${file} is not a regular file`, { path: file });
  const name = o.name ?? path.basename(file);
  const sha256 = await sha256File(file);
  const after = await stat(file);
  if (after.size !== st.size || after.mtimeMs !== st.mtimeMs) throw new ParleyError('FILE_CHANGED', `${file} changed while it was hashed`);
  return {
    path: file,
    name,
    type: o.type ?? guessType(name),
    size: st.size,
    sha256,
    modified: st.mtime,
    wireSize: o.protected ? cipherSize(st.size) : st.size,
    fileKey: o.protected ? newFileKey() : undefined,
  };
}
