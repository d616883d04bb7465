// Files we offered (RFC 5547 s.8 pull by file-selector): what a peer may pull again to resume, matched on selector + peer.
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { fromB64, toB64 } from '../../security/sodium';
import type { PreparedFile } from './prepare';

/** Offers stay pullable this long (a resume after a longer outage starts over). */
export const SHARED_FILE_TTL_MS = 7 * 24 * 3600 * 1000;
export const MAX_SHARED_FILES = 1000;

export interface SharedFile {
  file: PreparedFile;
  /** Normalized AoR of the peer the file was offered to: only it may pull. */
  peer: string;
  /** Name as it appeared in our SDP file-selector (neutral when hidden). */
  selectorName: string;
  transferId: string;
  addedAt: number;
}

interface Stored extends Omit<SharedFile, 'file'> {
  file: Omit<PreparedFile, 'fileKey' | 'modified'> & { fileKey?: string; modified: string; mtimeMs: number };
}

/**
 * In memory, optionally persisted to a JSON file (mode 0600) that holds file paths and per-file keys: it belongs in the
 * profile directory next to the key store. Entries whose file changed (size or mtime) are dropped.
 */
export class SharedFiles {
  private readonly entries: SharedFile[] = [];
  private readonly mtimes = new Map<SharedFile, number>();

  constructor(
    private readonly file?: string,
    private readonly now: () => number = Date.now,
  ) {
    if (file) this.load();
  }

  add(e: Omit<SharedFile, 'addedAt'>): void {
    const entry = { ...e, addedAt: this.now() };
    this.entries.push(entry);
    try {
      this.mtimes.set(entry, statSync(e.file.path).mtimeMs);
    } catch {
      /* checked again on find */
    }
    while (this.entries.length > MAX_SHARED_FILES) this.entries.shift();
    this.save();
  }

  find(peer: string, selectorName: string, wireSize: number, sha256?: string): SharedFile | undefined {
    const t = this.now();
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i];
      if (t - e.addedAt > SHARED_FILE_TTL_MS) continue;
      if (e.peer !== peer || e.selectorName !== selectorName || e.file.wireSize !== wireSize) continue;
      if (sha256 !== undefined && !e.file.fileKey && sha256 !== e.file.sha256) continue;
      try {
        const st = statSync(e.file.path);
        if (st.size !== e.file.size || (this.mtimes.has(e) && st.mtimeMs !== this.mtimes.get(e))) continue;
      } catch {
        continue;
      }
      return e;
    }
    return undefined;
  }

  private save(): void {
    if (!this.file) return;
    const out: Stored[] = this.entries.map((e) => ({
      ...e,
      file: {
        ...e.file,
        fileKey: e.file.fileKey ? toB64(e.file.fileKey) : undefined,
        modified: e.file.modified.toISOString(),
        mtimeMs: this.mtimes.get(e) ?? 0,
      },
    }));
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(out), { mode: 0o600 });
    renameSync(tmp, this.file);
  }

  private load(): void {
    let raw: Stored[];
    try {
      raw = JSON.parse(readFileSync(this.file!, 'utf8')) as Stored[];
    } catch {
      return;
    }
    if (!Array.isArray(raw)) return;
    for (const s of raw) {
      try {
        const e: SharedFile = {
          ...s,
          file: {
            ...s.file,
            fileKey: s.file.fileKey ? fromB64(s.file.fileKey, 'FILE_BAD_STATE') : undefined,
            modified: new Date(s.file.modified),
          },
        };
        this.entries.push(e);
        if (s.file.mtimeMs) this.mtimes.set(e, s.file.mtimeMs);
      } catch {
        /* skip a damaged entry */
      }
    }
  }
}
