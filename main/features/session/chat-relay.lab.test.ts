// Chat sessions through the lab Kamailio MSRP relay (RFC 4976): both sides relayed (msrp and msrps), one side relayed,
// 5 MB through 4096-byte relay chunks; AUTH uses the SIP account credentials.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { startLab, removeLabState, type Lab } from '../../../network/lab';
import { RELAY_CHUNK_SIZE } from '../../net/msrp/relay';
import { PartyPool, acceptNext, nextEvent, pattern, type Party } from './testing';
import type { ChatMessage, ClosedEvent } from './types';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('chat sessions through the lab MSRP relay', () => {
  let lab: Lab;
  const pool = new PartyPool();
  before(async () => {
    lab = await startLab();
  });
  after(async () => {
    await pool.stopAll();
    if (lab) {
      await lab.stop();
      await removeLabState(lab);
    }
  });

  for (const secure of [false, true]) {
    it(`both sides relayed over ${secure ? 'msrps' : 'msrp'}: a=path carries the Use-Path, messages both ways${secure ? '' : ', 5 MB byte for byte'}`, async () => {
      const relay = { uri: secure ? lab.relay.tls : lab.relay.tcp, ca: readFileSync(lab.caFile, 'utf8') };
      const alice = await pool.create(lab, 'alice', { relay });
      const bob = await pool.create(lab, 'bob', { relay });
      const [a, b] = await Promise.all([alice.mgr.open(lab.aor('bob')), acceptNext(bob)]);
      for (const s of [a, b]) {
        assert.equal(s.info.relayed, true);
        assert.equal(s.info.protected, true);
        assert.equal(s.info.transport, secure ? 'msrps' : 'msrp');
      }
      const neg = (a as unknown as { neg: { toPath: { port?: number }[]; chunkSize: number } }).neg;
      assert.equal(neg.toPath.length, 3, 'own relay, peer relay, peer');
      assert.equal(neg.toPath[0].port, secure ? lab.ports.msrps : lab.ports.msrp);
      assert.equal(neg.chunkSize, RELAY_CHUNK_SIZE);
      const got = nextEvent<ChatMessage>(b, 'message');
      const out = await a.send('hello through two relay hops');
      assert.equal(out.status, 'delivered', JSON.stringify(out));
      assert.equal((await got).text, 'hello through two relay hops');
      const back = nextEvent<ChatMessage>(a, 'message');
      await b.send('and back');
      assert.equal((await back).text, 'and back');
      if (!secure) {
        const big = pattern(5 * 1024 * 1024, 3);
        const bigGot = nextEvent<ChatMessage>(b, 'message', (m) => m.body.length > 1000, 120_000);
        const o = await a.send({ contentType: 'application/octet-stream', body: big });
        assert.notEqual(o.status, 'failed', JSON.stringify(o));
        assert.equal(sha((await bigGot).body), sha(big));
      }
      const closed = nextEvent<ClosedEvent>(b, 'closed');
      a.close();
      assert.equal((await closed).reason, 'bye-remote');
      await pool.stop(alice);
      await pool.stop(bob);
    });
  }

  it("one side relayed: both ways through the relayed peer's relay, over the connection the direct peer opened", async () => {
    const alice = await pool.create(lab, 'alice', { relay: { uri: lab.relay.tcp } });
    const bob = await pool.create(lab, 'bob');
    for (const caller of ['alice', 'bob'] as const) {
      const [x, y] = await Promise.all([
        (caller === 'alice' ? alice : bob).mgr.open(lab.aor(caller === 'alice' ? 'bob' : 'alice')),
        acceptNext(caller === 'alice' ? bob : alice),
      ]);
      const [onAlice, onBob] = caller === 'alice' ? [x, y] : [y, x];
      assert.equal(onAlice.info.relayed, true);
      assert.equal(onBob.info.relayed, true);
      const neg = (onBob as unknown as { neg: { toPath: { port?: number }[] } }).neg;
      assert.equal(neg.toPath.length, 2, "bob's To-Path: alice's relay, alice");
      const got = nextEvent<ChatMessage>(onAlice, 'message');
      const out = await onBob.send(`via alice's relay (${caller} called)`, { successReport: false, notifications: [] });
      assert.equal(out.status, 'sent');
      const m = await got;
      assert.equal(m.text, `via alice's relay (${caller} called)`);
      assert.equal(m.protected, true);
      const back = nextEvent<ChatMessage>(onBob, 'message');
      const out2 = await onAlice.send(`back from alice (${caller} called)`);
      assert.equal(out2.status, 'delivered', JSON.stringify(out2));
      assert.equal((await back).text, `back from alice (${caller} called)`);
      const closed = nextEvent<ClosedEvent>(onAlice, 'closed');
      onBob.close();
      await closed;
    }
  });
});

export type { Party };
