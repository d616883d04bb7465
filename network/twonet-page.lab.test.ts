// Page mode between the two lab networks through the UE facade: alice@parley.test <-> dave@example.test end to end
// encrypted, key discovery across domains (the key request is a MESSAGE too), deferred delivery by each network's msilo.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startLabs, type LabPair } from './labs';
import { E2E_CONTENT_TYPE } from '../main/security/envelope';
import { KEY_REQUEST_CONTENT_TYPE, KEY_RESPONSE_CONTENT_TYPE } from '../main/security/key-request';
import { makeUe, signIn, type TestUe } from '../main/ue/testkit';
import { siloCounters, waitForStored } from './testing/silo';

let pair: LabPair;
let alice: TestUe;
let dave: TestUe;
const extra: TestUe[] = [];

before(async () => {
  pair = await startLabs();
  [alice, dave] = await Promise.all([makeUe(), makeUe()]);
  await Promise.all([signIn(alice, pair.home, 'alice'), signIn(dave, pair.peer, 'dave')]);
});

after(async () => {
  for (const t of [alice, dave, ...extra]) await t?.ue.close().catch(() => {});
  await pair?.stop();
});

const DAVE = 'sip:dave@example.test';
const ALICE = 'sip:alice@parley.test';

/** Nothing but key discovery (public keys) and envelopes on the wire, and never the marker. */
function assertSealed(marker: string, ...ues: TestUe[]): void {
  for (const w of ues.flatMap((u) => u.wire)) {
    assert.ok(!w.body.includes(marker), `plaintext marker on the wire (${w.dir} ${w.contentType})`);
    assert.ok(
      [E2E_CONTENT_TYPE, KEY_REQUEST_CONTENT_TYPE, KEY_RESPONSE_CONTENT_TYPE].includes(w.contentType),
      `unprotected ${w.contentType} on the wire`,
    );
  }
}

test('first contact across networks: key discovery by MESSAGE, then E2E both ways with IMDN delivered', async () => {
  const marker = `X-${Math.random().toString(36).slice(2)}`;
  const c = await alice.ue.conversationsOpen({ peer: DAVE });
  assert.equal(c.security.peer, 'unknown');
  const { messageId } = await alice.ue.messagesSend({ conversationId: c.id, text: `hello dave ${marker}` });
  const got = await dave.log.waitFor('message.upserted', (m) => m.text === `hello dave ${marker}`, 'dave receives');
  assert.deepEqual([got.direction, got.e2e.state, got.sender], ['in', 'on', ALICE]);
  await alice.log.waitFor('message.upserted', (m) => m.id === messageId && m.state === 'delivered', 'IMDN from example.test');
  assert.equal(alice.wire.find((w) => w.dir === 'out')?.contentType, KEY_REQUEST_CONTENT_TYPE, 'key request first');
  assert.ok(dave.wire.some((w) => w.dir === 'out' && w.contentType === KEY_RESPONSE_CONTENT_TYPE));

  const reply = await dave.ue.messagesSend({ conversationId: got.conversationId, text: `hello alice ${marker}` });
  const back = await alice.log.waitFor('message.upserted', (m) => m.text === `hello alice ${marker}`, 'alice receives');
  assert.deepEqual([back.e2e.state, back.sender, back.conversationId], ['on', DAVE, c.id]);
  await dave.log.waitFor('message.upserted', (m) => m.id === reply.messageId && m.state === 'delivered', 'IMDN from parley.test');
  assertSealed(marker, alice, dave);
  const sec = await alice.ue.securityStatus({ conversationId: c.id });
  assert.deepEqual([sec.e2e.state, sec.peer.state, sec.sendBlocked], ['on', 'unverified', false]);
});

test('deferred delivery both ways: stored by the recipient network while offline, delivered on sign-in, then IMDN', async () => {
  const marker = `Y-${Math.random().toString(36).slice(2)}`;
  // dave offline: example.test's msilo keeps alice's envelope
  const daveDir = dave.profileDir;
  await dave.ue.close();
  const c = await alice.ue.conversationsOpen({ peer: DAVE });
  const toDave = await alice.ue.messagesSend({ conversationId: c.id, text: `while you were out ${marker}` });
  await alice.log.waitFor('message.upserted', (m) => m.id === toDave.messageId && m.state === 'stored', 'stored by example.test');
  dave = await makeUe(daveDir);
  await dave.ue.ready;
  const got = await dave.log.waitFor('message.upserted', (m) => m.text === `while you were out ${marker}`, 'delivered on REGISTER');
  assert.equal(got.e2e.state, 'on');
  await alice.log.waitFor('message.upserted', (m) => m.id === toDave.messageId && m.state === 'delivered', 'IMDN after the dump');

  // alice offline: parley.test's msilo keeps dave's envelope
  const aliceDir = alice.profileDir;
  await alice.ue.close();
  const toAlice = await dave.ue.messagesSend({ conversationId: got.conversationId, text: `and back ${marker}` });
  await dave.log.waitFor('message.upserted', (m) => m.id === toAlice.messageId && m.state === 'stored', 'stored by parley.test');
  alice = await makeUe(aliceDir);
  await alice.ue.ready;
  const back = await alice.log.waitFor('message.upserted', (m) => m.text === `and back ${marker}`, 'delivered on REGISTER');
  assert.deepEqual([back.e2e.state, back.sender], ['on', DAVE]);
  await dave.log.waitFor('message.upserted', (m) => m.id === toAlice.messageId && m.state === 'delivered', 'IMDN after the dump');
  assertSealed(marker, alice, dave);
});

test('first contact with an offline user of the other network: the key request waits in its msilo', async () => {
  const marker = `Z-${Math.random().toString(36).slice(2)}`;
  const before = await siloCounters(pair.peer);
  const c = await alice.ue.conversationsOpen({ peer: 'sip:erin@example.test' });
  const { messageId } = await alice.ue.messagesSend({ conversationId: c.id, text: `hi erin ${marker}` });
  // the key request (the only thing that may leave before erin's key is known) is stored at example.test
  await waitForStored(pair.peer, before.stored + 1);
  assert.equal((await alice.ue.messagesPage({ conversationId: c.id, limit: 5 })).messages.find((m) => m.id === messageId)?.state, 'queued');
  const erin = await makeUe();
  extra.push(erin);
  await signIn(erin, pair.peer, 'erin');
  const got = await erin.log.waitFor('message.upserted', (m) => m.text === `hi erin ${marker}`, 'erin receives after sign-in');
  assert.deepEqual([got.e2e.state, got.sender], ['on', ALICE]);
  await alice.log.waitFor('message.upserted', (m) => m.id === messageId && m.state === 'delivered', 'IMDN from erin');
  assert.ok(
    erin.wire.some((w) => w.dir === 'in' && w.contentType === KEY_REQUEST_CONTENT_TYPE),
    'key request delivered from the silo',
  );
  assertSealed(marker, alice, erin);
});
