// Types of scripts/ensure.mjs (plain JavaScript: it runs before node_modules exists), for its tests.
export const ROOT: string;
export const APT: { lab: string[]; test: string[] };
export const NEEDS: Record<'start' | 'test' | 'unit' | 'all', { apt: string[]; npm: boolean }>;
export type Runner = (
  cmd: string,
  args: string[],
  opts?: Record<string, unknown>,
) => { status: number | null; stdout: string; stderr: string; error?: Error };
export function missingAptPackages(wanted: string[], run?: Runner): string[] | null;
export function npmOutOfDate(root?: string): string | null;
export function ensure(
  need?: keyof typeof NEEDS,
  opts?: { root?: string; log?: (line: string) => void; run?: Runner; verbose?: boolean; isRoot?: boolean },
): { installed: string[] };
