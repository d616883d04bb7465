// Issue 12, hole 1, end to end on the lab: an authenticated lab user floods sealed MESSAGEs dated 10 minutes ahead; a
// pinned contact's message is still delivered. Same mechanism as the 20,001-message reproduction (SIP MESSAGE -> page
// service -> SecurePage -> E2EContext.open -> persistent replay cache), with the cache limits scaled down so the flood is
// a few hundred messages instead of 20,001.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, type Lab } from '../../../network/lab';
import { accountFor, nextEvent, UaPool } from '../../net/sip/testing';
import { E2EContext } from '../../security/e2e';
import { KeyStore } from '../../security/keystore';
import { PassphraseWrapper, insecureTestParams } from '../../security/key-wrapper';
import { FUTURE_SKEW_MS, type ReplayOptions } from '../../security/replay';
import { buildChatCpim, serializeCpim } from '../../protocol/formats/cpim';
import { PageMessagingService } from './page-messaging';
import { SecurePage, SECURE_ACCEPT_TYPES, type InboundFailure, type InboundItem } from './secure-page';

const LIMITS: ReplayOptions = { capacity: 60, perSender: 20, futurePerSender: 5 };
const FLOOD = 3 * 60 + 1; // three times the whole cache, all from one sender
/** Bound for bob to open the flood (~1 ms per envelope idle; the shared 2-core machine is often 10x slower). */
const PROCESS_MS = 60_000;

let lab: Lab;
let dir: string;
const pool = new UaPool();
const stores: KeyStore[] = [];

interface Party {
  aor: string;
  e2e: E2EContext;
  page: PageMessagingService;
  secure: SecurePage;
}

async function party(user: string, replay?: ReplayOptions): Promise<Party> {
  const aor = lab.aor(user);
  const ks = await KeyStore.create(join(dir, `${user}.ks`), new PassphraseWrapper('pw', insecureTestParams()), { aor });
  stores.push(ks);
  const e2e = new E2EContext(ks, { replay });
  const ua = pool.create(accountFor(lab, user, 'tls'));
  const page = new PageMessagingService(ua, { policy: { accept: SECURE_ACCEPT_TYPES } });
  const secure = new SecurePage(page, e2e, aor, Date.now);
  await ua.start();
  return { aor, e2e, page, secure };
}

let bob: Party;
let alice: Party;
let carol: Party;

before(async () => {
  lab = await startLab();
  dir = await mkdtemp(join(tmpdir(), 'parley-flood-'));
  [bob, alice, carol] = await Promise.all([party('bob', LIMITS), party('alice'), party('carol')]);
  // Both senders know bob's key; bob pins alice on her first message below.
  for (const p of [alice, carol]) await p.e2e.peers.observe(bob.aor, bob.e2e.store.identity().publicKey, 'key-response');
});

after(async () => {
  await pool.stopAll();
  for (const ks of stores) await ks.close().catch(() => {});
  await lab?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function sealed(from: Party, id: string, dateTime: number, text: string): Uint8Array {
  const cpim = buildChatCpim({ from: from.aor, to: [bob.aor], messageId: id, dateTime: new Date(dateTime).toISOString(), text });
  return serializeCpim(cpim);
}

const itemFrom = (aor: string, text: string) =>
  nextEvent<InboundItem>(bob.secure, 'item', (i) => i.from === aor && Buffer.from(i.body).toString() === text, 20_000);

test('a lab user floods sealed MESSAGEs dated 10 minutes ahead; a pinned contact is still delivered', async () => {
  const first = itemFrom(alice.aor, 'before the flood');
  const id0 = 'alice-before-flood';
  const now0 = Date.now();
  assert.equal((await alice.secure.sendSealed(bob.aor, id0, now0, sealed(alice, id0, now0, 'before the flood'))).status, 'sent');
  assert.equal((await first).senderKeyStatus, 'new');
  assert.ok(bob.e2e.peers.pinnedKey(alice.aor), 'alice is pinned');

  const failures: InboundFailure[] = [];
  const accepted: InboundItem[] = [];
  const onFailure = (f: InboundFailure) => void (f.from === carol.aor && failures.push(f));
  const onItem = (i: InboundItem) => void (i.from === carol.aor && accepted.push(i));
  bob.secure.on('failure', onFailure);
  bob.secure.on('item', onItem);
  const ahead = Date.now() + FUTURE_SKEW_MS - 5_000;
  for (let i = 0; i < FLOOD; i += 20) {
    const batch = Array.from({ length: Math.min(20, FLOOD - i) }, (_, k) => `carol-flood-${i + k}`);
    const outs = await Promise.all(batch.map((id) => carol.secure.sendSealed(bob.aor, id, ahead, sealed(carol, id, ahead, id))));
    assert.ok(
      outs.every((o) => o.status === 'sent'),
      `SIP outcome ${JSON.stringify(outs.find((o) => o.status !== 'sent'))}`,
    );
  }
  const deadline = Date.now() + PROCESS_MS;
  while (failures.length + accepted.length < FLOOD) {
    assert.ok(
      Date.now() < deadline,
      `bob processed ${failures.length + accepted.length} of ${FLOOD} flood messages within ${PROCESS_MS / 1000} s`,
    );
    await new Promise((r) => setTimeout(r, 50));
  }
  bob.secure.off('failure', onFailure);
  bob.secure.off('item', onItem);

  const refused = nextEvent<InboundFailure>(bob.secure, 'failure', (f) => f.from === alice.aor, 20_000);
  refused.catch(() => {});
  const after = itemFrom(alice.aor, 'after the flood');
  const id1 = 'alice-after-flood';
  const now1 = Date.now();
  assert.equal((await alice.secure.sendSealed(bob.aor, id1, now1, sealed(alice, id1, now1, 'after the flood'))).status, 'sent');
  const got = await Promise.race([after, refused.then((f) => assert.fail(`alice's message refused: ${f.code} ${f.reason}`))]);
  assert.equal(got.senderKeyStatus, 'pinned');
  assert.equal(got.e2e, 'on');

  assert.equal(accepted.length, LIMITS.futurePerSender, 'the flooder keeps only its own small future-dated budget');
  assert.ok(
    failures.every((f) => f.code === 'E2E_RATE_LIMITED'),
    JSON.stringify([...new Set(failures.map((f) => f.code))]),
  );
});
