// What the renderer may make main read (issue 12, hole 4): only files the user picked in main, never any path the renderer
// names. Hosts record picks where they happen (Electron: the native open dialog, webUtils.getPathForFile for a drop; the
// web host: the folders its operator named with --send-from, and later its upload picker, issue 15); every reader of a
// renderer-given path asks assertPickedFile first. UNC and device paths are refused outright (a UNC path makes Windows
// connect to the server named in it and offer the user's credentials).
import { isAbsolute, normalize, resolve, sep } from 'node:path';
import { ParleyError } from '../base/errors';

/** Picks remembered per host (oldest forgotten first). */
export const MAX_PICKED = 1000;

/** \\server\share, //server/share, \\?\..., \\.\device: any path that starts with two separators. */
export function isUncPath(path: string): boolean {
  return /^[\\/]{2}/.test(path);
}

export class PickedFiles {
  readonly #picked = new Set<string>();
  readonly #roots: string[] = [];

  /** The user picked `path` in main (dialog, drop). */
  record(path: string): void {
    const p = this.#canonical(path);
    this.#picked.delete(p);
    this.#picked.add(p);
    if (this.#picked.size > MAX_PICKED) this.#picked.delete(this.#picked.values().next().value!);
  }

  /** Every file under `dir` counts as picked (a folder the host's operator chose, e.g. `--send-from`). */
  allowUnder(dir: string): void {
    this.#roots.push(this.#canonical(dir));
  }

  /**
   * The one check before main reads a file the renderer names: FILE_UNC_PATH for UNC/device paths, FILE_NOT_PICKED for
   * a path the user did not pick in main. Returns the canonical path to read.
   */
  assertPickedFile(path: string): string {
    const p = this.#canonical(path);
    if (this.#picked.has(p) || this.#roots.some((r) => p.startsWith(r.endsWith(sep) ? r : r + sep))) return p;
    throw new ParleyError('FILE_NOT_PICKED', 'main reads only files the user picked in its file dialog (or dropped)', {
      path: p.slice(0, 256),
    });
  }

  #canonical(path: string): string {
    if (typeof path !== 'string' || path.length === 0 || path.length > 4096 || path.includes('\0'))
      throw new ParleyError('FILE_NOT_PICKED', 'not a file path');
    if (isUncPath(path)) throw new ParleyError('FILE_UNC_PATH', 'UNC and device paths are never read', { path: path.slice(0, 256) });
    if (!isAbsolute(path)) throw new ParleyError('FILE_NOT_PICKED', 'not an absolute path');
    return resolve(normalize(path));
  }
}
