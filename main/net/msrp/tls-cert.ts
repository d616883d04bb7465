// Certificates for msrps: RFC 8122 a=fingerprint (sha-256 of the DER certificate), constant-time checks, self-signed certs.
import { createHash, timingSafeEqual, X509Certificate } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ParleyError } from '../../base/errors';

export interface CertPair {
  cert: string; // PEM
  key: string; // PEM
}

/** "AB:CD:..." (upper-case hex pairs, RFC 8122 s.5) of sha-256 over the certificate's DER. */
export function certFingerprint(cert: string | Buffer): string {
  const der = typeof cert === 'string' || !isDer(cert) ? new X509Certificate(cert).raw : cert;
  return formatFingerprint(createHash('sha256').update(der).digest());
}

function isDer(b: Buffer): boolean {
  return b.length > 0 && b[0] === 0x30; // ASN.1 SEQUENCE; PEM starts with '-'
}

export function formatFingerprint(digest: Buffer): string {
  return [...digest].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
}

/** Our a=fingerprint value: "sha-256 AB:CD:..." */
export function fingerprintAttribute(cert: string | Buffer): string {
  return `sha-256 ${certFingerprint(cert)}`;
}

/** Parse "sha-256 AB:CD:.." (or a bare "AB:CD:.."); only sha-256 is accepted. Throws MSRP_BAD_FINGERPRINT. */
export function parseFingerprint(value: string): Buffer {
  const m = /^\s*(?:([A-Za-z0-9-]+)\s+)?((?:[0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2})\s*$/.exec(value);
  if (!m || (m[1] !== undefined && m[1].toLowerCase() !== 'sha-256')) {
    throw new ParleyError('MSRP_BAD_FINGERPRINT', `Unsupported or malformed fingerprint: ${value.slice(0, 40)}`);
  }
  return Buffer.from(m[2].replace(/:/g, ''), 'hex');
}

/** Constant-time comparison of a peer certificate (DER) with an expected a=fingerprint value. */
export function fingerprintMatches(expected: string, peerDer: Buffer): boolean {
  let want: Buffer;
  try {
    want = parseFingerprint(expected);
  } catch {
    return false;
  }
  const got = createHash('sha256').update(peerDer).digest();
  return want.length === got.length && timingSafeEqual(want, got);
}

/**
 * A throw-away self-signed certificate (P-256, 1 year) for msrps when none is configured: peers verify it with the
 * a=fingerprint we advertise (RFC 4975 s.14.4 / RFC 8122). Node has no X.509 writer, so this runs the openssl CLI.
 */
export async function generateSelfSignedCert(commonName = 'parley-msrp', ipSan = '127.0.0.1'): Promise<CertPair> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-msrp-cert-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '365',
      '-subj',
      `/CN=${commonName}`,
      '-addext',
      `subjectAltName=IP:${ipSan}`,
    ]);
    return { cert: await readFile(cert, 'utf8'), key: await readFile(key, 'utf8') };
  } catch (e) {
    throw new ParleyError('MSRP_CERT_GENERATION', `openssl could not create a certificate: ${(e as Error).message}`, undefined, {
      cause: e,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
