// Sealed offer preview: round trip to the pinned recipient, wrong recipient, tampering, SDP placement.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initCrypto, toB64, fromB64 } from '../../security/sodium';
import { LocalIdentity } from '../../security/identity';
import { parseMsrpMedia } from '../../protocol/sdp/msrp-sdp';
import { buildFileOffer } from './file-sdp';
import { openPreview, sealPreview, withPreview, PREVIEW_ATTRIBUTE } from './offer-preview';
import { makeLocalUri } from '../../protocol/msrp/index';

before(async () => {
  await initCrypto();
});

const P = { name: 'Quarterly report.pdf', type: 'application/pdf', size: 123456, sha256: 'ab'.repeat(32) };

function offerWith(value?: string): string {
  const sdp = buildFileOffer(
    { transport: () => undefined, relayPath: () => undefined, fingerprint: () => undefined },
    {
      secure: false,
      localUri: makeLocalUri('127.0.0.1', 5000),
      direction: 'sendonly',
      acceptTypes: ['application/vnd.parley.file-stream'],
      file: { selector: { name: 'parley-abc.bin', size: 123500 }, transferId: 'abc' },
    },
  );
  return value === undefined ? sdp : withPreview(sdp, value);
}

test('sealed to the recipient: only it opens the preview; the SDP stays valid and keeps its direction', () => {
  const bob = LocalIdentity.generate('sip:bob@parley.test');
  const eve = LocalIdentity.generate('sip:eve@parley.test');
  const sdp = offerWith(sealPreview(bob.publicKey, P));
  assert.match(sdp, new RegExp(`a=${PREVIEW_ATTRIBUTE}:[A-Za-z0-9+/=]+\\r\\na=sendonly\\r\\n`));
  assert.equal(parseMsrpMedia(sdp).direction, 'sendonly');
  assert.deepEqual(openPreview(bob, sdp), P);
  assert.throws(
    () => openPreview(eve, sdp),
    (e: { code: string }) => e.code === 'FILE_PREVIEW_BAD',
  );
  assert.equal(openPreview(bob, offerWith()), undefined);
});

test('a modified preview does not open; garbage is refused with FILE_PREVIEW_BAD', () => {
  const bob = LocalIdentity.generate('sip:bob@parley.test');
  const raw = fromB64(sealPreview(bob.publicKey, P), 'FILE_PREVIEW_BAD');
  for (const i of [0, 40, raw.length - 1]) {
    const t = raw.slice();
    t[i] ^= 1;
    assert.throws(
      () => openPreview(bob, offerWith(toB64(t))),
      (e: { code: string }) => e.code === 'FILE_PREVIEW_BAD',
    );
  }
  assert.throws(
    () => openPreview(bob, offerWith('AAAA')),
    (e: { code: string }) => e.code === 'FILE_PREVIEW_BAD',
  );
  assert.throws(
    () => openPreview(bob, offerWith('A'.repeat(5000))),
    (e: { code: string }) => e.code === 'FILE_PREVIEW_BAD',
  );
});
