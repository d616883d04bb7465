// File transfer through the lab Kamailio (SIP INVITE/BYE/CANCEL) directly and through its MSRP relay: sizes, decline,
// oversize auto-decline with reason, cancel from each side, resume by pull with a=file-range, hidden names, routing beside
// the default (chat) route.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { startLab, removeLabState, type Lab } from '../../../network/lab';
import { SipUserAgent } from '../../net/sip/ua';
import { accountFor, nextEvent } from '../../net/sip/testing';
import { ephemeralSecurity } from '../../security/bundle';
import { accountMedia, type AccountMedia } from '../../media/account-media';
import { ROUTE_PRIORITY } from '../../media/invite-router';
import { RawSipClient } from '../../../network/testing/rawsip';
import { FileTransferManager, type FileTransferOptions } from './manager';
import type { IncomingFileOffer, IncomingFileTransfer } from './incoming';
import { OutgoingFileTransfer, type FileDelivery } from './outgoing';
import { sealPreview } from './offer-preview';
import { tempDir, writeTestFile } from './testing';
import { sha256File } from './prepare';

const MiB = 1024 * 1024;

interface Party {
  ua: SipUserAgent;
  ft: FileTransferManager;
  media: AccountMedia;
  /** INVITEs that reached the default route (where chat sessions go), when the party has one. */
  defaultSeen?: string[];
  identity: { publicKey: Uint8Array };
}

describe('file transfer over SIP + MSRP (lab)', () => {
  let lab: Lab;
  const parties: Party[] = [];
  const tmp = tempDir();
  const files = new Map<number, { path: string; sha: string }>();

  type PartyOptions = Omit<Partial<FileTransferOptions>, 'ua' | 'endpoint' | 'router'> & {
    relay?: { uri: string };
    withDefaultRoute?: boolean;
  };
  async function party(user: string, o: PartyOptions = {}): Promise<Party> {
    const { relay, withDefaultRoute, ...ftOpts } = o;
    const ua = new SipUserAgent(accountFor(lab, user, 'tcp'));
    ua.on('error', () => {});
    await ua.start();
    const security = await ephemeralSecurity(lab.aor(user));
    const media = accountMedia(ua, { relay });
    let defaultSeen: string[] | undefined;
    if (withDefaultRoute) {
      const seen: string[] = (defaultSeen = []);
      media.router.add({
        name: 'default stand-in',
        priority: ROUTE_PRIORITY.fallback,
        claims: () => true,
        handle: (req) => {
          seen.push(req.callId);
          req.reply(603, 'Decline');
        },
      });
    }
    const ft = new FileTransferManager({ ua, endpoint: media.endpoint, router: media.router, security, ...ftOpts });
    ft.on('error', () => {});
    await ft.start();
    const p = { ua, ft, media, defaultSeen, identity: security.identity };
    parties.push(p);
    return p;
  }

  async function file(size: number): Promise<{ path: string; sha: string }> {
    let f = files.get(size);
    if (!f) {
      const p = path.join(tmp.dir, `f-${size}.dat`);
      f = { path: p, sha: await writeTestFile(p, size, size + 11) };
      files.set(size, f);
    }
    return f;
  }

  async function transfer(from: Party, to: Party, size: number, relayLabel: string): Promise<void> {
    const f = await file(size);
    const { dir } = tempDir('parley-dl-', tmp.dir);
    const offered = nextEvent<IncomingFileOffer>(to.ft, 'offer');
    const t = await from.ft.sendFile(to.ua.account.aor, f.path, { name: `data-${size}.dat` });
    const offer = await offered;
    assert.equal(offer.protected, true);
    if (offer.preview) {
      // the sender had the receiver's key pinned: real name sealed in the INVITE, SDP name still neutral
      assert.equal(offer.name, `data-${size}.dat`);
      assert.equal(offer.plainSize, size);
      assert.equal(offer.nameHidden, false);
    } else assert.equal(offer.nameHidden, true, 'the SDP carries a neutral name');
    assert.match(offer.info.selector.name ?? '', /^parley-.*\.bin$/);
    assert.equal(offer.from, from.ua.account.aor);
    const rx = offer.accept({ dir });
    const [out, got] = await Promise.all([t.result, rx.result]);
    assert.equal(out.status, 'delivered', `${relayLabel}: ${JSON.stringify(out)}`);
    assert.equal(got.name, `data-${size}.dat`, 'real name from the sealed manifest');
    assert.equal(got.sha256, f.sha);
    assert.equal(await sha256File(got.path), f.sha);
  }

  before(async () => {
    lab = await startLab();
  });
  after(async () => {
    for (const p of parties.splice(0)) {
      await p.ft.stop().catch(() => {});
      await p.media.close();
      await p.ua.stop().catch(() => {});
    }
    tmp.cleanup();
    if (lab) {
      await lab.stop();
      await removeLabState(lab);
    }
  });

  describe('direct MSRP', () => {
    let alice: Party;
    let bob: Party;
    before(async () => {
      alice = await party('alice', { maxFileBytes: 300 * MiB });
      bob = await party('bob', { maxFileBytes: 300 * MiB, withDefaultRoute: true });
    });

    for (const size of [0, 1, 10 * MiB, 200 * MiB]) {
      it(`${size} bytes, protected, SHA-256 checked`, async () => transfer(alice, bob, size, 'direct'));
    }

    it('to a pinned peer the offer shows the real name before accepting (sealed preview), checked against the manifest', async () => {
      const f = await file(3000);
      await transfer(alice, bob, 3000, 'direct'); // pins both ways if not yet
      const { dir } = tempDir('parley-dl-', tmp.dir);
      const offered = nextEvent<IncomingFileOffer>(bob.ft, 'offer');
      const t = await alice.ft.sendFile(bob.ua.account.aor, f.path, { name: 'setup.exe' });
      const offer = await offered;
      assert.equal(offer.name, 'setup.exe');
      assert.equal(offer.executable, true, 'the UI can warn before accepting');
      assert.equal(offer.hash, f.sha);
      const rx = offer.accept({ dir });
      const [out, got] = await Promise.all([t.result, rx.result]);
      assert.equal(out.status, 'delivered');
      assert.equal(got.name, 'setup.exe');
      assert.equal(got.executable, true);
    });

    it('a forged preview (differs from the authenticated manifest): FILE_TAMPERED, nothing saved, sender told', async () => {
      const f = await file(3000);
      const orig = OutgoingFileTransfer.prototype.pushDriver;
      const fake = sealPreview(bob.identity.publicKey, { name: 'invoice.pdf', type: 'application/pdf', size: 3000, sha256: f.sha });
      OutgoingFileTransfer.prototype.pushDriver = function (this: OutgoingFileTransfer) {
        const d = orig.call(this);
        const create = d.createOffer.bind(d);
        d.createOffer = () => create().replace(/a=x-parley-file-info:[^\r]*/, `a=x-parley-file-info:${fake}`);
        return d;
      };
      try {
        const { dir } = tempDir('parley-dl-', tmp.dir);
        const offered = nextEvent<IncomingFileOffer>(bob.ft, 'offer');
        const t = await alice.ft.sendFile(bob.ua.account.aor, f.path, { name: 'payload.exe' });
        const offer = await offered;
        assert.equal(offer.name, 'invoice.pdf', 'the forged preview is what the dialog would show');
        const rx = offer.accept({ dir });
        await assert.rejects(rx.result, (e: { code: string }) => e.code === 'FILE_TAMPERED');
        const out = await t.result;
        assert.equal(out.status, 'failed');
        assert.equal(out.errorCode, 'FILE_TAMPERED');
        assert.deepEqual(readdirSync(dir), []);
      } finally {
        OutgoingFileTransfer.prototype.pushDriver = orig;
      }
    });

    it('decline: 603 with the reason in Warning, sender outcome declined', async () => {
      const f = await file(1000);
      const offered = nextEvent<IncomingFileOffer>(bob.ft, 'offer');
      const t = await alice.ft.sendFile(bob.ua.account.aor, f.path);
      (await offered).decline('not now, thanks');
      const out = await t.result;
      assert.equal(out.status, 'declined');
      assert.equal(out.code, 603);
      assert.equal(out.errorCode, 'FILE_DECLINED');
      assert.match(out.reason ?? '', /not now, thanks/);
    });

    it('oversize offers are declined automatically with a reason the sender sees', async () => {
      const carol = await party('carol', { maxFileBytes: 1000 });
      let offers = 0;
      carol.ft.on('offer', () => offers++);
      const f = await file(5000);
      const t = await alice.ft.sendFile(carol.ua.account.aor, f.path);
      const out: FileDelivery = await t.result;
      assert.equal(out.status, 'declined');
      assert.equal(out.code, 603);
      assert.equal(out.errorCode, 'FILE_TOO_LARGE');
      assert.match(out.reason ?? '', /exceeds the receiver's limit of 1000 bytes/);
      assert.equal(offers, 0, 'the user was never asked');
    });

    it('cancel by the sender mid-transfer: receiver fails FILE_CANCELLED_BY_PEER, no file offered', async () => {
      const f = await file(100 * MiB);
      const { dir } = tempDir('parley-dl-', tmp.dir);
      const offered = nextEvent<IncomingFileOffer>(bob.ft, 'offer');
      const t = await alice.ft.sendFile(bob.ua.account.aor, f.path);
      const rx = (await offered).accept({ dir });
      await nextEvent(rx, 'progress', (p: { bytes: number }) => p.bytes > 5 * MiB, 30_000);
      t.cancel();
      assert.equal((await t.result).status, 'cancelled');
      await assert.rejects(rx.result, (e: { code: string }) => e.code === 'FILE_CANCELLED_BY_PEER');
      assert.deepEqual(
        readdirSync(dir).filter((x) => !x.startsWith('.')),
        [],
      );
    });

    it('cancel by the receiver mid-transfer (partial kept): sender outcome carries FILE_CANCELLED_BY_PEER; then resumed by pull', async () => {
      const f = await file(100 * MiB);
      const { dir } = tempDir('parley-dl-', tmp.dir);
      const offered = nextEvent<IncomingFileOffer>(bob.ft, 'offer');
      const t = await alice.ft.sendFile(bob.ua.account.aor, f.path, { name: 'resume-me.bin' });
      const rx: IncomingFileTransfer = (await offered).accept({ dir });
      await nextEvent(rx, 'progress', (p: { bytes: number }) => p.bytes > 20 * MiB, 30_000);
      rx.cancel({ keepPartial: true });
      await assert.rejects(rx.result, (e: { code: string }) => e.code === 'FILE_CANCELLED');
      const out = await t.result;
      assert.equal(out.status, 'cancelled');
      assert.equal(out.errorCode, 'FILE_CANCELLED_BY_PEER');
      assert.match(out.reason ?? '', /cancelled by the receiver/);
      const id = rx.downloadId;
      const again = bob.ft.resume(id, { dir });
      const got = await again.result;
      assert.equal(got.name, 'resume-me.bin');
      assert.ok(readFileSync(got.path).equals(readFileSync(f.path)), 'resumed file is byte-identical');
    });

    it('MSRP connection cut mid-transfer (sockets destroyed): receiver keeps the .part, resume by pull is byte-identical', async () => {
      const f = await file(100 * MiB);
      const { dir } = tempDir('parley-dl-', tmp.dir);
      const offered = nextEvent<IncomingFileOffer>(bob.ft, 'offer');
      const t = await alice.ft.sendFile(bob.ua.account.aor, f.path, { name: 'cut.bin' });
      const rx: IncomingFileTransfer = (await offered).accept({ dir });
      await nextEvent(rx, 'progress', (p: { bytes: number }) => p.bytes > 20 * MiB, 30_000);
      // test-only reach into bob's MSRP transport: destroy the TCP sockets as a network failure would
      const conns = (bob.media.endpoint.transport(false) as unknown as { conns: Set<{ socket: import('node:net').Socket }> }).conns;
      assert.ok(conns.size > 0);
      for (const c of conns) c.socket.destroy();
      await assert.rejects(rx.result, (e: { code: string }) => e.code === 'FILE_INTERRUPTED');
      const out = await t.result;
      assert.equal(out.status, 'failed');
      assert.match(out.errorCode ?? '', /FILE_CONNECTION_LOST|FILE_INTERRUPTED/);
      const left = readdirSync(dir).filter((x) => x.endsWith('.parley-part'));
      assert.equal(left.length, 1, 'partial kept');
      const got = await bob.ft.resume(rx.downloadId, { dir }).result;
      assert.equal(got.name, 'cut.bin');
      assert.ok(readFileSync(got.path).equals(readFileSync(f.path)), 'resumed file is byte-identical');
      assert.deepEqual(
        readdirSync(dir).filter((x) => x.startsWith('.')),
        [],
        'no .part or sidecar left',
      );
    });

    it('with a default (chat) route on the same UA: file INVITEs go to files, other INVITEs still reach the default route', async () => {
      await transfer(alice, bob, 1000, 'direct');
      assert.deepEqual(bob.defaultSeen, []);
      // a chat-style INVITE (MSRP offer without a=file-selector) from frank reaches bob's default route
      await lab.addAccount('frank', 'frank-secret');
      const frank = await RawSipClient.connect({ lab, transport: 'tcp', user: 'frank', password: 'frank-secret' });
      try {
        const sdp =
          'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=message 7777 TCP/MSRP *\r\na=accept-types:message/cpim\r\na=path:msrp://127.0.0.1:7777/abc;tcp\r\n';
        const res = await frank.request('INVITE', bob.ua.account.aor, { body: sdp, contentType: 'application/sdp' });
        assert.equal(res.status, 603);
        assert.equal(bob.defaultSeen?.length, 1);
      } finally {
        await frank.close();
      }
    });
  });

  describe('through the MSRP relay (RFC 4976)', () => {
    let dave: Party;
    let erin: Party;
    before(async () => {
      await lab.addAccount('dave', 'dave-secret');
      await lab.addAccount('erin', 'erin-secret');
      dave = await party('dave', { relay: { uri: lab.relay.tcp } });
      erin = await party('erin', { relay: { uri: lab.relay.tcp } });
    });
    for (const size of [0, 1, 10 * MiB]) {
      it(`${size} bytes relayed both sides, protected, SHA-256 checked`, async () => transfer(dave, erin, size, 'relay'));
    }
  });
});
