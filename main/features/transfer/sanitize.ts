// Safe receiving of RFC 5547 file names: sanitized names, no overwrite (O_EXCL), executable-type flags (docs/file-transfer.md s.6).
import { closeSync, constants, openSync } from 'node:fs';
import path from 'node:path';
import { ParleyError } from '../../base/errors';

/** Longest saved file name, in UTF-8 bytes (most file systems allow 255; room left for ' (NNN)'). */
export const MAX_SAVED_NAME_BYTES = 200;
/** How many ' (n)' variants are tried before giving up (FILE_NAME_EXHAUSTED). */
export const MAX_NAME_ATTEMPTS = 1000;
export const FALLBACK_NAME = 'file';

const WINDOWS_DEVICES = /^(con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³])$/i;
// C0/C1 controls, DEL, bidi embeddings/overrides/isolates, zero-width and BOM, line/paragraph separators
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069\ufeff]/g;
// path separators and characters Windows refuses in names
const RESERVED_CHARS = /[/\\:*?"<>|]/g;

function truncateUtf8(s: string, maxBytes: number): string {
  if (Buffer.byteLength(s) <= maxBytes) return s;
  let out = '';
  let n = 0;
  for (const ch of s) {
    const b = Buffer.byteLength(ch);
    if (n + b > maxBytes) break;
    out += ch;
    n += b;
  }
  return out;
}

function splitExt(name: string): { stem: string; ext: string } {
  const i = name.lastIndexOf('.');
  if (i <= 0 || name.length - i > 16) return { stem: name, ext: '' };
  return { stem: name.slice(0, i), ext: name.slice(i) };
}

/**
 * A name that is safe as one path component on Linux, macOS and Windows: no separators, no '..', no controls or bidi
 * overrides, no Windows device names, no trailing dots/spaces, at most MAX_SAVED_NAME_BYTES of UTF-8; empty -> 'file'.
 */
export function sanitizeFileName(input: string, maxBytes = MAX_SAVED_NAME_BYTES): string {
  let s = String(input).normalize('NFC').replace(UNSAFE_CHARS, '');
  // keep only the last component of anything path-like the sender put in
  s = s.replace(RESERVED_CHARS, (c) => (c === '/' || c === '\\' ? '/' : '_'));
  s =
    s
      .split('/')
      .filter((p) => p !== '' && p !== '.' && p !== '..')
      .pop() ?? '';
  s = s.replace(/^[\s.]+/, '').replace(/[\s.]+$/, '');
  if (!s) return FALLBACK_NAME;
  const { stem, ext } = splitExt(s);
  const base = stem.split('.')[0];
  let safeStem = WINDOWS_DEVICES.test(base.trim()) ? `_${stem}` : stem;
  const extBytes = Buffer.byteLength(ext);
  if (Buffer.byteLength(safeStem) + extBytes > maxBytes) {
    safeStem = truncateUtf8(safeStem, Math.max(1, maxBytes - extBytes)).replace(/[\s.]+$/, '') || FALLBACK_NAME;
  }
  const out = truncateUtf8(safeStem + ext, maxBytes).replace(/[\s.]+$/, '');
  return out || FALLBACK_NAME;
}

/** 'name.ext', 'name (1).ext', 'name (2).ext' ... */
export function numberedName(name: string, n: number): string {
  if (n === 0) return name;
  const { stem, ext } = splitExt(name);
  const suffix = ` (${n})`;
  return truncateUtf8(stem, MAX_SAVED_NAME_BYTES - Buffer.byteLength(suffix + ext)) + suffix + ext;
}

/**
 * Create a new, empty file in `dir` for `name` with O_CREAT|O_EXCL (never overwrites, never follows a planted symlink);
 * returns the path. The name is sanitized first; an existing name gets ' (n)'.
 */
export function reserveUniquePath(dir: string, name: string): string {
  const safe = sanitizeFileName(name);
  for (let n = 0; n < MAX_NAME_ATTEMPTS; n++) {
    const p = path.join(dir, numberedName(safe, n));
    try {
      closeSync(openSync(p, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | (constants.O_NOFOLLOW ?? 0), 0o600));
      return p;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new ParleyError('FILE_SAVE_FAILED', `cannot create ${p}: ${(e as Error).message}`, { path: p }, { cause: e });
      }
    }
  }
  throw new ParleyError('FILE_NAME_EXHAUSTED', `no free name for ${safe} in ${dir}`);
}

/** Extensions the UI must warn about before opening (Windows, macOS, Linux, scripts, installers, macro documents). */
export const EXECUTABLE_EXTENSIONS = new Set([
  'exe',
  'com',
  'bat',
  'cmd',
  'scr',
  'pif',
  'msi',
  'msp',
  'mst',
  'cpl',
  'dll',
  'sys',
  'drv',
  'ocx',
  'hta',
  'jar',
  'js',
  'jse',
  'vbs',
  'vbe',
  'wsf',
  'wsh',
  'ws',
  'ps1',
  'ps1xml',
  'psm1',
  'psd1',
  'msc',
  'lnk',
  'url',
  'reg',
  'inf',
  'scf',
  'appx',
  'appxbundle',
  'msix',
  'application',
  'gadget',
  'iso',
  'img',
  'vhd',
  'vhdx',
  'app',
  'command',
  'pkg',
  'dmg',
  'workflow',
  'action',
  'terminal',
  'sh',
  'bash',
  'zsh',
  'csh',
  'ksh',
  'run',
  'bin',
  'elf',
  'out',
  'deb',
  'rpm',
  'appimage',
  'snap',
  'flatpakref',
  'desktop',
  'py',
  'pyw',
  'pl',
  'rb',
  'php',
  'apk',
  'xapk',
  'docm',
  'xlsm',
  'pptm',
  'dotm',
  'xltm',
  'potm',
  'ppam',
  'xlam',
  'sldm',
]);
export const EXECUTABLE_MIME_TYPES = new Set([
  'application/x-msdownload',
  'application/x-msdos-program',
  'application/x-dosexec',
  'application/x-executable',
  'application/x-sharedlib',
  'application/x-mach-binary',
  'application/x-elf',
  'application/x-sh',
  'application/x-shellscript',
  'text/x-shellscript',
  'application/x-csh',
  'application/x-bat',
  'application/x-msi',
  'application/x-ms-installer',
  'application/vnd.microsoft.portable-executable',
  'application/java-archive',
  'application/x-java-archive',
  'application/javascript',
  'text/javascript',
  'application/x-python-code',
  'text/x-python',
  'application/x-perl',
  'application/x-ruby',
  'application/x-php',
  'application/vnd.android.package-archive',
  'application/x-apple-diskimage',
  'application/x-debian-package',
  'application/x-rpm',
  'application/x-ms-shortcut',
  'application/hta',
  'application/x-iso9660-image',
  'application/vnd.ms-word.document.macroenabled.12',
  'application/vnd.ms-excel.sheet.macroenabled.12',
  'application/vnd.ms-powerpoint.presentation.macroenabled.12',
]);

/** Whether the UI must warn before opening: by any extension in the name (also 'x.pdf.exe') or by the declared type. */
export function isExecutableType(name: string, mimeType?: string): boolean {
  const t = mimeType?.split(';')[0].trim().toLowerCase();
  if (t && EXECUTABLE_MIME_TYPES.has(t)) return true;
  const parts = name.toLowerCase().split('.');
  if (parts.length < 2) return false;
  return EXECUTABLE_EXTENSIONS.has(parts[parts.length - 1].trim());
}
