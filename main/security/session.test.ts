import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { SessionOffer, acceptSessionOffer, parseKeyMgmtAttribute, parseKeyMgmtPayload, formatKeyMgmtAttribute } from './session-keys';
import { SessionCipher } from './session-cipher';
import {
  sealSegment,
  openSegment,
  StreamEncryptor,
  StreamDecryptor,
  resumePoint,
  STREAM_SEGMENT_SIZE,
  STREAM_FULL_SEGMENT_CT,
  encryptedSegmentSize,
} from './secret-stream';
import { LocalIdentity } from './identity';
import { initCrypto, utf8, random } from './sodium';
import { isParleyError } from '../base/errors';

let alice: LocalIdentity, bob: LocalIdentity, mallory: LocalIdentity;
before(async () => {
  await initCrypto();
  alice = LocalIdentity.generate('sip:alice@example.com');
  bob = LocalIdentity.generate('sip:bob@example.com');
  mallory = LocalIdentity.generate('sip:mallory@example.com');
});

function pair(psk?: { a?: Uint8Array; b?: Uint8Array }) {
  const offer = new SessionOffer(alice);
  assert.match(offer.attribute, /^key-mgmt:parley-x25519-v1 [A-Za-z0-9+/]+=*$/);
  const { attribute, session: bs } = acceptSessionOffer(bob, 'a=' + offer.attribute, {
    psk: psk?.b,
    expectedPeerAoR: '<sip:alice@example.com>',
  });
  const as = offer.complete(attribute, { psk: psk?.a, expectedPeerAoR: 'sip:bob@example.com' });
  return { as, bs };
}

test('key-mgmt exchange: both ends agree, learn each other, round trip both directions', () => {
  const { as, bs } = pair();
  assert.deepEqual(as.peerIdentityKey, bob.publicKey);
  assert.equal(bs.peerAoR, 'sip:alice@example.com');
  for (let i = 0; i < 3; i++) {
    const f = as.cipher.seal(utf8(`hi ${i}`), utf8('text/plain'));
    assert.equal(new TextDecoder().decode(bs.cipher.open(f, utf8('text/plain'))), `hi ${i}`);
    const g = bs.cipher.seal(utf8(`yo ${i}`));
    assert.equal(new TextDecoder().decode(as.cipher.open(g)), `yo ${i}`);
  }
  assert.deepEqual(as.streamKey('file-1'), bs.streamKey('file-1'));
  assert.notDeepEqual(as.streamKey('file-1'), as.streamKey('file-2'));
});

test('session cipher rejects reordering, replay, tampering, reflection, wrong AD', () => {
  const { as, bs } = pair();
  const f0 = as.cipher.seal(utf8('zero'));
  const f1 = as.cipher.seal(utf8('one'));
  assert.throws(
    () => bs.cipher.open(f1),
    (e) => isParleyError(e, 'E2E_OUT_OF_ORDER'),
  );
  bs.cipher.open(f0);
  assert.throws(
    () => bs.cipher.open(f0),
    (e) => isParleyError(e, 'E2E_REPLAY'),
  );
  const bad = f1.slice();
  bad[bad.length - 1] ^= 1;
  assert.throws(
    () => bs.cipher.open(bad),
    (e) => isParleyError(e, 'E2E_TAMPERED'),
  );
  assert.throws(
    () => bs.cipher.open(f1, utf8('image/png')),
    (e) => isParleyError(e, 'E2E_TAMPERED'),
  );
  bs.cipher.open(f1);
  // Reflection: a frame sent by Alice fed back to Alice fails (directional keys).
  const fresh = pair();
  const r0 = fresh.as.cipher.seal(utf8('reflected'));
  assert.throws(
    () => fresh.as.cipher.open(r0),
    (e) => isParleyError(e, 'E2E_TAMPERED'),
  );
  assert.throws(
    () => bs.cipher.open(f1.subarray(0, 10)),
    (e) => isParleyError(e, 'E2E_BAD_FORMAT'),
  );
});

test('destroy() zeroes keys and stops the cipher', () => {
  const { as, bs } = pair();
  as.destroy();
  assert.throws(
    () => as.cipher.seal(utf8('x')),
    (e) => isParleyError(e, 'E2E_SESSION_CLOSED'),
  );
  assert.throws(
    () => as.streamKey('f'),
    (e) => isParleyError(e, 'E2E_SESSION_CLOSED'),
  );
  bs.destroy();
  const c = new SessionCipher(new Uint8Array(32).fill(1), new Uint8Array(32).fill(2), 1);
  c.destroy();
  assert.throws(
    () => c.open(new Uint8Array(40)),
    (e) => isParleyError(e, 'E2E_SESSION_CLOSED'),
  );
});

test('PSK: same PSK agrees, different PSK yields undecryptable traffic', () => {
  const psk = new Uint8Array(32).fill(9);
  const ok = pair({ a: psk, b: psk });
  assert.deepEqual(ok.bs.cipher.open(ok.as.cipher.seal(utf8('x'))), utf8('x'));
  const bad = pair({ a: psk, b: new Uint8Array(32).fill(8) });
  assert.throws(
    () => bad.bs.cipher.open(bad.as.cipher.seal(utf8('x'))),
    (e) => isParleyError(e, 'E2E_TAMPERED'),
  );
  const half = pair({ a: psk });
  assert.throws(
    () => half.bs.cipher.open(half.as.cipher.seal(utf8('x'))),
    (e) => isParleyError(e, 'E2E_TAMPERED'),
  );
});

test('MITM: substituted answer, tampered payloads, wrong peer, wrong role are refused', () => {
  const offer = new SessionOffer(alice);
  // Mallory answers a different offer she made up: transcript does not bind to Alice's offer.
  const other = new SessionOffer(alice);
  const { attribute: forged } = acceptSessionOffer(mallory, other.attribute);
  assert.throws(
    () => offer.complete(forged),
    (e) => isParleyError(e, 'E2E_TAMPERED'),
  );

  const offer2 = new SessionOffer(alice);
  const { attribute } = acceptSessionOffer(bob, offer2.attribute);
  const raw = parseKeyMgmtAttribute(attribute);
  raw[5] ^= 1; // ephemeral key byte
  assert.throws(
    () => offer2.complete(formatKeyMgmtAttribute(raw)),
    (e) => isParleyError(e, 'E2E_TAMPERED'),
  );
  assert.throws(
    () => acceptSessionOffer(bob, new SessionOffer(mallory).attribute, { expectedPeerAoR: alice.aor }),
    (e) => isParleyError(e, 'E2E_PEER_MISMATCH'),
  );
  assert.throws(
    () => acceptSessionOffer(bob, attribute),
    (e) => isParleyError(e, 'E2E_BAD_FORMAT'),
  );
  assert.throws(
    () => parseKeyMgmtAttribute('key-mgmt:mikey AQID'),
    (e) => isParleyError(e, 'E2E_UNSUPPORTED'),
  );
  assert.throws(
    () => parseKeyMgmtPayload(new Uint8Array(10)),
    (e) => isParleyError(e, 'E2E_BAD_FORMAT'),
  );
  const offer3 = new SessionOffer(alice);
  offer3.destroy();
  assert.throws(
    () => offer3.complete(attribute),
    (e) => isParleyError(e, 'E2E_SESSION_CLOSED'),
  );
});

test('secretstream segments: round trip in random pieces, sizes, resume at a segment boundary', () => {
  const key = random(32);
  const file = random(2 * STREAM_SEGMENT_SIZE + 12345);
  const enc = new StreamEncryptor(key);
  const parts: Uint8Array[] = [];
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let off = 0; off < file.length;) {
    const n = Math.min(file.length - off, 1 + Math.floor(rnd() * 300_000));
    parts.push(enc.push(file.subarray(off, off + n)));
    off += n;
  }
  parts.push(enc.finish());
  const ct = Buffer.concat(parts);
  assert.equal(ct.length, 2 * STREAM_FULL_SEGMENT_CT + encryptedSegmentSize(12345));

  const dec = new StreamDecryptor(key);
  const outs: Uint8Array[] = [];
  for (let off = 0; off < ct.length; off += 100_000) outs.push(dec.push(ct.subarray(off, off + 100_000)));
  outs.push(dec.finish());
  assert.ok(dec.done);
  assert.deepEqual(new Uint8Array(Buffer.concat(outs)), file);

  // Interrupted after 1.5 segments: resume from segment 1 with a fresh encryptor.
  const rp = resumePoint(Math.floor(1.5 * STREAM_FULL_SEGMENT_CT));
  assert.deepEqual(rp, { segment: 1, cipherOffset: STREAM_FULL_SEGMENT_CT, plainOffset: STREAM_SEGMENT_SIZE });
  const enc2 = new StreamEncryptor(key, rp.segment);
  const tail = Buffer.concat([enc2.push(file.subarray(rp.plainOffset)), enc2.finish()]);
  const dec2 = new StreamDecryptor(key, rp.segment);
  const got = Buffer.concat([dec2.push(tail), dec2.finish()]);
  assert.deepEqual(new Uint8Array(got), file.subarray(rp.plainOffset));
});

test('secretstream rejects swapped segments, truncation, and edits', () => {
  const key = random(32);
  const full = random(STREAM_SEGMENT_SIZE);
  const s0 = sealSegment(key, 0, full, false);
  const s1 = sealSegment(key, 1, utf8('end'), true);
  assert.equal(openSegment(key, 1, s1).final, true);
  assert.throws(
    () => openSegment(key, 1, s0),
    (e) => isParleyError(e, 'E2E_TAMPERED'),
    'wrong index',
  );
  const d = new StreamDecryptor(key);
  d.push(s0);
  assert.throws(
    () => d.finish(),
    (e) => isParleyError(e, 'E2E_TAMPERED'),
    'no final segment',
  );
  const d2 = new StreamDecryptor(key);
  assert.throws(
    () => d2.push(Buffer.concat([s0, s0])),
    (e) => isParleyError(e, 'E2E_TAMPERED'),
    'segment replayed',
  );
  const e1 = s1.slice();
  e1[30] ^= 1;
  assert.throws(
    () => openSegment(key, 1, e1),
    (e) => isParleyError(e, 'E2E_TAMPERED'),
  );
  assert.throws(
    () => openSegment(key, 1, s1.subarray(0, s1.length - 1)),
    (e) => isParleyError(e, 'E2E_TAMPERED'),
  );
  const empty = new StreamEncryptor(key);
  const ec = empty.finish();
  const de = new StreamDecryptor(key);
  de.push(ec);
  assert.equal(de.finish().length, 0);
});

test('key-mgmt as the {protocol, data} pair main/protocol/sdp carries', () => {
  const offer = new SessionOffer(alice);
  assert.equal(offer.keyMgmt.protocol, 'parley-x25519-v1');
  const { keyMgmt, session: bs } = acceptSessionOffer(bob, offer.keyMgmt);
  const as = offer.complete(keyMgmt);
  assert.deepEqual(bs.cipher.open(as.cipher.seal(utf8('sdp'))), utf8('sdp'));
  assert.throws(
    () => parseKeyMgmtAttribute({ protocol: 'mikey', data: 'AQID' }),
    (e) => isParleyError(e, 'E2E_UNSUPPORTED'),
  );
});
