// Pre-shared passphrases (security.setPsk) against the real lab: the first message to a peer whose key is unknown goes out
// encrypted without any key exchange, arrives marked 'psk', and a wrong passphrase is refused, never shown in clear.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startLab, type Lab } from '../../network/lab';
import { KEY_REQUEST_CONTENT_TYPE } from '../security/key-request';
import { makeUe, signIn, type TestUe } from './testkit';

let lab: Lab;
const ues: TestUe[] = [];

before(async () => {
  lab = await startLab();
  await lab.addAccount('dave', 'dave-secret');
});

after(async () => {
  for (const t of ues) await t.ue.close().catch(() => {});
  await lab?.stop();
});

async function user(name: string): Promise<TestUe> {
  const t = await makeUe();
  ues.push(t);
  await signIn(t, lab, name);
  return t;
}

test('same passphrase on both sides: first contact is encrypted with the PSK, no key request, shown as psk', async () => {
  const [alice, carol] = await Promise.all([user('alice'), user('carol')]);
  const ca = await alice.ue.conversationsOpen({ peer: lab.aor('carol') });
  const cc = await carol.ue.conversationsOpen({ peer: lab.aor('alice') });
  const view = await alice.ue.securitySetPsk({ conversationId: ca.id, passphrase: 'correct horse battery staple' });
  assert.equal(view.e2e.state, 'psk');
  await carol.ue.securitySetPsk({ conversationId: cc.id, passphrase: 'correct horse battery staple' });

  const { messageId } = await alice.ue.messagesSend({ conversationId: ca.id, text: 'psk marker 7f3a' });
  const got = await carol.log.waitFor('message.upserted', (m) => m.direction === 'in' && m.text === 'psk marker 7f3a');
  assert.equal(got.e2e.state, 'psk');
  await alice.log.waitFor('message.upserted', (m) => m.id === messageId && m.state === 'delivered');
  const out = alice.wire.filter((w) => w.dir === 'out');
  assert.ok(!out.some((w) => w.contentType === KEY_REQUEST_CONTENT_TYPE), 'no key request was needed');
  assert.ok(out.length > 0, 'the tap saw the message go out');
  assert.ok(!out.some((w) => w.body.includes('psk marker 7f3a')), 'never in clear on the wire');
  // Removing the passphrase goes back to identity keys only.
  assert.equal((await alice.ue.securitySetPsk({ conversationId: ca.id, passphrase: null })).e2e.state, 'on');
});

test('different passphrases: the recipient refuses the message with a clear error and never shows its text', async () => {
  const [alice, dave] = await Promise.all([user('alice'), user('dave')]);
  const ca = await alice.ue.conversationsOpen({ peer: lab.aor('dave') });
  const cd = await dave.ue.conversationsOpen({ peer: lab.aor('alice') });
  await alice.ue.securitySetPsk({ conversationId: ca.id, passphrase: 'one passphrase here' });
  await dave.ue.securitySetPsk({ conversationId: cd.id, passphrase: 'another passphrase' });
  await alice.ue.messagesSend({ conversationId: ca.id, text: 'secret for dave' });
  const bad = await dave.log.waitFor('message.upserted', (m) => m.direction === 'in' && m.state === 'failed');
  assert.match(bad.failure?.code ?? '', /^E2E_/);
  assert.ok(!bad.text.includes('secret for dave'));
});

test('a passphrase shorter than 8 characters is refused by the contract', async () => {
  const { invokeChannels } = await import('../../app/ipc/contract');
  const { parse } = await import('../../app/ipc/schema');
  const req = invokeChannels['security.setPsk'].request;
  assert.doesNotThrow(() => parse(req, { conversationId: 'c1', passphrase: 'long enough' }));
  assert.doesNotThrow(() => parse(req, { conversationId: 'c1', passphrase: null }));
  assert.throws(() => parse(req, { conversationId: 'c1', passphrase: 'short' }), /at least 8|min|short|length/i);
});
