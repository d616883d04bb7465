import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { certFingerprint, fingerprintAttribute, fingerprintMatches, generateSelfSignedCert, parseFingerprint } from './tls-cert';
import { isParleyError } from '../../base/errors';

test('self-signed cert, fingerprint format and constant-time match', async () => {
  const { cert, key } = await generateSelfSignedCert();
  assert.match(key, /PRIVATE KEY/);
  const der = new X509Certificate(cert).raw;
  const fp = certFingerprint(cert);
  assert.match(fp, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  assert.equal(fp.replace(/:/g, '').toLowerCase(), createHash('sha256').update(der).digest('hex'));
  assert.equal(certFingerprint(der), fp);
  assert.equal(fingerprintAttribute(cert), `sha-256 ${fp}`);
  assert.ok(fingerprintMatches(`sha-256 ${fp}`, der));
  assert.ok(fingerprintMatches(fp.toLowerCase(), der));
  const other = await generateSelfSignedCert();
  assert.ok(!fingerprintMatches(`sha-256 ${fp}`, new X509Certificate(other.cert).raw));
  assert.ok(!fingerprintMatches('sha-1 AB:CD', der));
  assert.throws(
    () => parseFingerprint('md5 AB:CD'),
    (e) => isParleyError(e, 'MSRP_BAD_FINGERPRINT'),
  );
});
