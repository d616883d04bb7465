// Test support: app/shell.ts bundled with the recording fake of electron in its place (app/tests/fake-electron.ts), plus
// the in-memory backend, so the shell's wiring runs under plain Node.
import { mkdir, mkdtemp } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import type * as FakeElectron from './fake-electron';
import type * as Shell from '../shell';
import type { MemoryBackend } from '../../main/hosts/web/memory-backend';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export type ShellBundle = typeof Shell & { fake: typeof FakeElectron; MemoryBackend: typeof MemoryBackend; dir: string };

/** Bundles into a fresh directory under .parley-test/ (inside the repo, so external packages resolve). */
export async function bundleShell(): Promise<ShellBundle> {
  await mkdir(join(ROOT, '.parley-test'), { recursive: true });
  const dir = await mkdtemp(join(ROOT, '.parley-test', 'shell-'));
  const outfile = join(dir, 'app', 'shell-under-test.mjs');
  await build({
    stdin: {
      contents: `export * from './app/shell'; export * as fake from './app/tests/fake-electron'; export { MemoryBackend } from './main/hosts/web/memory-backend';`,
      resolveDir: ROOT,
      loader: 'ts',
    },
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    logLevel: 'warning',
    plugins: [
      {
        name: 'fake-electron',
        setup: (b) => b.onResolve({ filter: /^electron$/ }, () => ({ path: join(ROOT, 'app/tests/fake-electron.ts') })),
      },
    ],
  });
  return { ...((await import(pathToFileURL(outfile).href)) as Omit<ShellBundle, 'dir'>), dir };
}
