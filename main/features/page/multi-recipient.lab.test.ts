// Multi-recipient page mode against the lab + list server: one sealed envelope for two online and one offline recipient
// (delivered on REGISTER), per-recipient IMDN outcomes, group PSI with configured members, PSI without members.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SipUserAgent } from '../../net/sip/ua';
import { accountFor } from '../../net/sip/testing';
import { PageMessagingService } from './page-messaging';
import { SecurePage, SECURE_ACCEPT_TYPES, type InboundItem } from './secure-page';
import { E2EContext } from '../../security/e2e';
import { KeyStore } from '../../security/keystore';
import { PassphraseWrapper, insecureTestParams } from '../../security/key-wrapper';
import { initCrypto } from '../../security/sodium';
import { IMDN_NS_URI, cpimHeader, serializeCpim } from '../../protocol/formats/cpim';
import { buildImdnReply, isImdnCpim, parseImdn } from '../../protocol/formats/imdn';
import { isParleyError } from '../../base/errors';
import { DeliveryTracker, sendToGroup, sendToList } from './multi-recipient';
import { securityBundle } from '../../security/bundle';
import { startConfLab, waitEvent, type ConfLab } from '../conference/testing';

interface Peer {
  user: string;
  aor: string;
  ua: SipUserAgent;
  page: PageMessagingService;
  sp: SecurePage;
  e2e: E2EContext;
  items: InboundItem[];
}

describe('multi-recipient page mode through the list server and a group PSI', () => {
  let env: ConfLab;
  let dir: string;
  const peers: Record<string, Peer> = {};
  const users = ['alice', 'bob', 'carol', 'dave'];

  const online = async (user: string, beforeRegister: (p: Peer) => void = () => {}): Promise<Peer> => {
    const p = peers[user];
    p.ua = new SipUserAgent(accountFor(env.lab, user, 'tcp'));
    p.ua.on('error', () => {});
    p.page = new PageMessagingService(p.ua, { policy: { accept: SECURE_ACCEPT_TYPES } });
    p.sp = new SecurePage(p.page, p.e2e, p.aor, Date.now);
    p.sp.on('item', (it) => {
      p.items.push(it);
      // what the UE does: a sealed positive delivery notification back to the sender
      if (it.cpim && !isImdnCpim(it.cpim) && it.e2e !== 'off') {
        const reply = buildImdnReply(it.cpim, { from: p.aor, kind: 'delivery', status: 'delivered' });
        void p.sp.sendSealed(it.from, cpimHeader(reply, IMDN_NS_URI, 'Message-ID')!, Date.now(), serializeCpim(reply));
      }
    });
    beforeRegister(p);
    await p.ua.start();
    return p;
  };

  before(async () => {
    await initCrypto();
    dir = await mkdtemp(join(tmpdir(), 'parley-multi-'));
    env = await startConfLab({ users, groups: { team: { members: users.slice(0, 3).map((u) => `sip:${u}@parley.test`) } } });
    for (const u of users) {
      const e2e = new E2EContext(
        await KeyStore.create(join(dir, `${u}.ks`), new PassphraseWrapper('pw', insecureTestParams()), { aor: env.lab.aor(u) }),
      );
      peers[u] = { user: u, aor: env.lab.aor(u), e2e, items: [] } as unknown as Peer;
    }
    // keys already discovered (SecurePage key discovery is tested with the UE): everyone pins everyone
    for (const a of users)
      for (const b of users)
        if (a !== b) await peers[a].e2e.peers.observe(peers[b].aor, peers[b].e2e.store.identity().publicKey, 'key-response');
    for (const u of ['alice', 'bob', 'carol']) await online(u);
  });
  after(async () => {
    for (const p of Object.values(peers)) await p.ua?.stop().catch(() => {});
    await env?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('one envelope for bob, carol (online) and dave (offline): 202 from the list server, IMDNs per recipient, dave gets it on REGISTER', async () => {
    const alice = peers.alice;
    const got = [waitEvent<InboundItem>(peers.bob.sp, 'item'), waitEvent<InboundItem>(peers.carol.sp, 'item')];
    const r = await sendToList({
      ua: alice.ua,
      recipients: [peers.bob.aor, peers.carol.aor, peers.dave.aor],
      content: { text: 'to the three of you' },
      security: securityBundle(alice.e2e),
    });
    assert.equal(r.status, 'accepted');
    assert.equal(r.code, 202);
    assert.equal(r.e2e, 'on');
    const tracker = new DeliveryTracker(r.imdnMessageId, r.recipients);
    alice.sp.on('item', (it) => {
      if (it.cpim && isImdnCpim(it.cpim)) tracker.onImdn(it.from, parseImdn(it.cpim.body));
    });
    for (const it of await Promise.all(got)) {
      assert.equal(it.from, alice.aor);
      assert.equal(it.e2e, 'on');
      assert.equal(Buffer.from(it.body).toString(), 'to the three of you');
      assert.deepEqual(it.cpim?.to.map((t) => t.uri).sort(), [peers.bob.aor, peers.carol.aor, peers.dave.aor]);
    }
    const twoDelivered = new Promise<void>((resolve) =>
      tracker.on('outcome', () => {
        if (tracker.outcomes.filter((o) => o.state === 'delivered').length === 2) resolve();
      }),
    );
    await twoDelivered;
    const early = tracker.outcomes;
    assert.deepEqual(early.map((o) => `${o.recipient.slice(4, 8)}:${o.state}`).sort(), [
      'bob@:delivered',
      'caro:delivered',
      'dave:accepted',
    ]);

    // dave registers: msilo hands him the stored copy; his notification completes the picture
    let daveItem!: Promise<InboundItem>;
    const done = new Promise((resolve) => tracker.once('complete', resolve));
    await online('dave', (p) => {
      daveItem = waitEvent<InboundItem>(p.sp, 'item');
    });
    const it = await daveItem;
    assert.equal(Buffer.from(it.body).toString(), 'to the three of you');
    assert.equal(it.e2e, 'on');
    await done;
    assert.ok(tracker.outcomes.every((o) => o.state === 'delivered'));
  });

  it('group PSI: sealed for the configured members, exploded by the server to everyone but the sender', async () => {
    const got = [waitEvent<InboundItem>(peers.bob.sp, 'item'), waitEvent<InboundItem>(peers.carol.sp, 'item')];
    const r = await sendToGroup({
      ua: peers.alice.ua,
      group: 'sip:group-team@parley.test',
      members: [peers.alice.aor, peers.bob.aor, peers.carol.aor],
      content: { text: 'team update' },
      security: securityBundle(peers.alice.e2e),
    });
    assert.equal(r.status, 'accepted');
    assert.equal(r.e2e, 'on');
    assert.deepEqual(r.recipients, [peers.bob.aor, peers.carol.aor]);
    for (const it of await Promise.all(got)) {
      assert.equal(it.e2e, 'on');
      assert.equal(Buffer.from(it.body).toString(), 'team update');
    }
  });

  it('group PSI without a known member list: refused for E2E, or sent in clear with a warning when allowed', async () => {
    const base = {
      ua: peers.alice.ua,
      group: 'sip:group-team@parley.test',
      content: { text: 'clear for the team' },
      security: securityBundle(peers.alice.e2e),
    };
    await assert.rejects(sendToGroup(base), (e) => isParleyError(e, 'MULTI_GROUP_MEMBERS_UNKNOWN'));
    const got = waitEvent<InboundItem>(peers.bob.sp, 'item');
    const r = await sendToGroup({ ...base, allowPlaintext: true });
    assert.equal(r.e2e, 'off');
    assert.match(r.warning ?? '', /WITHOUT end-to-end encryption/);
    const it = await got;
    assert.equal(it.e2e, 'off');
    assert.equal(Buffer.from(it.body).toString(), 'clear for the team');
  });

  it('a recipient without a key is reported before anything is sent', async () => {
    await assert.rejects(
      sendToList({
        ua: peers.alice.ua,
        recipients: [peers.bob.aor, 'sip:nobody@parley.test'],
        content: { text: 'x' },
        security: securityBundle(peers.alice.e2e),
      }),
      (e) => isParleyError(e, 'E2E_NO_RECIPIENT_KEY') && JSON.stringify(e.details?.missing) === '["sip:nobody@parley.test"]',
    );
  });
});
