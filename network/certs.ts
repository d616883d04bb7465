// Test PKI for the lab (RFC 5280 X.509 via the openssl CLI): a throw-away CA and a server certificate per network
// (SAN: its loopback address and domain); a second network's certificate is issued by the first network's CA.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
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

export interface CertOptions {
  /** The network's loopback address (SAN IP), default 127.0.0.1. */
  ip?: string;
  /** Issue the server certificate with this existing CA (another network's certs dir) instead of our own. */
  ca?: { caFile: string; caKey: string };
}

/** True when the server cert exists, chains to the CA, is valid for a day more and names the address and the domain. */
async function usable(p: LabCerts, domain: string, ip: string, caFile: string): Promise<boolean> {
  if (![caFile, p.certFile, p.keyFile].every((f) => existsSync(f))) return false;
  try {
    await openssl(['x509', '-in', caFile, '-noout', '-checkend', String(MIN_REMAINING_SECONDS)], p.dir);
    await openssl(['x509', '-in', p.certFile, '-noout', '-checkend', String(MIN_REMAINING_SECONDS)], p.dir);
    await openssl(['verify', '-CAfile', caFile, p.certFile], p.dir);
    const text = await openssl(['x509', '-in', p.certFile, '-noout', '-ext', 'subjectAltName'], p.dir);
    return new RegExp(`IP Address:${ip.replace(/\./g, '\\.')}(,|\\s|$)`).test(text) && text.includes(`DNS:${domain}`);
  } catch {
    return false;
  }
}

/**
 * Create (or reuse when still valid) the lab CA and server certificate under `<stateDir>/certs/`. With `o.ca` the
 * certificate is issued by that CA, whose certificate (not its key) is copied to `<stateDir>/certs/ca.pem`.
 */
export async function ensureCerts(stateDir: string, domain: string, o: CertOptions = {}): Promise<LabCerts> {
  const p = certPaths(stateDir);
  const ip = o.ip ?? '127.0.0.1';
  await mkdir(p.dir, { recursive: true });
  if (o.ca) {
    const issuer = o.ca;
    const own = { ...p, caKey: issuer.caKey };
    if (!(await usable(own, domain, ip, issuer.caFile))) await issueServerCert(own, domain, ip, issuer.caFile);
    if (issuer.caFile !== p.caFile) await copyFile(issuer.caFile, p.caFile);
    return own;
  }
  if (existsSync(p.caKey) && (await usable(p, domain, ip, p.caFile))) return p;

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
  await issueServerCert(p, domain, ip, p.caFile);
  return p;
}

async function issueServerCert(p: LabCerts, domain: string, ip: string, caFile: string): Promise<void> {
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
      `subjectAltName=IP:${ip},DNS:${domain},DNS:localhost`,
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
      caFile,
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
}
