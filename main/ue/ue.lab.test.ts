// UE facade against the real lab: key discovery, E2E page mode, IMDN, typing, deferred delivery, paging, policies.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startLab, type Lab } from '../../network/lab';
import { E2E_CONTENT_TYPE } from '../security/envelope';
import { KEY_REQUEST_CONTENT_TYPE, KEY_RESPONSE_CONTENT_TYPE } from '../security/key-request';
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
});

after(async () => {
  for (const t of [alice, bob, ...extra]) await t?.ue.close().catch(() => {});
  await lab?.stop();
});

async function conv(t: TestUe, user: string) {
  return t.ue.conversationsOpen({ peer: lab.aor(user) });
}

test('account view, connection over verified TLS, account file without password', async () => {
  const acc = await alice.ue.accountGet({});
  assert.equal(acc?.aor, 'sip:alice@parley.test');
  assert.equal(acc?.localLab, false);
  const c = await alice.ue.connectionGet({});
  assert.equal(c.state, 'registered');
  assert.equal(c.transport, 'tls');
  assert.equal(c.tls?.verified, true);
  assert.match(c.tls?.version ?? '', /^TLSv1\.[23]$/);
  const { readFile } = await import('node:fs/promises');
  const file = await readFile(`${alice.profileDir}/account.json`, 'utf8');
  assert.ok(!file.includes('alice-secret'), 'the password is not in account.json');
  assert.equal(alice.ue.keyProtection(), 'passphrase');
});

test('first message with unknown keys: key request/response, then delivered encrypted (plaintext never on the wire)', async () => {
  const marker = `MARKER-${Math.random().toString(36).slice(2)}`;
  const c = await conv(alice, 'bob');
  assert.equal(c.security.peer, 'unknown');
  const { messageId } = await alice.ue.messagesSend({ conversationId: c.id, text: `hello ${marker}` });
  const got = await bob.log.waitFor('message.upserted', (m) => m.text === `hello ${marker}`, 'bob receives');
  assert.equal(got.direction, 'in');
  assert.equal(got.state, 'received');
  assert.equal(got.e2e.state, 'on');
  assert.equal(got.sender, 'sip:alice@parley.test');
  await alice.log.waitFor('message.upserted', (m) => m.id === messageId && m.state === 'delivered', 'IMDN delivered');
  const states = alice.log
    .of('message.upserted')
    .filter((m) => m.id === messageId)
    .map((m) => m.state);
  assert.deepEqual(states, ['queued', 'sending', 'sent', 'delivered']);
  // What went over SIP: key request and response in clear (public keys), then envelopes only.
  const aliceOut = alice.wire.filter((w) => w.dir === 'out');
  assert.equal(aliceOut[0]?.contentType, KEY_REQUEST_CONTENT_TYPE);
  assert.ok(bob.wire.some((w) => w.dir === 'out' && w.contentType === KEY_RESPONSE_CONTENT_TYPE));
  assert.ok(aliceOut.some((w) => w.contentType === E2E_CONTENT_TYPE));
  for (const w of [...alice.wire, ...bob.wire]) {
    assert.ok(!w.body.includes(marker), `plaintext marker on the wire (${w.dir} ${w.contentType})`);
    assert.ok(w.contentType !== 'message/cpim' && !w.contentType.startsWith('text/'), `unprotected ${w.contentType} on the wire`);
  }
  // Both sides pinned each other (TOFU) and show E2E on.
  const sec = await alice.ue.securityStatus({ conversationId: c.id });
  assert.deepEqual(
    [sec.e2e.state, sec.peer.state, sec.sendBlocked, sec.hop.tls, sec.hop.verified],
    ['on', 'unverified', false, true, true],
  );
  const list = await bob.ue.conversationsList({});
  const bc = list.find((x) => x.peer === 'sip:alice@parley.test');
  assert.equal(bc?.unread, 1);
  assert.equal(bc?.security.peer, 'unverified');
});

test('markRead sends IMDN display: the sender sees displayed', async () => {
  const c = await conv(alice, 'bob');
  const { messageId } = await alice.ue.messagesSend({ conversationId: c.id, text: 'please read me' });
  const got = await bob.log.waitFor('message.upserted', (m) => m.text === 'please read me');
  await alice.log.waitFor('message.upserted', (m) => m.id === messageId && m.state === 'delivered');
  await bob.ue.conversationsMarkRead({ conversationId: got.conversationId });
  await bob.log.waitFor('message.upserted', (m) => m.id === got.id && m.state === 'displayed', 'own copy displayed');
  await alice.log.waitFor('message.upserted', (m) => m.id === messageId && m.state === 'displayed', 'IMDN displayed');
  const bc = (await bob.ue.conversationsList({})).find((x) => x.id === got.conversationId);
  assert.equal(bc?.unread, 0);
});

test('typing: active and idle indications arrive (sealed); the receiver expires a silent peer on its clock', async () => {
  const c = await conv(alice, 'bob');
  const before = bob.wire.length;
  await alice.ue.typingSet({ conversationId: c.id, active: true });
  const on = await bob.log.waitFor('typing.changed', (t) => t.active && t.peer === 'sip:alice@parley.test');
  await alice.ue.typingSet({ conversationId: c.id, active: false });
  await bob.log.waitFor('typing.changed', (t) => !t.active && t.at >= on.at);
  assert.ok(
    bob.wire.slice(before).every((w) => w.contentType === E2E_CONTENT_TYPE),
    'typing sealed',
  );
  // Active again, then silence: refresh is 90 s, so after 91 s on bob's clock the indicator goes idle.
  const n = bob.log.of('typing.changed').length;
  await alice.ue.typingSet({ conversationId: c.id, active: true });
  await bob.log.waitFor('typing.changed', (t) => t.active && bob.log.of('typing.changed').indexOf(t) >= n);
  const m = bob.log.of('typing.changed').length;
  bob.clock.advance(91_000);
  const off = bob.log.of('typing.changed').slice(m);
  assert.equal(off.length, 1);
  assert.equal(off[0]!.active, false);
  bob.clock.offset = 0;
});

test('paging with cursors (ascending pages, older via nextCursor) and search', async () => {
  const c = await conv(alice, 'bob');
  const ids: string[] = [];
  for (const t of ['page one zebra', 'page two', 'page three'])
    ids.push((await alice.ue.messagesSend({ conversationId: c.id, text: t })).messageId);
  await alice.log.waitFor('message.upserted', (m) => m.id === ids[2] && m.state === 'delivered');
  const p1 = await alice.ue.messagesPage({ conversationId: c.id, limit: 2 });
  assert.deepEqual(
    p1.messages.map((m) => m.text),
    ['page two', 'page three'],
  );
  assert.ok(p1.nextCursor);
  const p2 = await alice.ue.messagesPage({ conversationId: c.id, limit: 2, before: p1.nextCursor });
  assert.deepEqual(p2.messages.map((m) => m.text).slice(-1), ['page one zebra']);
  await assert.rejects(alice.ue.messagesPage({ conversationId: c.id, limit: 2, before: 'bogus' }), { code: 'UE_BAD_CURSOR' });
  const hits = await alice.ue.search({ query: 'zebra' });
  assert.equal(hits.length, 1);
  assert.equal(hits[0]!.messageId, ids[0]);
  await assert.rejects(alice.ue.messagesSend({ conversationId: '99999', text: 'x' }), { code: 'CONVERSATION_NOT_FOUND' });
});

test('session mode: MSRP session opened on demand (E2E key-mgmt), IMDN over the session, auto keeps using it, typing', async () => {
  const c = await conv(alice, 'bob');
  const { messageId } = await alice.ue.messagesSend({ conversationId: c.id, text: 'over msrp', mode: 'session' });
  const got = await bob.log.waitFor('message.upserted', (m) => m.text === 'over msrp', 'bob receives over MSRP');
  assert.deepEqual([got.mode, got.e2e.state, got.e2e.signatureValid, got.state], ['session', 'on', true, 'received']);
  const sent = await alice.log.waitFor('message.upserted', (m) => m.id === messageId && m.state === 'delivered', 'IMDN over the session');
  assert.equal(sent.mode, 'session');
  // 'auto' (the default) keeps using the open session; a reply from bob goes over it too.
  const auto = await alice.ue.messagesSend({ conversationId: c.id, text: 'auto picks the session' });
  const a2 = await alice.log.waitFor('message.upserted', (m) => m.id === auto.messageId && m.state === 'delivered');
  assert.equal(a2.mode, 'session');
  const back = await bob.ue.messagesSend({ conversationId: got.conversationId, text: 'reply in session' });
  const b2 = await bob.log.waitFor('message.upserted', (m) => m.id === back.messageId && m.state === 'delivered');
  assert.equal(b2.mode, 'session');
  assert.equal((await alice.log.waitFor('message.upserted', (m) => m.text === 'reply in session')).mode, 'session');
  const n = alice.log.of('typing.changed').length;
  await bob.ue.typingSet({ conversationId: got.conversationId, active: true });
  await alice.log.waitFor('typing.changed', (t) => t.active && alice.log.of('typing.changed').indexOf(t) >= n, 'typing over MSRP');
  // (a tap that saw nothing proves nothing: the first test of this file already asserts it records page mode)
  assert.ok(alice.wire.length > 0 && bob.wire.length > 0, 'the taps are live');
  assert.ok(!alice.wire.concat(bob.wire).some((w) => w.body.includes('over msrp')), 'nothing of it in page mode');
});

test('without the session layer, mode session is refused with SESSION_UNAVAILABLE; explicit page mode still works', async () => {
  await lab.addAccount('dave', 'dave-secret');
  const dave = await makeUe(undefined, { sessions: false });
  extra.push(dave);
  await signIn(dave, lab, 'dave');
  const c = await conv(dave, 'bob');
  await assert.rejects(dave.ue.messagesSend({ conversationId: c.id, text: 'x', mode: 'session' }), { code: 'SESSION_UNAVAILABLE' });
  const { messageId } = await dave.ue.messagesSend({ conversationId: c.id, text: 'page is fine', mode: 'page' });
  await dave.log.waitFor('message.upserted', (m) => m.id === messageId && m.state === 'delivered');
  await dave.ue.close();
});

test('deferred delivery: bob offline -> stored (202); bob signs in again from his profile and gets it; IMDN -> delivered', async () => {
  const bobDir = bob.profileDir;
  await bob.ue.close();
  const c = await conv(alice, 'bob');
  const { messageId } = await alice.ue.messagesSend({ conversationId: c.id, text: 'while you were away' });
  await alice.log.waitFor('message.upserted', (m) => m.id === messageId && m.state === 'stored', 'stored by msilo');
  bob = await makeUe(bobDir);
  await bob.ue.ready;
  assert.equal((await bob.ue.accountGet({}))?.aor, 'sip:bob@parley.test');
  const got = await bob.log.waitFor('message.upserted', (m) => m.text === 'while you were away', 'stored message delivered');
  assert.equal(got.e2e.state, 'on');
  assert.ok(
    bob.wire.some((w) => w.dir === 'in' && w.contentType === E2E_CONTENT_TYPE),
    'the tap saw the stored envelope',
  );
  assert.ok(!bob.wire.some((w) => w.body.includes('while you were away')));
  await alice.log.waitFor('message.upserted', (m) => m.id === messageId && m.state === 'delivered', 'delivered via IMDN');
  // History survived the restart (encrypted store reopened with the key store's data key).
  const page = await bob.ue.messagesPage({ conversationId: got.conversationId, limit: 50 });
  assert.ok(page.messages.some((m) => m.text === 'please read me'));
});

test("plaintext policy: messages go out unprotected and show e2e 'off' on both sides", async () => {
  const carol = await makeUe(undefined, { e2ePolicy: 'off' });
  extra.push(carol);
  await signIn(carol, lab, 'carol');
  const c = await conv(carol, 'bob');
  assert.equal(c.security.e2e, 'off');
  const { messageId } = await carol.ue.messagesSend({ conversationId: c.id, text: 'in the clear' });
  const got = await bob.log.waitFor('message.upserted', (m) => m.text === 'in the clear', 'bob receives in clear');
  assert.equal(got.e2e.state, 'off');
  const sent = await carol.log.waitFor('message.upserted', (m) => m.id === messageId && m.state === 'delivered', 'carol delivered');
  assert.equal(sent.e2e.state, 'off');
  assert.equal((await carol.ue.securityStatus({ conversationId: c.id })).e2e.state, 'off');
  assert.ok(carol.wire.some((w) => w.dir === 'out' && w.contentType === 'message/cpim' && w.body.includes('in the clear')));
});

test('wrong password: SIP_AUTH_FAILED and a connection error with the reason; local lab account; sign-out', async () => {
  const erin = await makeUe(undefined, {
    labFactory: async () => ({ domain: lab.domain, caFile: lab.caFile, proxy: lab.proxy, accounts: lab.accounts }),
  });
  extra.push(erin);
  await assert.rejects(erin.ue.accountConfigure({ aor: lab.aor('carol'), password: 'wrong', proxy: lab.proxy.tls, caFile: lab.caFile }), {
    code: 'SIP_AUTH_FAILED',
  });
  const err = await erin.log.waitFor('connection.changed', (c) => c.state === 'error');
  assert.match(err.reason ?? '', /40[13]/);
  assert.equal(await erin.ue.accountGet({}), null);
  const acc = await erin.ue.accountUseLocalLab({ user: 'carol' });
  assert.deepEqual([acc.aor, acc.localLab, acc.caFile], ['sip:carol@parley.test', true, lab.caFile]);
  await erin.log.waitFor('account.changed', (a) => a?.aor === 'sip:carol@parley.test');
  assert.equal((await erin.ue.connectionGet({})).state, 'registered');
  await assert.rejects(erin.ue.accountUseLocalLab({ user: 'zed' }), { code: 'LAB_NO_ACCOUNT' });
  await erin.ue.accountSignOut({});
  await erin.log.waitFor('account.changed', (a) => a === null);
  assert.deepEqual(await erin.ue.connectionGet({}), { state: 'unconfigured', transport: 'none' });
  assert.deepEqual(await erin.ue.conversationsList({}), []);
  await assert.rejects(erin.ue.conversationsOpen({ peer: lab.aor('bob') }), { code: 'ACCOUNT_NOT_CONFIGURED' });
  const again = await makeUe(erin.profileDir);
  extra.push(again);
  await again.ue.ready;
  assert.equal(await again.ue.accountGet({}), null, 'signed out stays signed out');
});

test("'prefer' policy: first message in clear (flagged) while the key is fetched, later ones sealed", async () => {
  await lab.addAccount('frank', 'frank-secret');
  const frank = await makeUe(undefined, { e2ePolicy: 'prefer' });
  extra.push(frank);
  await signIn(frank, lab, 'frank');
  const c = await conv(frank, 'bob');
  assert.equal(c.security.e2e, 'off', 'no key yet');
  const first = await frank.ue.messagesSend({ conversationId: c.id, text: 'prefer one' });
  const m1 = await frank.log.waitFor('message.upserted', (m) => m.id === first.messageId && m.state === 'delivered');
  assert.equal(m1.e2e.state, 'off');
  await frank.log.waitFor('security.changed', (s) => s.conversationId === c.id && s.e2e.state === 'on', 'key pinned');
  const second = await frank.ue.messagesSend({ conversationId: c.id, text: 'prefer two' });
  const m2 = await frank.log.waitFor('message.upserted', (m) => m.id === second.messageId && m.state === 'delivered');
  assert.equal(m2.e2e.state, 'on');
  assert.equal((await bob.log.waitFor('message.upserted', (m) => m.text === 'prefer two')).e2e.state, 'on');
  assert.ok(
    frank.wire.some((w) => w.dir === 'out' && w.contentType === E2E_CONTENT_TYPE),
    'the tap saw the envelope',
  );
  assert.ok(!frank.wire.some((w) => w.body.includes('prefer two')));
});
