// Fixed keys and randomness -> fixed bytes: the prekey, PQXDH first-message and ratchet reply vectors printed in
// docs/wire-formats.md ("Ratchet test vectors"). The test recomputes them and compares with the document.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { initCrypto, utf8, h256 } from './sodium';
import { LocalIdentity } from './identity';
import { PeerRatchets, memoryRatchetPersistence } from './peer-ratchets';
import { deterministicRng } from './det-rng';
import { parseRatchetEnvelope } from './ratchet-envelope';

const T0 = 1_800_000_000_000;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

export async function computeVectors(): Promise<Record<string, string>> {
  await initCrypto();
  const alice = new LocalIdentity('sip:alice@parley.test', new Uint8Array(32).fill(1));
  const bob = new LocalIdentity('sip:bob@parley.test', new Uint8Array(32).fill(2));
  const now = () => T0;
  const A = await PeerRatchets.open({
    me: alice,
    persistence: memoryRatchetPersistence(),
    now,
    rng: deterministicRng('parley-vector-alice'),
  });
  const B = await PeerRatchets.open({ me: bob, persistence: memoryRatchetPersistence(), now, rng: deterministicRng('parley-vector-bob') });
  const pub = await B.publication(1);
  await A.startSession({ bundle: pub.bundle, oneTime: pub.oneTime[0] }, { aor: bob.aor, pinnedKey: bob.publicKey });
  const first = await A.seal({ recipients: [bob.aor], messageId: 'vec-1', dateTime: T0, plaintext: utf8('hello bob') });
  const opened = await B.open(first, { pinnedSenderKey: alice.publicKey });
  assert.equal(new TextDecoder().decode(opened.plaintext), 'hello bob');
  const reply = await B.seal({ recipients: [alice.aor], messageId: 'vec-2', dateTime: T0 + 1000, plaintext: utf8('hi alice') });
  assert.equal(new TextDecoder().decode((await A.open(reply)).plaintext), 'hi alice');
  return {
    'rng.first32("parley-vector-alice")': hex(deterministicRng('parley-vector-alice')(32)),
    'alice.identity': hex(alice.publicKey),
    'bob.identity': hex(bob.publicKey),
    'bundle.length': String(pub.bundle.length),
    'bundle.blake2b256': hex(h256(pub.bundle)),
    'bundle.head64': hex(pub.bundle.subarray(0, 64)),
    onetime: hex(pub.oneTime[0]),
    'first.length': String(first.length),
    'first.blake2b256': hex(h256(first)),
    'first.sessionId': hex(parseRatchetEnvelope(first).recipients[0].sessionId),
    reply: hex(reply),
  };
}

before(async () => {
  await initCrypto();
});

test('ratchet vectors in docs/wire-formats.md match what the code produces', async () => {
  const doc = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'wire-formats.md'), 'utf8');
  const block = /```vectors\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(block, 'docs/wire-formats.md has a ```vectors block');
  const want = Object.fromEntries(
    block
      .replace(/\\\n\s*/g, '')
      .split('\n')
      .filter((l) => l.includes(' = '))
      .map((l) => l.split(' = ').map((x) => x.trim())),
  );
  assert.deepEqual(await computeVectors(), want);
});
