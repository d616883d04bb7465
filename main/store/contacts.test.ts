import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HistoryStore } from './history';
import { isParleyError } from '../base/errors';
import { clock, key, tempDir } from './testutil';

const ALICE = 'sip:alice@ims.test';
const BOB = 'sip:bob@ims.test';
const CAROL = 'sip:carol@ims.test';

test('blocked list per account, reflected on direct conversations', async () => {
  const t = tempDir();
  try {
    const s = await HistoryStore.open(t.file('h.db'), key(1), { now: clock(1000).now });
    const conv = s.openConversation(ALICE, { kind: 'direct', peer: BOB });
    assert.equal(s.contacts.block(ALICE, BOB), true);
    assert.equal(s.contacts.block(ALICE, BOB), false);
    assert.equal(s.contacts.isBlocked(ALICE, BOB), true);
    assert.equal(s.contacts.isBlocked(ALICE, CAROL), false);
    assert.equal(s.contacts.isBlocked(CAROL, BOB), false, 'per account');
    assert.equal(s.getConversation(conv.id).blocked, true);
    s.contacts.block(ALICE, CAROL);
    assert.deepEqual(s.contacts.list(ALICE), [
      { aor: BOB, since: 1000 },
      { aor: CAROL, since: 1000 },
    ]);
    assert.equal(s.openConversation(ALICE, { kind: 'direct', peer: CAROL }).blocked, true, 'new conversation with a blocked peer');
    assert.equal(s.contacts.unblock(ALICE, BOB), true);
    assert.equal(s.contacts.unblock(ALICE, BOB), false);
    assert.equal(s.getConversation(conv.id).blocked, false);
    assert.deepEqual(
      s.contacts.list(ALICE).map((b) => b.aor),
      [CAROL],
    );
    assert.deepEqual(s.contacts.list('sip:nobody@ims.test'), []);
    assert.throws(
      () => s.contacts.block(ALICE, "x' OR 1=1"),
      (e) => isParleyError(e, 'STORE_BAD_INPUT'),
    );
    s.close();
  } finally {
    t.cleanup();
  }
});
