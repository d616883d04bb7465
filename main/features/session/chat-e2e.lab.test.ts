// Session E2E on the wire, over msrp and msrps: a hop between the two MSRP endpoints (a TCP proxy, or for msrps a hop
// that terminates TLS with the endpoints' own certificates, as a TLS-terminating SBC would) sees no plaintext, a flipped
// ciphertext byte is rejected with E2E_TAMPERED and ends the session, keys are erased on close.
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
const count = (hay: Buffer, needle: string) => {
  let n = 0;
  for (let i = hay.indexOf(needle); i >= 0; i = hay.indexOf(needle, i + 1)) n++;
  return n;
};
const transportOf = (p: Party, secure: boolean) => p.endpoint.transport(secure)!;

for (const tls of [false, true]) {
  describe(`session E2E on the wire (${tls ? 'msrps' : 'msrp'})`, () => {
    let lab: Lab;
    const pool = new PartyPool();
    let alice: Party;
    let bob: Party;
    let proxy: CapturingProxy;
    before(async () => {
      lab = await startLab();
      alice = await pool.create(lab, 'alice', { tls });
      bob = await pool.create(lab, 'bob', { tls });
      // alice advertises the proxy port in a=path; CEMA (RFC 6714) lets the session-ids alone match
      const at = transportOf(alice, tls);
      const certs = tls ? { server: await at.certificate(), client: await transportOf(bob, true).certificate() } : undefined;
      proxy = new CapturingProxy(at.port, '127.0.0.1', certs);
      const port = await proxy.listen();
      (alice.mgr as unknown as { opts: { advertise?: object } }).opts.advertise = { port };
    });
    after(async () => {
      await pool.stopAll();
      await proxy?.close();
      if (lab) {
        await lab.stop();
        await removeLabState(lab);
      }
    });

    it('the hop sees only ciphertext; a tampered body is rejected with E2E_TAMPERED; keys are erased', async () => {
      assert.ok(alice.mgr instanceof ChatSessionManager);
      const [a, b] = await Promise.all([alice.mgr.open(lab.aor('bob')), acceptNext(bob)]);
      assert.equal(a.info.transport, tls ? 'msrps' : 'msrp');
      const got = nextEvent<ChatMessage>(b, 'message');
      const delivered = nextEvent<DeliveryNotification>(a, 'delivery');
      assert.equal((await a.send(`hello ${MARKER}`)).status, 'delivered');
      assert.equal((await got).text, `hello ${MARKER}`);
      await delivered;
      const back = nextEvent<ChatMessage>(a, 'message');
      assert.equal((await b.send(`reply ${MARKER}`)).status, 'delivered');
      assert.equal((await back).text, `reply ${MARKER}`);

      // first prove the tap saw the session (both messages, their reports and IMDNs), then that nothing leaked
      const wire = proxy.bytes;
      const plain = proxy.plain;
      assert.ok(wire.length > 2000, `the hop carried the session (${wire.length} bytes on the wire)`);
      assert.ok(count(plain, `Content-Type: ${MSRP_E2E_CONTENT_TYPE}`) >= 4, 'two messages and two IMDNs crossed the hop');
      assert.ok(count(plain, 'REPORT') >= 2, 'the Success-Reports crossed the hop');
      assert.ok(!plain.includes('message/cpim'), 'no CPIM in clear');
      for (const [view, what] of [
        [wire, 'wire'],
        [plain, 'hop'],
      ] as const) {
        assert.ok(!view.includes(MARKER), `marker never appears (${what})`);
        assert.ok(!view.includes(Buffer.from(MARKER, 'utf16le')), `nor in UTF-16 (${what})`);
      }
      if (tls) assert.ok(!wire.includes('MSRP ') && !wire.includes(MSRP_E2E_CONTENT_TYPE), 'no MSRP framing in clear on TLS');

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
      // keys are erased on both sides: the ciphers refuse to work after close
      for (const s of [a, b]) {
        const cipher = (s as unknown as { cipher: { seal(p: Uint8Array): unknown } }).cipher;
        assert.throws(
          () => cipher.seal(new Uint8Array(1)),
          (e) => isParleyError(e, 'E2E_SESSION_CLOSED'),
        );
      }
    });
  });
}
