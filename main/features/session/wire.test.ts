import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { initCrypto } from '../../security/sodium';
import { LocalIdentity } from '../../security/identity';
import { SessionOffer, acceptSessionOffer } from '../../security/session-keys';
import { MSRP_E2E_CONTENT_TYPE } from '../../security/session-cipher';
import { isParleyError } from '../../base/errors';
import { EpochCipher, e2eContentType, epochOf, isE2eContentType } from './wire';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

async function pair(): Promise<{ o: EpochCipher; a: EpochCipher }> {
  await initCrypto();
  const alice = LocalIdentity.generate('sip:alice@parley.test');
  const bob = LocalIdentity.generate('sip:bob@parley.test');
  const offer = new SessionOffer(alice);
  const ans = acceptSessionOffer(bob, offer.keyMgmt, { expectedPeerAoR: 'sip:alice@parley.test' });
  const est = offer.complete(ans.keyMgmt, { expectedPeerAoR: 'sip:bob@parley.test' });
  return { o: new EpochCipher(est), a: new EpochCipher(ans.session) };
}

describe('E2E wire (EpochCipher)', () => {
  before(async () => {
    await initCrypto();
  });

  it('content types: epoch 0 is the bare type, later epochs carry a parameter; bad parameters are typed errors', () => {
    assert.equal(e2eContentType(0), MSRP_E2E_CONTENT_TYPE);
    assert.equal(e2eContentType(3), `${MSRP_E2E_CONTENT_TYPE};epoch=3`);
    assert.equal(epochOf(`${MSRP_E2E_CONTENT_TYPE}; epoch=12`), 12);
    assert.equal(epochOf(MSRP_E2E_CONTENT_TYPE), 0);
    assert.ok(isE2eContentType(`${MSRP_E2E_CONTENT_TYPE.toUpperCase()};epoch=1`));
    assert.ok(!isE2eContentType('message/cpim'));
    for (const bad of [`${MSRP_E2E_CONTENT_TYPE};epoch=x`, `${MSRP_E2E_CONTENT_TYPE};epoch=99999999`]) {
      assert.throws(
        () => epochOf(bad),
        (e) => isParleyError(e, 'E2E_BAD_FORMAT'),
      );
    }
  });

  it('round trip both ways; ciphertext never contains the plaintext', async () => {
    const { o, a } = await pair();
    const f = o.seal(enc('secret words'));
    assert.equal(f.contentType, MSRP_E2E_CONTENT_TYPE);
    assert.ok(!Buffer.from(f.body).includes('secret words'));
    assert.equal(dec(a.open(f.contentType, f.body)), 'secret words');
    const g = a.seal(enc('reply'));
    assert.equal(dec(o.open(g.contentType, g.body)), 'reply');
  });

  it('a lost message moves the sender to a new epoch the receiver follows; old epochs and replays are refused', async () => {
    const { o, a } = await pair();
    const lost = o.seal(enc('interrupted'));
    o.skipAfterLoss();
    const next = o.seal(enc('after'));
    assert.equal(next.contentType, `${MSRP_E2E_CONTENT_TYPE};epoch=1`);
    assert.equal(dec(a.open(next.contentType, next.body)), 'after');
    assert.deepEqual(a.epochs, { send: 0, recv: 1 });
    assert.throws(
      () => a.open(lost.contentType, lost.body),
      (e) => isParleyError(e, 'E2E_REPLAY'),
    );
    assert.throws(
      () => a.open(next.contentType, next.body),
      (e) => isParleyError(e, 'E2E_REPLAY'),
    );
    // the other direction is independent and still in epoch 0
    const back = a.seal(enc('back'));
    assert.equal(back.contentType, MSRP_E2E_CONTENT_TYPE);
    assert.equal(dec(o.open(back.contentType, back.body)), 'back');
  });

  it('tampering: a flipped byte, a forged epoch, or a skipped sequence fail without moving the receiver', async () => {
    const { o, a } = await pair();
    const f = o.seal(enc('one'));
    const bad = Uint8Array.from(f.body);
    bad[bad.length - 1] ^= 1;
    assert.throws(
      () => a.open(f.contentType, bad),
      (e) => isParleyError(e, 'E2E_TAMPERED'),
    );
    assert.throws(
      () => a.open(e2eContentType(5), f.body),
      (e) => isParleyError(e, 'E2E_TAMPERED'),
    );
    assert.deepEqual(a.epochs.recv, 0);
    const g = o.seal(enc('two'));
    assert.throws(
      () => a.open(g.contentType, g.body),
      (e) => isParleyError(e, 'E2E_OUT_OF_ORDER'),
    );
    assert.equal(dec(a.open(f.contentType, f.body)), 'one');
    assert.equal(dec(a.open(g.contentType, g.body)), 'two');
  });

  it('destroy() erases the keys: later use is E2E_SESSION_CLOSED', async () => {
    const { o } = await pair();
    o.skipAfterLoss();
    o.destroy();
    assert.throws(
      () => o.seal(enc('x')),
      (e) => isParleyError(e, 'E2E_SESSION_CLOSED'),
    );
    assert.throws(
      () => o.open(MSRP_E2E_CONTENT_TYPE, new Uint8Array(40)),
      (e) => isParleyError(e, 'E2E_SESSION_CLOSED'),
    );
  });
});
