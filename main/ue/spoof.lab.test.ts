// Spoofed trust signals against the real lab (issue 12, hole 3): plaintext IMDN and is-composing from a SIP From (which
// any hop can forge) change nothing in an end-to-end conversation; the inner CPIM of a sealed message must say what the
// envelope authenticated (From = the sender, Message-ID and DateTime = the header's).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startLab, type Lab } from '../../network/lab';
import { buildChatCpim, serializeCpim } from '../protocol/formats/cpim';
import { buildImdnCpim, newImdnMessageId, type ImdnNotification } from '../protocol/formats/imdn';
import { ISCOMPOSING_CONTENT_TYPE, serializeIsComposing } from '../protocol/formats/is-composing';
import { makeUe, signIn, type TestUe } from './testkit';

let lab: Lab;
let alice: TestUe;
let bob: TestUe;

before(async () => {
  lab = await startLab();
  alice = await makeUe();
  bob = await makeUe();
  await Promise.all([signIn(alice, lab, 'alice'), signIn(bob, lab, 'bob')]);
  const c = await alice.ue.conversationsOpen({ peer: lab.aor('bob') });
  const { messageId } = await alice.ue.messagesSend({ conversationId: c.id, text: 'first contact' });
  await alice.log.waitFor('message.upserted', (m) => m.id === messageId && m.state === 'delivered');
});

after(async () => {
  for (const t of [alice, bob]) await t?.ue.close().catch(() => {});
  await lab?.stop();
});

/** What a network element can send as bob: a CPIM document in clear, with bob's SIP From. */
async function plainFromBob(cpim: ReturnType<typeof buildChatCpim>): Promise<void> {
  const out = await bob.ue.account()!.secure.sendPlain(lab.aor('alice'), serializeCpim(cpim));
  assert.equal(out.status, 'sent');
}

/** Polls `cond` on every event-loop turn, for at most `ms`. */
async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const imdnIdOf = (t: TestUe, id: string) => t.ue.account()!.store.getMessage(Number(id)).imdnMessageId!;

test('a plaintext IMDN "displayed" or "failed" for an end-to-end message changes nothing; the sealed one does', async () => {
  const c = await alice.ue.conversationsOpen({ peer: lab.aor('bob') });
  const { messageId } = await alice.ue.messagesSend({ conversationId: c.id, text: 'read me' });
  await alice.log.waitFor('message.upserted', (m) => m.id === messageId && m.state === 'delivered');
  const imdnId = imdnIdOf(alice, messageId);
  const dateTime = new Date().toISOString();
  const forged: ImdnNotification[] = [
    { messageId: imdnId, dateTime, kind: 'display', status: 'displayed' },
    { messageId: imdnId, dateTime, kind: 'delivery', status: 'failed' },
  ];
  for (const notification of forged) {
    const before = alice.ue.stats()!.plaintextIgnored;
    await plainFromBob(buildImdnCpim({ from: lab.aor('bob'), to: lab.aor('alice'), notification }));
    await alice.log.waitForLog(/ignored a plaintext IMDN from sip:bob@parley\.test/);
    await until(() => alice.ue.stats()!.plaintextIgnored > before, `${notification.status} ignored`);
  }
  assert.equal(alice.ue.account()!.store.getMessage(Number(messageId)).state, 'delivered');
  assert.ok(alice.ue.stats()!.plaintextIgnored >= 2);
  // bob reads it: his display IMDN is sealed and applies
  const cb = await bob.ue.conversationsOpen({ peer: lab.aor('alice') });
  await bob.log.waitFor('message.upserted', (m) => m.text === 'read me');
  await bob.ue.conversationsMarkRead({ conversationId: cb.id });
  await alice.log.waitFor('message.upserted', (m) => m.id === messageId && m.state === 'displayed', 'sealed IMDN applies');
});

test('a plaintext is-composing in an end-to-end conversation is ignored', async () => {
  const before = alice.log.of('typing.changed').length;
  await plainFromBob(
    buildChatCpim({
      from: lab.aor('bob'),
      to: [lab.aor('alice')],
      messageId: newImdnMessageId(),
      content: { contentType: ISCOMPOSING_CONTENT_TYPE, body: serializeIsComposing({ state: 'active' }) },
    }),
  );
  await alice.log.waitForLog(/ignored a plaintext is-composing from sip:bob@parley\.test/);
  assert.equal(alice.log.of('typing.changed').length, before);
});

test('a sealed message whose inner CPIM From or DateTime differs from the envelope is refused and shown as failed', async () => {
  const secure = bob.ue.account()!.secure;
  const dt = Date.now();
  const cases = [
    { from: lab.aor('carol'), at: dt, text: 'I am carol', code: 'E2E_SENDER_MISMATCH' },
    { from: lab.aor('bob'), at: dt - 40 * 24 * 3600_000, text: 'an old date inside', code: 'E2E_BAD_INNER' },
  ];
  for (const k of cases) {
    const id = newImdnMessageId();
    const cpim = buildChatCpim({
      from: k.from,
      to: [lab.aor('alice')],
      messageId: id,
      dateTime: new Date(k.at).toISOString(),
      text: k.text,
    });
    const out = await secure.sendSealed(lab.aor('alice'), id, dt, serializeCpim(cpim));
    assert.equal(out.status, 'sent');
    const got = await alice.log.waitFor('message.upserted', (m) => m.direction === 'in' && m.failure?.code === k.code, k.code);
    assert.equal(got.sender, lab.aor('bob'));
    assert.ok(!alice.log.of('message.upserted').some((m) => m.text === k.text), 'the tampered text is never shown');
  }
  // the genuine form still opens
  const id = newImdnMessageId();
  const cpim = buildChatCpim({
    from: lab.aor('bob'),
    to: [lab.aor('alice')],
    messageId: id,
    dateTime: new Date(dt).toISOString(),
    text: 'genuine',
  });
  await secure.sendSealed(lab.aor('alice'), id, dt, serializeCpim(cpim));
  const ok = await alice.log.waitFor('message.upserted', (m) => m.text === 'genuine');
  assert.equal(ok.e2e.state, 'on');
});
