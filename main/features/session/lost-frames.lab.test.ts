// A message that reaches no one is 'failed' at the sender, never 'sent' (issue 11, defect 1): a relay stand-in between
// the two endpoints answers a SEND 200 hop by hop and loses it, as the lab relay did for one-side-relayed sessions. The
// sender learns it from the missing Success-Report; the session goes on (next key epoch) and the next message arrives.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startLab, removeLabState, type Lab } from '../../../network/lab';
import { MSRP_E2E_CONTENT_TYPE } from '../../security/session-cipher';
import { PartyPool, acceptNext, nextEvent, type Party } from './testing';
import { CapturingProxy } from './tcp-proxy.test-data';
import { SUCCESS_REPORT_WAIT_MS, type ChatMessage } from './types';

describe('a frame lost after a hop-by-hop 200', () => {
  let lab: Lab;
  const pool = new PartyPool();
  let alice: Party;
  let bob: Party;
  let proxy: CapturingProxy;
  before(async () => {
    lab = await startLab();
    alice = await pool.create(lab, 'alice');
    bob = await pool.create(lab, 'bob');
    const listener = alice.endpoint.transport(false)!;
    proxy = new CapturingProxy(listener.port);
    // alice advertises the stand-in in a=path (CEMA); bob, the active side, connects through it
    (alice.mgr as unknown as { opts: { advertise?: object } }).opts.advertise = { port: await proxy.listen() };
  });
  after(async () => {
    await pool.stopAll();
    await proxy?.close();
    if (lab) {
      await lab.stop();
      await removeLabState(lab);
    }
  });

  it("is 'failed' (MSRP_NO_SUCCESS_REPORT) at the sender, not 'sent'; the next message is delivered", async () => {
    const [a, b] = await Promise.all([alice.mgr.open(lab.aor('bob')), acceptNext(bob)]);
    const seen: string[] = [];
    a.on('message', (m) => seen.push(m.text ?? ''));
    proxy.dropNext(MSRP_E2E_CONTENT_TYPE);
    const t0 = Date.now();
    const lost = await b.send('swallowed by the relay stand-in');
    assert.equal(proxy.dropped, 1, 'the stand-in answered 200 and dropped the SEND');
    assert.equal(lost.status, 'failed', JSON.stringify(lost));
    assert.equal(lost.errorCode, 'MSRP_NO_SUCCESS_REPORT');
    assert.ok(Date.now() - t0 < SUCCESS_REPORT_WAIT_MS + 3_000, 'failed within the report wait');
    assert.deepEqual(seen, [], 'alice never saw it');

    const got = nextEvent<ChatMessage>(a, 'message');
    const next = await b.send('after the loss');
    assert.equal(next.status, 'delivered', JSON.stringify(next));
    assert.equal((await got).text, 'after the loss');
    a.close();
  });
});
