// Interop: RFC 3428 MESSAGE between Parley and baresip 1.0.0 (Debian baresip-core) through the lab's Kamailio.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startLab, type Lab } from '../../../network/lab';
import { startBaresip } from '../../../network/peers/baresip';
import type { Peer } from '../../../network/peers/common';
import { accountFor, nextEvent, UaPool } from '../../net/sip/testing';
import { PageMessagingService, type IncomingPageMessage } from './page-messaging';

let lab: Lab;
let baresip: Peer | undefined;
const pool = new UaPool();
let alice: PageMessagingService;

before(async () => {
  lab = await startLab();
  baresip = await startBaresip({ lab, user: 'carol', password: 'carol-secret' });
  const ua = pool.create(accountFor(lab, 'alice', 'tls'));
  alice = new PageMessagingService(ua);
  await ua.start();
});

after(async () => {
  await pool.stopAll();
  await baresip?.stop();
  await lab?.stop();
});

test('a MESSAGE from Parley (TLS) is received by baresip (TCP)', async () => {
  const out = await alice.send(lab.aor('carol'), { text: 'hello baresip, from Parley' });
  assert.deepEqual([out.status, out.code], ['sent', 200]);
  const got = await baresip!.waitForMessage((m) => m.text === 'hello baresip, from Parley');
  assert.equal(got.from, lab.aor('alice'));
});

test('a MESSAGE from baresip is received by Parley', async () => {
  const got = nextEvent<IncomingPageMessage>(alice, 'message', (m) => m.text === 'hello Parley, from baresip');
  await baresip!.sendMessage(lab.aor('alice'), 'hello Parley, from baresip');
  const m = await got;
  assert.equal(m.from, lab.aor('carol'));
  assert.match(m.contentType, /^text\/plain/);
  assert.equal(m.transport?.transport, 'TLS');
});
