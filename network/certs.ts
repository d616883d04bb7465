// Test PKI for the lab (RFC 5280 X.509 via the openssl CLI): a throw-away CA and a server certificate for 127.0.0.1.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Certificates are re-issued when they expire within this margin. */
const MIN_REMAINING_SECONDS = 24 * 3600;
const CA_DAYS = 3650;
const SERVER_DAYS = 825;

export interface LabCerts {
  dir: string;
  caFile: string;
  caKey: string;
  certFile: string;
  keyFile: string;
}

export function certPaths(stateDir: string): LabCerts {
  const dir = join(stateDir, 'certs');
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    caKey: join(dir, 'ca.key'),
    certFile: join(dir, 'server.pem'),
    keyFile: join(dir, 'server.key'),
  };
}

async function openssl(args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await run('openssl', args, { cwd });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`openssl ${args[0]} failed: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}

/** True when the server cert exists, chains to the CA, is valid for a day more and names 127.0.0.1 and the domain. */
async function usable(p: LabCerts, domain: string): Promise<boolean> {
  if (![p.caFile, p.caKey, p.certFile, p.keyFile].every((f) => existsSync(f))) return false;
  try {
    await openssl(['x509', '-in', p.caFile, '-noout', '-checkend', String(MIN_REMAINING_SECONDS)], p.dir);
    await openssl(['x509', '-in', p.certFile, '-noout', '-checkend', String(MIN_REMAINING_SECONDS)], p.dir);
    await openssl(['verify', '-CAfile', p.caFile, p.certFile], p.dir);
    const text = await openssl(['x509', '-in', p.certFile, '-noout', '-ext', 'subjectAltName'], p.dir);
    return text.includes('IP Address:127.0.0.1') && text.includes(`DNS:${domain}`);
  } catch {
    return false;
  }
}

/** Create (or reuse when still valid) the lab CA and server certificate under `<stateDir>/certs/`. */
export async function ensureCerts(stateDir: string, domain: string): Promise<LabCerts> {
  const p = certPaths(stateDir);
  await mkdir(p.dir, { recursive: true });
  if (await usable(p, domain)) return p;

  await openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-sha256',
      '-days',
      String(CA_DAYS),
      '-keyout',
      p.caKey,
      '-out',
      p.caFile,
      '-subj',
      '/O=Parley lab/CN=Parley lab test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    p.dir,
  );
  const csr = join(p.dir, 'server.csr');
  await openssl(
    ['req', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-keyout', p.keyFile, '-out', csr, '-subj', `/O=Parley lab/CN=${domain}`],
    p.dir,
  );
  const ext = join(p.dir, 'server.ext');
  await writeFile(
    ext,
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth,clientAuth',
      `subjectAltName=IP:127.0.0.1,DNS:${domain},DNS:localhost`,
      '',
    ].join('\n'),
  );
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      p.caFile,
      '-CAkey',
      p.caKey,
      '-CAcreateserial',
      '-days',
      String(SERVER_DAYS),
      '-sha256',
      '-extfile',
      ext,
      '-out',
      p.certFile,
    ],
    p.dir,
  );
  return p;
}
