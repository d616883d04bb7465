// Session E2E on the wire: a capturing TCP proxy between the two MSRP endpoints sees no plaintext, a flipped ciphertext
// byte is rejected with E2E_TAMPERED and ends the session, keys are erased on close.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startLab, removeLabState, type Lab } from '../../../network/lab';
import { MSRP_E2E_CONTENT_TYPE } from '../../security/session-cipher';
import { isParleyError, type ParleyError } from '../../base/errors';
import { ChatSessionManager } from './manager';
import { PartyPool, acceptNext, nextEvent, type Party } from './testing';
import { CapturingProxy } from './tcp-proxy.test-data';
import type { ChatMessage, ClosedEvent, DeliveryNotification } from './types';

const MARKER = 'PLAINTEXT-MARKER-7f3a9c-do-not-leak';

for (const tls of [false, true]) {
  describe(`session E2E on the wire (${tls ? 'msrps' : 'msrp'})`, () => {
    let lab: Lab;
    const pool = new PartyPool();
    let alice: Party;
    let bob: Party;
    let proxy: CapturingProxy;
    before(async () => {
      lab = await startLab();
      // alice advertises the proxy port in a=path; CEMA (RFC 6714) lets the session-ids alone match
      alice = await pool.create(lab, 'alice', { tls });
      const listener = alice.endpoint.transport(tls)!.port;
      proxy = new CapturingProxy(listener);
      const port = await proxy.listen();
      (alice.mgr as unknown as { opts: { advertise?: object } }).opts.advertise = { port };
      bob = await pool.create(lab, 'bob', { tls });
    });
    after(async () => {
      await pool.stopAll();
      await proxy?.close();
      if (lab) {
        await lab.stop();
        await removeLabState(lab);
      }
    });

    it('the captured MSRP bytes carry only ciphertext; a tampered body is rejected with E2E_TAMPERED', async () => {
      assert.ok(alice.mgr instanceof ChatSessionManager);
      const [a, b] = await Promise.all([alice.mgr.open(lab.aor('bob')), acceptNext(bob)]);
      const got = nextEvent<ChatMessage>(b, 'message');
      const delivered = nextEvent<DeliveryNotification>(a, 'delivery');
      assert.equal((await a.send(`hello ${MARKER}`)).status, 'delivered');
      assert.equal((await got).text, `hello ${MARKER}`);
      await delivered;
      const back = nextEvent<ChatMessage>(a, 'message');
      assert.equal((await b.send(`reply ${MARKER}`)).status, 'delivered');
      assert.equal((await back).text, `reply ${MARKER}`);
      const wire = proxy.bytes;
      assert.ok(wire.length > 500, 'the proxy carried the session');
      if (!tls) {
        assert.ok(wire.includes(`Content-Type: ${MSRP_E2E_CONTENT_TYPE}`), 'MSRP frames seen in clear (TCP)');
        assert.ok(!wire.includes('message/cpim'), 'no CPIM in clear');
      }
      assert.ok(!wire.includes(MARKER), 'marker never appears on the wire');
      assert.ok(!wire.includes(Buffer.from(MARKER, 'utf16le')));

      if (tls) return; // TLS: the proxy cannot find the frame to tamper with (the TLS record MAC would fail anyway)
      const errors: ParleyError[] = [];
      a.on('error', (e) => errors.push(e));
      const closed = nextEvent<ClosedEvent>(a, 'closed');
      let sawTampered = false;
      a.on('message', () => (sawTampered = true));
      proxy.arm(MSRP_E2E_CONTENT_TYPE);
      await b.send('this one gets tampered');
      const c = await closed;
      assert.equal(proxy.tampered, 1);
      assert.equal(c.reason, 'failed');
      assert.ok(isParleyError(c.error, 'E2E_TAMPERED'), `closed with ${c.error?.code}`);
      assert.ok(errors.some((e) => e.code === 'E2E_TAMPERED'));
      assert.equal(sawTampered, false);
      const bClosed = await nextEvent<ClosedEvent>(b, 'closed').catch(() => b.closed);
      assert.equal(bClosed?.reason, 'bye-remote');
      // keys are erased: the cipher refuses to work after close
      const cipher = (a as unknown as { cipher: { seal(p: Uint8Array): unknown } }).cipher;
      assert.throws(
        () => cipher.seal(new Uint8Array(1)),
        (e) => isParleyError(e, 'E2E_SESSION_CLOSED'),
      );
    });
  });
}
