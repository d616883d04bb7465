// The desktop bundle holds no lab code: the Electron main and preload bundles, built with app/build.mjs's own esbuild
// options, must not take any input from network/ (the lab, app server, test peers), the web host, the CLI or the lab glue.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type BuildOptions, type Metafile } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface AppBuild {
  mainBundleOptions(outdir?: string): BuildOptions;
  preloadBundleOptions(outdir?: string): BuildOptions;
}
const loadAppBuild = async (): Promise<AppBuild> => (await import(pathToFileURL(join(ROOT, 'app/build.mjs')).href)) as AppBuild;

/** Why an input must not ship in the desktop app, or null. */
function labInput(path: string): string | null {
  if (path.startsWith('network/')) return 'the lab (network/)';
  if (path.startsWith('main/hosts/web/')) return 'the web host';
  if (path.startsWith('main/hosts/cli/')) return 'the CLI';
  if (path === 'main/hosts/lab.ts') return 'the lab glue (main/hosts/lab.ts)';
  return null;
}

async function inputsOf(opts: BuildOptions): Promise<string[]> {
  const r = await build({ ...opts, absWorkingDir: ROOT, write: false, metafile: true, logLevel: 'silent' });
  return Object.keys((r.metafile as Metafile).inputs);
}

test('labInput recognises every kind of lab input and lets the product through', () => {
  assert.match(labInput('network/lab.ts') ?? '', /lab/);
  assert.match(labInput('main/hosts/web/server.ts') ?? '', /web host/);
  assert.match(labInput('main/hosts/cli/args.ts') ?? '', /CLI/);
  assert.match(labInput('main/hosts/lab.ts') ?? '', /lab glue/);
  assert.equal(labInput('main/hosts/static.ts'), null);
  assert.equal(labInput('main/ue/ue.ts'), null);
});

test('the Electron main bundle takes no input from the lab, the web host or the CLI', async () => {
  const { mainBundleOptions } = await loadAppBuild();
  const inputs = await inputsOf(mainBundleOptions(join(ROOT, '.parley-test/bundle')));
  // Not vacuous: the shell and the real UE are in it.
  for (const f of ['app/main.ts', 'app/shell.ts', 'main/ue/ue.ts', 'main/hosts/static.ts'])
    assert.ok(inputs.includes(f), `${f} is bundled`);
  const lab = inputs.filter((f) => labInput(f)).map((f) => `${f}: ${labInput(f)}`);
  assert.deepEqual(lab, [], `lab code in the desktop bundle:\n${lab.join('\n')}`);
});

test('the preload bundle takes no input from the lab, the web host or the CLI', async () => {
  const { preloadBundleOptions } = await loadAppBuild();
  const inputs = await inputsOf(preloadBundleOptions(join(ROOT, '.parley-test/bundle')));
  assert.ok(inputs.includes('app/preload.ts'));
  assert.deepEqual(
    inputs.filter((f) => labInput(f)),
    [],
  );
});
