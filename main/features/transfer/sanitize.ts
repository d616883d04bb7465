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
// Controls (C0, C1, DEL), format characters (bidi marks, embeddings, overrides and isolates, ALM U+061C, soft hyphen,
// zero-width characters, BOM, tags U+E0000..E007F), lone surrogates, line/paragraph separators, and every other
// default-ignorable code point (Hangul fillers U+115F/U+1160/U+3164/U+FFA0, variation selectors, CGJ...): all invisible.
const UNSAFE_CHARS = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/gu;
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
 * A name that is safe as one path component on Linux, macOS and Windows: no separators, no '..', no controls, format or
 * other invisible characters, no Windows device names, no trailing dots/spaces, at most MAX_SAVED_NAME_BYTES of UTF-8; empty -> 'file'.
 */
export function sanitizeFileName(input: string, maxBytes = MAX_SAVED_NAME_BYTES): string {
  let s = String(input).replace(UNSAFE_CHARS, '').normalize('NFC');
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

const words = (list: string): Set<string> => new Set(list.trim().split(/\s+/));

/**
 * Extensions the UI must warn about before opening (the `executable` flag): anything that runs code or opens something
 * other than itself when double-clicked. Sources, so the list can be checked: Microsoft's "Blocked attachments in Outlook"
 * (level 1), Chromium's download_file_types (DANGEROUS and ALLOW_ON_USER_GESTURE, which includes web pages and SVG:
 * opened from disk they run script with file:// access), plus the Linux and macOS launchers those lists miss.
 */
export const EXECUTABLE_EXTENSIONS = new Set([
  // Windows programs, installers, control panel and system files
  ...words(`exe com bat cmd scr pif msi msp mst msu cpl dll sys drv ocx gadget appx appxbundle msix msixbundle application
    appref-ms xbap diagcab cab inf ins isp reg scf sct shb shs its mde mda mdb mdz ade adp grp pcd prf prg ops tmp
    hlp hpj chm cnt msc`),
  // Windows script hosts and shells
  ...words(`js jse vb vbe vbs vbp wsf wsh ws wsc hta htc ps1 ps1xml ps2 ps2xml psc1 psc2 psd1 psm1 psdm1 msh msh1 msh2 mshxml
    msh1xml msh2xml`),
  // shortcuts and shell locations
  ...words(`lnk url website settingcontent-ms library-ms search-ms searchconnector-ms glk xnk webloc inetloc fileloc`),
  // web content that runs script when opened from disk
  ...words(`htm html shtm shtml xht xhtm xhtml mht mhtml svg svgz xml xsl xslt`),
  // disk images and archives that mount or install
  ...words(`iso img vhd vhdx dmg pkg mpkg`),
  // macOS and Linux launchers, packages and scripts
  ...words(`app command tool terminal workflow action mobileconfig scpt sh bash zsh csh ksh fish run bin elf out deb rpm
    appimage snap flatpak flatpakref flatpakrepo desktop`),
  // interpreters, Java, Android
  ...words(`py pyc pyo pyw pyz pyzw pl rb php jar jnlp apk xapk aab`),
  // documents with macros, add-ins and live queries
  ...words(`docm dotm xlsm xltm xlam xla xll pptm potm ppam ppsm sldm iqy slk`),
]);
export const EXECUTABLE_MIME_TYPES = words(`
  application/x-msdownload application/x-msdos-program application/x-dosexec application/x-executable
  application/x-sharedlib application/x-mach-binary application/x-elf application/x-sh application/x-shellscript
  text/x-shellscript application/x-csh application/x-bat application/x-msi application/x-ms-installer
  application/vnd.microsoft.portable-executable application/java-archive application/x-java-archive
  application/x-java-jnlp-file application/javascript text/javascript application/x-python-code text/x-python
  application/x-perl application/x-ruby application/x-php application/vnd.android.package-archive
  application/x-apple-diskimage application/x-debian-package application/x-rpm application/x-ms-shortcut
  application/x-mswinurl application/x-desktop application/x-appimage application/x-ms-application application/hta
  application/vnd.ms-htmlhelp application/x-iso9660-image text/html application/xhtml+xml image/svg+xml
  application/xml text/xml application/xslt+xml multipart/related application/x-mimearchive
  application/vnd.ms-word.document.macroenabled.12 application/vnd.ms-excel.sheet.macroenabled.12
  application/vnd.ms-powerpoint.presentation.macroenabled.12`);

/**
 * Whether the UI must warn before opening. Decided from the name the file is saved under (sanitizeFileName: invisible
 * and bidi characters, trailing dots and spaces removed, truncated), so `invoice.exe.` or `invoice.ex<SHY>e` cannot
 * slip past: its last extension (`x.pdf.exe` too), or the declared type.
 */
export function isExecutableType(name: string, mimeType?: string): boolean {
  const t = mimeType?.split(';')[0].trim().toLowerCase();
  if (t && EXECUTABLE_MIME_TYPES.has(t)) return true;
  const saved = sanitizeFileName(name).toLowerCase();
  const dot = saved.lastIndexOf('.');
  return dot > 0 && EXECUTABLE_EXTENSIONS.has(saved.slice(dot + 1));
}
