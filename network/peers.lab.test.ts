// Interop with real third-party SIP peers (baresip, linphonec) through the lab: MESSAGE both ways (RFC 3428).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startLab, type Lab } from './lab';
import { RawSipClient, header } from './testing/rawsip';
import { startBaresip } from './peers/baresip';
import { startLinphone } from './peers/linphone';
import type { Peer } from './peers/common';

describe('third-party SIP peers through the lab', () => {
  let lab: Lab;
  let raw: RawSipClient;
  const peers: Peer[] = [];
  before(async () => {
    lab = await startLab({ accounts: ['alice', 'bob', 'carol', 'dave'].map((u) => ({ user: u, password: `${u}-secret` })) });
    raw = await RawSipClient.connect({ lab, transport: 'tcp', user: 'alice', password: 'alice-secret' });
    assert.equal((await raw.register()).status, 200);
  });
  after(async () => {
    await Promise.all(peers.map((p) => p.stop()));
    await raw.close();
    await lab.stop();
  });

  async function exchange(peer: Peer): Promise<void> {
    peers.push(peer);
    assert.ok((await lab.registrations()).includes(`${peer.user}@${lab.domain}`));
    const res = await raw.message(peer.aor, `hello ${peer.user}, from raw alice`);
    assert.equal(res.status, 200);
    const got = await peer.waitForMessage((m) => m.text === `hello ${peer.user}, from raw alice`);
    assert.equal(got.from, 'sip:alice@parley.test');

    // linphonec also sends IMDN delivery notifications (message/imdn+xml): wait for the text itself.
    const incoming = raw.waitForRequest((m) => m.method === 'MESSAGE' && m.body === `hi alice, ${peer.user} here`, 10000);
    await peer.sendMessage(lab.aor('alice'), `hi alice, ${peer.user} here`);
    const m = await incoming;
    assert.match(header(m, 'From') ?? '', new RegExp(`sip:${peer.user}@parley\\.test`));
    assert.match(header(m, 'Content-Type') ?? '', /^text\/plain/);
  }

  it('baresip (TCP) receives a MESSAGE from a raw client and sends one back', async () => {
    await exchange(await startBaresip({ lab, user: 'bob', password: 'bob-secret' }));
  });

  it('linphonec (TCP) receives a MESSAGE from a raw client and sends one back', async () => {
    await exchange(await startLinphone({ lab, user: 'carol', password: 'carol-secret' }));
  });

  it('linphonec (TLS, lab CA) receives a MESSAGE from a raw client and sends one back', async () => {
    await exchange(await startLinphone({ lab, user: 'dave', password: 'dave-secret', transport: 'tls' }));
  });
});
