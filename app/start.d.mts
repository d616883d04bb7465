// Types of app/start.mjs (plain JavaScript: it runs before node_modules exists), for its tests.
export interface StartOptions {
  mode: 'auto' | 'web' | 'electron';
  open: boolean;
  /** Arguments for the web host (main/hosts/web/cli.ts). */
  host: string[];
}
export function parseStartArgs(argv: string[]): StartOptions;
export function hasDisplay(env?: Record<string, string | undefined>, platform?: string): boolean;
export function browserOpener(env?: Record<string, string | undefined>, platform?: string): string[] | null;
