// Writes docs/errors.md from the error-code registry (main/base/error-codes.ts): `npm run docs:errors`.
// `--check` only compares (exit 1 when the file is out of date). scripts/gen-errors-doc.test.ts runs the same check and
// also scans the tree for codes the registry lacks (usedCodes below).
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES, ERROR_LAYERS, RETIRED_CODES, type ErrorLayer } from '../main/base/error-codes';
import { EXIT } from '../main/hosts/cli/exit-codes';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DOC = join(ROOT, 'docs', 'errors.md');

const WHERE: Record<ErrorLayer, string> = {
  base: 'main/base',
  protocol: 'main/protocol: sans-IO formats, SDP, MSRP, SIP framing and MESSAGE bodies',
  net: 'main/net: SIP and MSRP sockets, the relay client',
  security: 'main/security: envelopes, session and group keys, key store, pins, key messages',
  store: 'main/store: the SQLite history',
  media: 'main/media: the SDP-only peer connection and its MSRP media',
  page: 'main/features/page: page-mode messaging',
  session: 'main/features/session: MSRP chat sessions',
  transfer: 'main/features/transfer: RFC 5547 file transfer',
  conference: 'main/features/conference: chat rooms',
  ue: 'main/ue: the UE facade and the profile',
  hosts: 'main/hosts: web host, CLI, local lab',
  ipc: 'app/ipc: the IPC boundary',
  appserver: "network/appserver: the lab's application server",
};

/** A table cell: pipes escaped, <element> names as code (not HTML). */
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/<[a-z-]+>/g, '`$&`');

export function renderErrorsDoc(): string {
  const entries = Object.entries(ERROR_CODES).sort(([a], [b]) => (a < b ? -1 : 1));
  const out = [
    '# Error codes',
    '',
    '<!-- Generated from main/base/error-codes.ts by `npm run docs:errors`: do not edit by hand. -->',
    '',
    `Every code Parley raises, reports or compares is registered in \`main/base/error-codes.ts\` (${entries.length} codes;`,
    'the entries are written per layer in `main/base/error-entries/`). For each: what happened (for developers), the text a',
    'person sees, and the `parley` exit code where the CLI maps it.',
    '',
    '- `new ParleyError(code, message, details)` takes only registered codes: tsc rejects any other. The message is for',
    '  logs and developers; `details` never leaves main.',
    '- The IPC boundary (`toIpcError`, app/ipc/contract.ts) sends `{code, message}` with the **user text** as the message;',
    '  the renderer shows it followed by the code. A thrown value without a registered code becomes `IPC_INTERNAL`.',
    '- The CLI takes its exit codes from the **CLI** column (`exitCodeFor`, main/hosts/cli/exit-codes.ts); a code without',
    "  one exits with the command's default (docs/cli.md). A bare SIP status as a failure code (`404`) exits 4.",
    "- A message's `failure.code` (history, `message.upserted`) is a registered code, a SIP status, or `FAILED`.",
    '- A new code: add it to its layer in `main/base/error-entries/`, run `npm run docs:errors`.',
    '',
    '## Retired codes',
    '',
    'Merged into a code with the same meaning:',
    '',
    '| retired | use |',
    '| --- | --- |',
    ...Object.entries(RETIRED_CODES).map(([old, now]) => `| \`${old}\` | \`${now}\` |`),
  ];
  for (const layer of ERROR_LAYERS) {
    const rows = entries.filter(([, e]) => e.layer === layer);
    if (!rows.length) continue;
    out.push(
      '',
      `## ${layer}`,
      '',
      `${WHERE[layer]} (${rows.length}).`,
      '',
      '| code | meaning | user text | CLI |',
      '| --- | --- | --- | --- |',
    );
    for (const [code, e] of rows) {
      const exit = e.cli ? `${EXIT[e.cli]} ${e.cli}` : '';
      out.push(`| \`${code}\` | ${cell(e.meaning)} | ${cell(e.userText)} | ${exit} |`);
    }
  }
  return out.join('\n') + '\n';
}

/** Strings that look like codes but belong to others (Node's errors). */
const FOREIGN = new Set(['ERR_BUFFER_TOO_LARGE']);

function* sourceFiles(dir: string): Generator<string> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* sourceFiles(p);
    else if (/\.(ts|tsx|mts|mjs|js)$/.test(name)) yield p;
  }
}

/** Every quoted UPPER_SNAKE string in the sources (outside the registry's own entries): code -> files using it. */
export function usedCodes(root = ROOT): Map<string, string[]> {
  const used = new Map<string, string[]>();
  for (const top of ['app', 'main', 'renderer', 'network', 'bench', 'e2e', 'scripts', 'bin']) {
    for (const file of sourceFiles(join(root, top))) {
      const rel = relative(root, file).split(sep).join('/');
      if (rel.startsWith('main/base/error-entries/')) continue;
      for (const m of readFileSync(file, 'utf8').matchAll(/(['"`])([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\1/g)) {
        if (FOREIGN.has(m[2]) || m[2].startsWith('PARLEY_')) continue; // Node's codes; our environment variables
        const files = used.get(m[2]) ?? [];
        if (!files.includes(rel)) files.push(rel);
        used.set(m[2], files);
      }
    }
  }
  return used;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const doc = renderErrorsDoc();
  const current = (() => {
    try {
      return readFileSync(DOC, 'utf8');
    } catch {
      return '';
    }
  })();
  if (process.argv.includes('--check')) {
    if (current !== doc) {
      console.error('docs/errors.md is out of date: run npm run docs:errors');
      process.exit(1);
    }
  } else if (current !== doc) {
    writeFileSync(DOC, doc);
    console.log(`wrote docs/errors.md (${Object.keys(ERROR_CODES).length} codes)`);
  } else console.log('docs/errors.md is up to date');
}
