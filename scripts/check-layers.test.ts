// The layer check itself (scripts/check-layers.mjs): circles are found, a lower layer importing a higher one is refused,
// process boundaries hold, and the real tree has no problem beyond the known ones listed in scripts/layer-debt.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

interface Node {
  file: string;
  imports: Array<{ spec: string; target: string | null }>;
}
interface LayerCheck {
  checkImport(file: string, spec: string, target: string | null): string | null;
  findCycles(graph: Node[]): string[][];
  checkTree(root?: string): { files: number; problems: string[] };
  readDebt(root?: string): string[];
}
const load = async (): Promise<LayerCheck> => (await import(pathToFileURL(join(ROOT, 'scripts/check-layers.mjs')).href)) as LayerCheck;

const node = (file: string, ...targets: string[]): Node => ({ file, imports: targets.map((t) => ({ spec: `./${t}`, target: t })) });

test('findCycles finds a synthetic circle and nothing in a tree without one', async () => {
  const { findCycles } = await load();
  const circle = [node('a.ts', 'b.ts'), node('b.ts', 'c.ts'), node('c.ts', 'a.ts'), node('d.ts', 'a.ts')];
  assert.deepEqual(findCycles(circle), [['a.ts', 'b.ts', 'c.ts']]);
  assert.deepEqual(findCycles([node('a.ts', 'b.ts'), node('b.ts', 'c.ts'), node('c.ts'), node('d.ts', 'a.ts', 'c.ts')]), []);
  assert.deepEqual(findCycles([node('a.ts', 'a.ts')]), [], 'a file naming itself is not a circle between files');
  assert.deepEqual(findCycles([node('x.ts', 'y.ts'), node('y.ts', 'x.ts'), node('p.ts', 'q.ts'), node('q.ts', 'p.ts')]).length, 2);
});

test('checkImport refuses a lower layer importing a higher one and accepts the other direction', async () => {
  const { checkImport } = await load();
  assert.match(checkImport('main/protocol/msrp/x.ts', '../../ue/ue', 'main/ue/ue.ts') ?? '', /protocol sits below it/);
  assert.match(checkImport('main/net/sip/x.ts', '../../store/history', 'main/store/history.ts') ?? '', /net sits below it/);
  assert.match(checkImport('main/features/page/x.ts', '../../hosts/static', 'main/hosts/static.ts') ?? '', /features sits below it/);
  assert.match(checkImport('main/base/x.ts', '../protocol/sip/response', 'main/protocol/sip/response.ts') ?? '', /base sits below it/);
  assert.equal(checkImport('main/ue/x.ts', '../protocol/sip/response', 'main/protocol/sip/response.ts'), null);
  assert.equal(checkImport('main/protocol/sip/x.ts', '../../base/clock', 'main/base/clock.ts'), null);
  assert.match(checkImport('main/nowhere/x.ts', '../base/clock', 'main/base/clock.ts') ?? '', /not a known layer/);
});

test('checkImport keeps features apart and the lab, electron and Node out of the places they must not reach', async () => {
  const { checkImport } = await load();
  assert.match(checkImport('main/features/page/x.ts', '../session/y', 'main/features/session/y.ts') ?? '', /feature page must not import/);
  assert.match(checkImport('main/ue/x.ts', '../../network/lab', 'network/lab.ts') ?? '', /must not import network/);
  assert.equal(checkImport('main/ue/x.test.ts', '../../network/lab', 'network/lab.ts'), null, 'tests may start a lab');
  assert.match(checkImport('network/x.ts', '../main/ue/ue', 'main/ue/ue.ts') ?? '', /network\/ may import only/);
  assert.equal(checkImport('network/x.ts', '../main/protocol/sip/response', 'main/protocol/sip/response.ts'), null);
  assert.match(checkImport('app/shell.ts', '../network/lab', 'network/lab.ts') ?? '', /desktop app must not import/);
  assert.match(checkImport('app/shell.ts', '../main/hosts/web/server', 'main/hosts/web/server.ts') ?? '', /desktop app/);
  assert.match(checkImport('main/ue/x.ts', 'electron', null) ?? '', /must not import electron/);
  assert.match(checkImport('renderer/x.ts', 'node:fs', null) ?? '', /node built-ins/);
  assert.match(checkImport('renderer/x.ts', '../main/ue/ue', 'main/ue/ue.ts') ?? '', /renderer\/ may import only/);
  assert.match(checkImport('app/ipc/x.ts', '../../main/base/clock', 'main/base/clock.ts') ?? '', /app\/ipc\/ imports only/);
});

test('checkTree reads a synthetic tree and reports its circle and its upward import', async (t) => {
  const { checkTree } = await load();
  const root = await mkdtemp(join(tmpdir(), 'parley-layers-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const files: Record<string, string> = {
    'main/protocol/a.ts': "import { b } from './b';\nexport const a = 1 + b;\n",
    'main/protocol/b.ts': "import { a } from './a';\nexport const b = 2;\nexport const c = () => a;\n",
    'main/protocol/up.ts':
      "// import { x } from '../ue/z'; a comment is not an import\nimport type { Z } from '../ue/z';\nexport type Y = Z;\n",
    'main/ue/z.ts': "import { a } from '../protocol/a';\nexport type Z = typeof a;\n",
  };
  for (const [f, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, f)), { recursive: true });
    await writeFile(join(root, f), text);
  }
  const { files: n, problems } = checkTree(root);
  assert.equal(n, 4);
  assert.deepEqual(problems, [
    "main/protocol/up.ts: imports '../ue/z': main/protocol must not import main/ue (main/ue/z.ts): protocol sits below it",
    'import circle: main/protocol/a.ts -> main/protocol/b.ts',
  ]);
});

test('the real tree has no layer problem other than those listed in scripts/layer-debt.json', async () => {
  const { checkTree, readDebt } = await load();
  const { problems } = checkTree(ROOT);
  const debt = readDebt(ROOT);
  assert.deepEqual(
    problems.filter((p) => !debt.includes(p)),
    [],
    'new layer problems (fix them; the debt list only shrinks)',
  );
  assert.deepEqual(
    debt.filter((d) => !problems.includes(d)),
    [],
    'fixed problems still listed in scripts/layer-debt.json',
  );
});
