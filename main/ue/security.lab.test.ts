// UE security behaviour against the real lab: safety numbers, tampered and replayed envelopes, barring (603), key change.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startLab, type Lab } from '../../network/lab';
import { E2E_CONTENT_TYPE } from '../security/envelope';
import { makeUe, signIn, type TestUe } from './testkit';

let lab: Lab;
let alice: TestUe;
let bob: TestUe;
const extra: TestUe[] = [];

before(async () => {
  lab = await startLab();
  alice = await makeUe();
  bob = await makeUe();
  await Promise.all([signIn(alice, lab, 'alice'), signIn(bob, lab, 'bob')]);
  // First contact: keys discovered and pinned on both sides.
  const c = await alice.ue.conversationsOpen({ peer: lab.aor('bob') });
  const { messageId } = await alice.ue.messagesSend({ conversationId: c.id, text: 'first contact' });
  await alice.log.waitFor('message.upserted', (m) => m.id === messageId && m.state === 'delivered');
});

after(async () => {
  for (const t of [alice, bob, ...extra]) await t?.ue.close().catch(() => {});
  await lab?.stop();
});

const convOf = async (t: TestUe, user: string) => t.ue.conversationsOpen({ peer: lab.aor(user) });

test('safety numbers are equal on both sides; verify compares them and marks the peer verified', async () => {
  const ca = await convOf(alice, 'bob');
  const cb = await convOf(bob, 'alice');
  const a = await alice.ue.securitySafetyNumber({ conversationId: ca.id });
  const b = await bob.ue.securitySafetyNumber({ conversationId: cb.id });
  assert.match(a.digits, /^[0-9]{60}$/);
  assert.equal(a.digits, b.digits);
  assert.notEqual(a.qrPayload, b.qrPayload, 'QR payload names its owner first');
  const wrong = a.digits.slice(0, -1) + String((Number(a.digits.at(-1)) + 1) % 10);
  assert.deepEqual(await alice.ue.securityVerify({ conversationId: ca.id, digits: wrong }), { verified: false });
  assert.deepEqual(await alice.ue.securityVerify({ conversationId: ca.id, digits: '1234567890' }), { verified: false });
  assert.equal((await alice.ue.securityStatus({ conversationId: ca.id })).peer.state, 'unverified');
  assert.deepEqual(await alice.ue.securityVerify({ conversationId: ca.id, digits: b.digits }), { verified: true });
  const ev = await alice.log.waitFor('security.changed', (s) => s.conversationId === ca.id && s.peer.state === 'verified');
  assert.equal(ev.e2e.state, 'on');
  assert.equal(ev.peer.fingerprint, bob.ue.identity()?.fingerprint);
  const carolConv = await alice.ue.conversationsOpen({ peer: lab.aor('carol') });
  await assert.rejects(alice.ue.securitySafetyNumber({ conversationId: carolConv.id }), { code: 'SECURITY_PEER_KEY_UNKNOWN' });
});

test('a tampered envelope is shown as a failed message with its error code; a replay is rejected', async () => {
  const ca = await convOf(alice, 'bob');
  const from = alice.wire.length;
  const { messageId } = await alice.ue.messagesSend({ conversationId: ca.id, text: 'original' });
  await bob.log.waitFor('message.upserted', (m) => m.text === 'original');
  await alice.log.waitFor('message.upserted', (m) => m.id === messageId && m.state === 'delivered');
  const env = alice.wire.slice(from).find((w) => w.dir === 'out' && w.contentType === E2E_CONTENT_TYPE)!;
  const bytes = Buffer.from(env.body, 'base64');
  bytes[bytes.length - 80] ^= 0x01; // inside the payload ciphertext
  const s = alice.ue.account()!;
  assert.equal((await s.secure.sendRaw(lab.aor('bob'), E2E_CONTENT_TYPE, bytes.toString('base64'))).status, 'sent');
  const bad = await bob.log.waitFor('message.upserted', (m) => m.state === 'failed' && m.direction === 'in', 'tampered shown');
  assert.equal(bad.failure?.code, 'E2E_TAMPERED');
  assert.match(bad.text, /could not be opened/);
  assert.ok(!bad.text.includes('original'));
  // The untouched envelope sent again: the replay cache refuses it and nothing new is shown.
  const count = bob.log.of('message.upserted').length;
  await s.secure.sendRaw(lab.aor('bob'), E2E_CONTENT_TYPE, env.body);
  await bob.log.waitForLog(/rejected a replayed message/);
  assert.equal(bob.ue.stats()?.replaysRejected, 1);
  assert.equal(bob.log.of('message.upserted').length, count);
  const page = await bob.ue.messagesPage({ conversationId: bad.conversationId, limit: 50 });
  assert.equal(page.messages.filter((m) => m.text === 'original').length, 1);
});

test('barring: a blocked sender gets 603 (MESSAGE and session INVITE) and the message fails with the reason; unblock restores delivery', async () => {
  await bob.ue.contactsBlock({ aor: lab.aor('alice') });
  const cb = (await bob.ue.conversationsList({})).find((c) => c.peer === lab.aor('alice'));
  assert.equal(cb?.blocked, true);
  const ca = await convOf(alice, 'bob');
  const { messageId } = await alice.ue.messagesSend({ conversationId: ca.id, text: 'are you there?' });
  const failed = await alice.log.waitFor('message.upserted', (m) => m.id === messageId && m.state === 'failed');
  assert.deepEqual(failed.failure, { code: '603', reason: 'Decline' });
  const viaSession = await alice.ue.messagesSend({ conversationId: ca.id, text: 'in a session?', mode: 'session' });
  const declined = await alice.log.waitFor('message.upserted', (m) => m.id === viaSession.messageId && m.state === 'failed');
  assert.equal(declined.failure?.code, 'SESSION_DECLINED', "the barred caller's INVITE gets 603");
  await assert.rejects(bob.ue.messagesSend({ conversationId: cb!.id, text: 'x' }), { code: 'CONTACT_BLOCKED' });
  await bob.ue.contactsUnblock({ aor: lab.aor('alice') });
  const again = await alice.ue.messagesSend({ conversationId: ca.id, text: 'now?' });
  await alice.log.waitFor('message.upserted', (m) => m.id === again.messageId && m.state === 'delivered');
});

test('key change: recorded and announced, sending blocked (PEER_KEY_CHANGED) until accepted', async () => {
  await bob.ue.close();
  const bob2 = await makeUe(); // a new device/profile for bob: a new identity key
  extra.push(bob2);
  await signIn(bob2, lab, 'bob');
  const c2 = await convOf(bob2, 'alice');
  const ca = await convOf(alice, 'bob');
  await bob2.ue.messagesSend({ conversationId: c2.id, text: 'new phone, who dis' });
  const sec = await alice.log.waitFor('security.changed', (s) => s.conversationId === ca.id && s.sendBlocked, 'key change announced');
  assert.equal(sec.peer.state, 'changed');
  assert.equal(sec.peer.fingerprint, bob2.ue.identity()?.fingerprint, 'the status shows the new key');
  const note = await alice.log.waitFor(
    'message.upserted',
    (m) => m.conversationId === ca.id && /security key of sip:bob@parley.test changed/.test(m.text),
  );
  assert.equal(note.direction, 'in');
  const got = await alice.log.waitFor('message.upserted', (m) => m.text === 'new phone, who dis');
  assert.equal(got.e2e.signatureValid, false, 'signed by a key that is not the pinned one');
  await assert.rejects(alice.ue.messagesSend({ conversationId: ca.id, text: 'blocked?' }), { code: 'PEER_KEY_CHANGED' });
  const conv = (await alice.ue.conversationsList({})).find((c) => c.id === ca.id);
  assert.deepEqual([conv?.security.peer, conv?.security.sendBlocked], ['changed', true]);
  await alice.ue.securityAcceptKeyChange({ conversationId: ca.id });
  await alice.log.waitFor('security.changed', (s) => s.conversationId === ca.id && !s.sendBlocked && s.peer.state === 'unverified');
  const { messageId } = await alice.ue.messagesSend({ conversationId: ca.id, text: 'welcome back' });
  await bob2.log.waitFor('message.upserted', (m) => m.text === 'welcome back' && m.e2e.signatureValid === true);
  await alice.log.waitFor('message.upserted', (m) => m.id === messageId && m.state === 'delivered');
  await assert.rejects(alice.ue.securityAcceptKeyChange({ conversationId: ca.id }), { code: 'PEER_NO_CHANGE' });
});
