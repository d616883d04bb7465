// File transfer through the lab Kamailio (SIP INVITE/BYE/CANCEL) directly and through its MSRP relay: sizes, decline,
// oversize auto-decline with reason, cancel from each side, resume by pull with a=file-range, hidden names, chat coexistence.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { startLab, removeLabState, type Lab } from '../../../network/lab';
import { SipUserAgent } from '../../net/sip/ua';
import { accountFor, nextEvent } from '../../net/sip/testing';
import { ChatSessionManager } from '../session/manager';
import { ephemeralSecurity } from '../../security/bundle';
import { FileTransferManager, type FileTransferOptions } from './manager';
import type { IncomingFileOffer, IncomingFileTransfer } from './incoming';
import { OutgoingFileTransfer, type SendOutcome } from './outgoing';
import { sealPreview } from './offer-preview';
import { tempDir, writeTestFile } from './testing';
import { sha256File } from './prepare';

const MiB = 1024 * 1024;

interface Party {
  ua: SipUserAgent;
  ft: FileTransferManager;
  chat?: ChatSessionManager;
  identity: { publicKey: Uint8Array };
}

describe('file transfer over SIP + MSRP (lab)', () => {
  let lab: Lab;
  const parties: Party[] = [];
  const tmp = tempDir();
  const files = new Map<number, { path: string; sha: string }>();

  async function party(user: string, o: Partial<FileTransferOptions> & { withChat?: boolean } = {}): Promise<Party> {
    const ua = new SipUserAgent(accountFor(lab, user, 'tcp'));
    ua.on('error', () => {});
    await ua.start();
    const security = await ephemeralSecurity(lab.aor(user));
    let chat: ChatSessionManager | undefined;
    if (o.withChat) {
      chat = new ChatSessionManager({ ua, security });
      chat.on('error', () => {});
      await chat.start();
    }
    const ft = new FileTransferManager({ ua, security, ...o });
    ft.on('error', () => {});
    await ft.start();
    const p = { ua, ft, chat, identity: security.identity };
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
      await p.chat?.stop().catch(() => {});
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
      bob = await party('bob', { maxFileBytes: 300 * MiB, withChat: true });
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
        assert.equal(out.code, 'FILE_TAMPERED');
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
      assert.equal(out.sipStatus, 603);
      assert.equal(out.code, 'FILE_DECLINED');
      assert.match(out.reason ?? '', /not now, thanks/);
    });

    it('oversize offers are declined automatically with a reason the sender sees', async () => {
      const carol = await party('carol', { maxFileBytes: 1000 });
      let offers = 0;
      carol.ft.on('offer', () => offers++);
      const f = await file(5000);
      const t = await alice.ft.sendFile(carol.ua.account.aor, f.path);
      const out: SendOutcome = await t.result;
      assert.equal(out.status, 'declined');
      assert.equal(out.sipStatus, 603);
      assert.equal(out.code, 'FILE_TOO_LARGE');
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
      assert.equal(out.code, 'FILE_CANCELLED_BY_PEER');
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
      const conns = (
        bob.ft as unknown as { transports: Map<boolean, { conns: Set<{ socket: import('node:net').Socket }> }> }
      ).transports.get(false)!.conns;
      assert.ok(conns.size > 0);
      for (const c of conns) c.socket.destroy();
      await assert.rejects(rx.result, (e: { code: string }) => e.code === 'FILE_INTERRUPTED');
      const out = await t.result;
      assert.equal(out.status, 'failed');
      assert.match(out.code ?? '', /FILE_CONNECTION_LOST|FILE_INTERRUPTED/);
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

    it('with a chat manager on the same UA: file INVITEs go to files, chat INVITEs still reach chat', async () => {
      let chatSeen = 0;
      const onChat = (i: { decline(): void }) => {
        chatSeen++;
        i.decline();
      };
      bob.chat!.on('incoming', onChat);
      await transfer(alice, bob, 1000, 'direct');
      assert.equal(chatSeen, 0);
      // a chat INVITE from carol (her own chat manager) reaches bob's chat manager through the chained handler
      await lab.addAccount('frank', 'frank-secret');
      const carolChat = new ChatSessionManager({ ua: (await party('frank')).ua, security: await ephemeralSecurity(lab.aor('frank')) });
      await carolChat.start();
      await assert.rejects(carolChat.open(bob.ua.account.aor), (e: { code: string }) => e.code === 'SESSION_DECLINED');
      assert.equal(chatSeen, 1);
      bob.chat!.off('incoming', onChat);
      await carolChat.stop();
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
