// Test-only: run the lab with the app-server routing change proposed in docs/appserver.md ("Proxy changes") until it is
// part of network/kamailio/parley.cfg (owned by the lab). Applies nothing when the cfg already has it.
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CFG_FILE, KAMAILIO } from '../lab';

const require = createRequire(import.meta.url);

/** The proposed change: exact text in parley.cfg and its replacement (skipped when `marker` is already present). */
export const CFG_PATCHES: Array<{ marker: string; find: string; replace: string }> = [
  {
    // 1. trust requests the app server originates (they come from its listening port over the proxy's own connection)
    marker: '$sp == APPSRV_PORT',
    find: 'route[AUTH] {\n',
    replace:
      'route[AUTH] {\n#!ifdef APPSRV_PORT\n\t# The app server asserts identities itself (P-Asserted-Identity): its requests arrive over the connection\n' +
      '\t# we opened to it, so from 127.0.0.1:APPSRV_PORT over TCP (docs/appserver.md).\n' +
      '\tif (proto == TCP && $si == "127.0.0.1" && $sp == APPSRV_PORT) return;\n#!endif\n',
  },
  {
    // 2. talk to the app server from the SIP socket (not whichever TCP listener comes first, e.g. the MSRP relay port)
    marker: '$fs = "tcp:" + LAB_IP_STR + ":" + SIP_PORT;',
    find: '\tif ($var(nhport) == APPSRV_PORT) return;\n',
    replace: '\tif ($var(nhport) == APPSRV_PORT) {\n\t\t$fs = "tcp:127.0.0.1:" + SIP_PORT;\n\t\treturn;\n\t}\n',
  },
];

export function patchCfg(text: string): string {
  let out = text;
  for (const p of CFG_PATCHES) {
    if (out.includes(p.marker)) continue;
    if (!out.includes(p.find))
      throw new Error(`parley.cfg changed: ${JSON.stringify(p.find)} not found; update network/appserver/lab-patch.ts`);
    out = out.replace(p.find, p.replace);
  }
  return out;
}

/** Make startLab() use a patched copy of parley.cfg (wraps child_process.spawn for the Kamailio binary). Returns an undo. */
export function usePatchedLabCfg(): () => void {
  const cp = require('node:child_process') as typeof import('node:child_process');
  const orig = cp.spawn;
  const dir = mkdtempSync(join(tmpdir(), 'parley-appsrv-cfg-'));
  const file = join(dir, 'parley.cfg');
  writeFileSync(file, patchCfg(readFileSync(CFG_FILE, 'utf8')));
  const wrapped = ((cmd: string, args?: readonly string[], opts?: object) => {
    const a = cmd === KAMAILIO && Array.isArray(args) ? args.map((x) => (x === CFG_FILE ? file : x)) : args;
    return (orig as (...x: unknown[]) => unknown)(cmd, a, opts);
  }) as typeof cp.spawn;
  cp.spawn = wrapped;
  syncBuiltinESMExports();
  return () => {
    cp.spawn = orig;
    syncBuiltinESMExports();
    rmSync(dir, { recursive: true, force: true });
  };
}
