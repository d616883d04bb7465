// sendOnce (what `parley send` can call): E2E by default from a profile, resume with the sealed password, queued on timeout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, type Lab } from '../../network/lab';
import { insecureTestParams } from '../security/key-wrapper';
import { KEY_REQUEST_CONTENT_TYPE } from '../security/key-request';
import { sendOnce } from './oneshot';
import { makeUe, signIn, type TestUe } from './testkit';

let lab: Lab;
let bob: TestUe;
let profile: string;
const wire: string[] = [];
const ueOpts = () => ({
  passphrase: 'pw',
  argon2: insecureTestParams(),
  env: {},
  sip: { keepAliveIntervalMs: 0 },
  wireTap: (d: string, m: { contentType: string; peer: string }) =>
    void wire.push(d === 'out' ? m.contentType : `in ${m.peer} ${m.contentType}`),
});

before(async () => {
  lab = await startLab();
  bob = await makeUe();
  await signIn(bob, lab, 'bob');
  profile = await mkdtemp(join(tmpdir(), 'parley-oneshot-'));
});

after(async () => {
  await bob?.ue.close();
  await lab?.stop();
});

test('first send from a new profile: key discovery, delivered end to end; the plaintext never reached bob in clear', async () => {
  const r = await sendOnce({
    profileDir: profile,
    peer: lab.aor('bob'),
    text: 'oneshot secret',
    until: 'delivered',
    timeoutMs: 15_000,
    ue: ueOpts(),
    account: { aor: lab.aor('alice'), password: 'alice-secret', proxy: lab.proxy.tls, caFile: lab.caFile },
  });
  assert.deepEqual([r.state, r.e2e, r.timedOut], ['delivered', 'on', false]);
  assert.ok(wire.includes(KEY_REQUEST_CONTENT_TYPE));
  const got = await bob.log.waitFor('message.upserted', (m) => m.text === 'oneshot secret' && m.e2e.state === 'on');
  assert.equal(r.imdnMessageId, bob.ue.account()!.store.getMessage(Number(got.id)).imdnMessageId, 'the CPIM Message-ID the peer saw');
  assert.ok(
    bob.wire.some((w) => w.dir === 'in'),
    'the tap saw the message come in',
  );
  assert.ok(!bob.wire.some((w) => w.body.includes('oneshot secret')));
});

test('second send resumes the saved account (sealed password) and the pinned key: no new key request', async () => {
  wire.length = 0;
  const r = await sendOnce({ profileDir: profile, peer: 'sip:bob@parley.test', text: 'again', timeoutMs: 15_000, ue: ueOpts() });
  assert.ok(['sent', 'delivered'].includes(r.state), r.state);
  assert.equal(r.e2e, 'on');
  assert.ok(!wire.includes(KEY_REQUEST_CONTENT_TYPE));
});

test('a peer whose key cannot be obtained in time: the message stays queued (nothing sent in clear)', async () => {
  wire.length = 0;
  const r = await sendOnce({ profileDir: profile, peer: lab.aor('carol'), text: 'to offline carol', timeoutMs: 1500, ue: ueOpts() });
  assert.deepEqual([r.state, r.timedOut], ['queued', true]);
  assert.deepEqual(
    wire.filter((w) => !w.startsWith('in ')),
    [KEY_REQUEST_CONTENT_TYPE],
    'only the key request went out',
  );
});
