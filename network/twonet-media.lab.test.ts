// MSRP between the two lab networks: a chat session where each side uses its own network's relay (RFC 4976 relay to
// relay, msrp and msrps), traffic both ways; an RFC 5547 file transfer from alice@parley.test to dave@example.test.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startLabs, type LabPair } from './labs';
import { PartyPool, acceptNext, nextEvent, type Party } from '../main/features/session/testing';
import type { ChatMessage, ClosedEvent } from '../main/features/session/types';
import { SipUserAgent } from '../main/net/sip/ua';
import { accountFor } from '../main/net/sip/testing';
import { ephemeralSecurity } from '../main/security/bundle';
import { accountMedia, type AccountMedia } from '../main/media/account-media';
import { FileTransferManager } from '../main/features/transfer/manager';
import type { IncomingFileOffer } from '../main/features/transfer/incoming';
import { tempDir, writeTestFile } from '../main/features/transfer/testing';
import { sha256File } from '../main/features/transfer/prepare';
import type { Lab } from './lab';

describe('MSRP across the two lab networks', () => {
  let pair: LabPair;
  const pool = new PartyPool();
  const transfers: Array<{ ua: SipUserAgent; ft: FileTransferManager; media: AccountMedia }> = [];
  const tmp = tempDir('parley-twonet-');

  before(async () => {
    pair = await startLabs();
  });
  after(async () => {
    await pool.stopAll();
    for (const p of transfers) {
      await p.ft.stop().catch(() => {});
      await p.media.close();
      await p.ua.stop().catch(() => {});
    }
    tmp.cleanup();
    await pair?.stop();
  });

  const relayOf = (lab: Lab, secure: boolean) => ({ uri: secure ? lab.relay.tls : lab.relay.tcp, ca: readFileSync(lab.caFile, 'utf8') });

  for (const secure of [false, true]) {
    it(`chat session, each side on its own relay over ${secure ? 'msrps' : 'msrp'}: four hops, messages both ways`, async () => {
      const alice: Party = await pool.create(pair.home, 'alice', { relay: relayOf(pair.home, secure) });
      const dave: Party = await pool.create(pair.peer, 'dave', { relay: relayOf(pair.peer, secure) });
      const [a, d] = await Promise.all([alice.mgr.open(pair.peer.aor('dave')), acceptNext(dave)]);
      for (const s of [a, d]) {
        assert.equal(s.info.relayed, true);
        assert.equal(s.info.protected, true);
        assert.equal(s.info.transport, secure ? 'msrps' : 'msrp');
      }
      const neg = (s: unknown) => (s as { neg: { toPath: Array<{ host: string; port?: number }> } }).neg.toPath;
      const port = (lab: Lab) => (secure ? lab.ports.msrps : lab.ports.msrp);
      // alice's To-Path: her relay (127.0.0.1), dave's relay (127.0.0.2), dave; and the mirror image for dave
      assert.deepEqual(
        neg(a)
          .slice(0, 2)
          .map((u) => `${u.host}:${u.port}`),
        [`127.0.0.1:${port(pair.home)}`, `127.0.0.2:${port(pair.peer)}`],
      );
      assert.deepEqual(
        neg(d)
          .slice(0, 2)
          .map((u) => `${u.host}:${u.port}`),
        [`127.0.0.2:${port(pair.peer)}`, `127.0.0.1:${port(pair.home)}`],
      );
      for (let i = 0; i < 3; i++) {
        const got = nextEvent<ChatMessage>(d, 'message');
        const out = await a.send(`to dave ${i}`);
        assert.notEqual(out.status, 'failed', JSON.stringify(out));
        const m = await got;
        assert.equal(m.text, `to dave ${i}`);
        assert.equal(m.protected, true);
        const back = nextEvent<ChatMessage>(a, 'message');
        const out2 = await d.send(`to alice ${i}`);
        assert.notEqual(out2.status, 'failed', JSON.stringify(out2));
        assert.equal((await back).text, `to alice ${i}`);
      }
      // larger than one relay chunk: several 4 KB chunks through both relays
      const big = 'x'.repeat(50_000);
      const bigGot = nextEvent<ChatMessage>(a, 'message', (m) => (m.text?.length ?? 0) > 1000);
      assert.notEqual((await d.send(big)).status, 'failed');
      assert.equal((await bigGot).text, big);
      const closed = nextEvent<ClosedEvent>(a, 'closed');
      d.close();
      assert.equal((await closed).reason, 'bye-remote');
      await pool.stop(alice);
      await pool.stop(dave);
    });
  }

  it('file transfer from alice@parley.test to dave@example.test through both relays, protected, SHA-256 checked', async () => {
    const party = async (lab: Lab, user: string) => {
      const ua = new SipUserAgent(accountFor(lab, user, 'tcp'));
      ua.on('error', () => {});
      await ua.start();
      const media = accountMedia(ua, { relay: relayOf(lab, false) });
      const security = await ephemeralSecurity(lab.aor(user));
      const ft = new FileTransferManager({ ua, endpoint: media.endpoint, router: media.router, security });
      ft.on('error', () => {});
      await ft.start();
      transfers.push({ ua, ft, media });
      return { ua, ft };
    };
    const alice = await party(pair.home, 'alice');
    const dave = await party(pair.peer, 'dave');
    const file = path.join(tmp.dir, 'report.bin');
    const sha = await writeTestFile(file, 100_000, 5);
    const offered = nextEvent<IncomingFileOffer>(dave.ft, 'offer');
    const t = await alice.ft.sendFile(pair.peer.aor('dave'), file, { name: 'report.bin' });
    const offer = await offered;
    assert.equal(offer.from, 'sip:alice@parley.test');
    assert.equal(offer.protected, true);
    const rx = offer.accept({ dir: tempDir('parley-dl-', tmp.dir).dir });
    const [out, got] = await Promise.all([t.result, rx.result]);
    assert.equal(out.status, 'delivered', JSON.stringify(out));
    assert.equal(got.name, 'report.bin');
    assert.equal(got.sha256, sha);
    assert.equal(await sha256File(got.path), sha);
  });
});
