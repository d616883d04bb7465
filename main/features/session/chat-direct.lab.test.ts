// Two Parley UAs chatting over MSRP sessions set up by INVITE through the lab's record-routing Kamailio (direct TCP/TLS).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startLab, removeLabState, type Lab } from '../../../network/lab';
import { PartyPool, acceptNext, nextEvent, pattern, type Party } from './testing';
import type { ChatMessage, ClosedEvent, DeliveryNotification } from './types';
import type { IncomingChatSession } from './manager';
import { MsrpTransport } from '../../net/msrp/transport';
import { fingerprintAttribute } from '../../net/msrp/tls-cert';
import { isParleyError } from '../../base/errors';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

for (const tls of [false, true]) {
  describe(`chat sessions, direct ${tls ? 'TLS (a=fingerprint checked)' : 'TCP'}`, () => {
    let lab: Lab;
    const pool = new PartyPool();
    let alice: Party;
    let bob: Party;
    before(async () => {
      lab = await startLab();
      alice = await pool.create(lab, 'alice', { tls });
      bob = await pool.create(lab, 'bob', { tls });
    });
    after(async () => {
      await pool.stopAll();
      if (lab) {
        await lab.stop();
        await removeLabState(lab);
      }
    });

    it('opens a protected session, exchanges messages both ways with IMDN and typing, BYE from the caller', async () => {
      const [a, b] = await Promise.all([alice.mgr.open(lab.aor('bob')), acceptNext(bob)]);
      assert.equal(a.info.protected, true);
      assert.equal(b.info.protected, true);
      assert.equal(a.info.transport, tls ? 'msrps' : 'msrp');
      assert.equal(b.info.peerKeyState, 'unverified', 'first contact pins TOFU');
      const got = nextEvent<ChatMessage>(b, 'message');
      const delivered = nextEvent<DeliveryNotification>(a, 'delivery');
      const out = await a.send('hello bob');
      assert.equal(out.status, 'delivered');
      const m = await got;
      assert.equal(m.text, 'hello bob');
      assert.equal(m.from, lab.aor('alice'));
      assert.equal(m.protected, true);
      assert.equal(m.imdnMessageId, out.imdnMessageId);
      assert.ok(m.sentAt instanceof Date);
      const d = await delivered;
      assert.deepEqual([d.imdnMessageId, d.kind, d.status], [out.imdnMessageId, 'delivery', 'delivered']);
      const typing = nextEvent<{ state: string }>(a, 'typing');
      await b.sendTyping('active');
      assert.equal((await typing).state, 'active');
      const back = nextEvent<ChatMessage>(a, 'message');
      assert.equal((await b.send('hi alice')).status, 'delivered');
      assert.equal((await back).text, 'hi alice');
      const bClosed = nextEvent<ClosedEvent>(b, 'closed');
      const aClosed = nextEvent<ClosedEvent>(a, 'closed');
      a.close();
      assert.equal((await bClosed).reason, 'bye-remote');
      assert.equal((await aClosed).reason, 'bye-local');
      const late = await a.send('after close');
      assert.equal(late.status, 'failed');
      assert.equal(late.errorCode, 'SESSION_CLOSED');
    });

    it('a message sent the moment open() resolves reaches the callee and gets its delivery IMDN back', async () => {
      const inc = nextEvent<IncomingChatSession>(bob.mgr, 'incoming');
      const opening = alice.mgr.open(lab.aor('bob'));
      const i = await inc;
      const accepted = i.accept(); // no await: listeners are added after the peer may already have sent
      const a = await opening;
      const delivered = nextEvent<DeliveryNotification>(a, 'delivery');
      const out = a.send('first words');
      const b = await accepted;
      const m = await nextEvent<ChatMessage>(b, 'message');
      assert.equal(m.text, 'first words');
      assert.equal((await delivered).imdnMessageId, (await out).imdnMessageId);
      a.close();
      await nextEvent(b, 'closed');
    });

    it('5 MB message chunked and reassembled byte for byte; BYE from the callee', async () => {
      const [a, b] = await Promise.all([alice.mgr.open(lab.aor('bob')), acceptNext(bob)]);
      const body = pattern(5 * 1024 * 1024);
      const got = nextEvent<ChatMessage>(b, 'message', () => true, 60_000);
      const out = await a.send({ contentType: 'application/octet-stream', body });
      assert.equal(out.status, 'delivered');
      const m = await got;
      assert.equal(m.contentType, 'application/octet-stream');
      assert.equal(m.body.length, body.length);
      assert.equal(sha(m.body), sha(body));
      const aClosed = nextEvent<ClosedEvent>(a, 'closed');
      b.close();
      assert.equal((await aClosed).reason, 'bye-remote');
    });

    it('interrupted message: the receiver sees it interrupted, the next message still arrives (new key epoch)', async () => {
      const [a, b] = await Promise.all([alice.mgr.open(lab.aor('bob')), acceptNext(bob)]);
      const ac = new AbortController();
      const interrupted = nextEvent<{ msrpMessageId: string }>(b, 'interrupted');
      let sawMessage = false;
      b.on('message', (m: ChatMessage) => {
        if (m.body.length > 1000) sawMessage = true;
      });
      // abort after the first slice went out
      const sending = a.send({ contentType: 'application/octet-stream', body: pattern(4 * 1024 * 1024) }, { signal: ac.signal });
      setImmediate(() => ac.abort());
      const out = await sending;
      assert.equal(out.status, 'interrupted');
      assert.equal((await interrupted).msrpMessageId, out.msrpMessageId);
      const next = nextEvent<ChatMessage>(b, 'message');
      assert.equal((await a.send('after the interruption')).status, 'delivered');
      assert.equal((await next).text, 'after the interruption');
      assert.equal(sawMessage, false);
      a.close();
      await nextEvent(b, 'closed');
    });

    if (tls) {
      it('a certificate that does not match the a=fingerprint is refused (MSRP_FINGERPRINT_MISMATCH), the session ends', async () => {
        const other = new MsrpTransport({ tls: true });
        const ep = alice.endpoint;
        const fake = fingerprintAttribute((await other.certificate()).cert);
        ep.fingerprint = (secure) => (secure ? fake : undefined); // alice advertises a key she does not hold
        try {
          const inc = nextEvent<IncomingChatSession>(bob.mgr, 'incoming');
          const opening = alice.mgr.open(lab.aor('bob'));
          const i = await inc;
          await assert.rejects(i.accept(), (e) => isParleyError(e, 'MSRP_FINGERPRINT_MISMATCH'));
          await assert.rejects(opening, (e) => isParleyError(e) && e.code !== 'MSRP_FINGERPRINT_MISMATCH');
          assert.equal(i.session.closed?.reason, 'msrp-error');
        } finally {
          delete (ep as { fingerprint?: unknown }).fingerprint; // the prototype's method again
          await other.close();
        }
      });
    }
  });
}
