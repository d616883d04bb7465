// Interop: RFC 3428 MESSAGE between Parley and linphonec 5.1 (Debian linphone-cli) through the lab's Kamailio:
// linphonec answers a CPIM message that asks for notifications with an IMDN (RFC 5438) whose body is deflated
// (Content-Encoding: deflate, message/imdn+xml); its own chat text goes as plain text/plain.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startLab, type Lab } from '../../../network/lab';
import { startLinphone } from '../../../network/peers/linphone';
import type { Peer } from '../../../network/peers/common';
import { accountFor, nextEvent, UaPool } from '../../net/sip/testing';
import { PageMessagingService, type IncomingPageMessage } from './page-messaging';

let lab: Lab;
let linphone: Peer | undefined;
const pool = new UaPool();
let alice: PageMessagingService;
const seen: IncomingPageMessage[] = [];
const rejected: Array<{ code: number; reason: string }> = [];

before(async () => {
  lab = await startLab();
  const ua = pool.create(accountFor(lab, 'alice', 'tcp'));
  alice = new PageMessagingService(ua);
  alice.on('message', (m) => seen.push(m));
  alice.on('rejected', (r) => rejected.push(r));
  await ua.start();
  linphone = await startLinphone({ lab, user: 'bob', password: 'bob-secret' });
});

after(async () => {
  await linphone?.stop();
  await pool.stopAll();
  await lab?.stop();
});

test('linphonec -> Parley: its text arrives', async () => {
  const got = nextEvent<IncomingPageMessage>(alice, 'message', (m) => m.text === 'hello parley, linphone here');
  await linphone!.sendMessage(lab.aor('alice'), 'hello parley, linphone here');
  const m = await got;
  assert.equal(m.from, lab.aor('bob'));
  assert.match(m.contentType, /^text\/plain/);
  assert.deepEqual(rejected, []);
});

test("Parley -> linphonec: delivered; linphonec's deflated IMDN delivery notification is decoded, accepted (200) and exposed", async () => {
  const imdn = nextEvent<IncomingPageMessage>(alice, 'message', (m) => m.imdn !== undefined);
  const out = await alice.send(lab.aor('bob'), { text: 'hello linphone', cpim: true, notifications: ['positive-delivery'] });
  assert.equal(out.status, 'sent');
  await linphone!.waitForMessage((m) => m.text === 'hello linphone');
  const n = await imdn;
  assert.equal(n.imdn?.kind, 'delivery');
  assert.equal(n.imdn?.messageId, out.imdnMessageId);
  assert.deepEqual(rejected, [], 'nothing linphonec sent was refused');
});
