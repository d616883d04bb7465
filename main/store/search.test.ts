import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HistoryStore } from './history';
import { StoreCrypto } from './crypto';
import { isParleyError } from '../base/errors';
import { clock, key, tempDir } from './testutil';

const ALICE = 'sip:alice@ims.test';
const DAVE = 'sip:dave@ims.test';
const BOB = 'sip:bob@ims.test';

async function seeded(t: ReturnType<typeof tempDir>) {
  const c = clock();
  const s = await HistoryStore.open(t.file('h.db'), key(3), { now: c.now });
  const bob = s.openConversation(ALICE, { kind: 'direct', peer: BOB });
  const room = s.openConversation(ALICE, { kind: 'group', peer: 'sip:room@conf.ims.test' });
  const daves = s.openConversation(DAVE, { kind: 'direct', peer: BOB });
  const add = (conv: number, body: string | Uint8Array, sender = BOB) => {
    c.tick();
    return s.addMessage({
      conversationId: conv,
      direction: sender === BOB ? 'in' : 'out',
      senderAor: sender,
      mode: 'page',
      contentType: 'text/plain',
      body,
    }).id;
  };
  const ids = {
    meeting: add(bob.id, 'The Meeting is moved to Thursday'),
    cafe: add(room.id, 'Let us meet at the Café du Monde'),
    hi: add(bob.id, 'hi'),
    high: add(bob.id, 'high tide tomorrowland'),
    other: add(daves.id, 'meeting notes for dave only', DAVE),
    bin: add(bob.id, new TextEncoder().encode('meeting binary')),
  };
  s.addKeyChange(bob.id, { aor: BOB, newFingerprint: 'meeting-fp' });
  return { s, ids, bob, room };
}

test('search finds words and prefixes, newest first, scoped to the account', async () => {
  const t = tempDir();
  try {
    const { s, ids, bob, room } = await seeded(t);
    assert.deepEqual(
      s.search(ALICE, 'meeting').hits.map((h) => h.messageId),
      [ids.meeting],
    );
    assert.deepEqual(
      s.search(ALICE, 'mee').hits.map((h) => h.messageId),
      [ids.cafe, ids.meeting],
    );
    assert.deepEqual(
      s.search(ALICE, 'MEET thursday').hits.map((h) => h.messageId),
      [ids.meeting],
    );
    assert.deepEqual(
      s.search(ALICE, 'cafe').hits.map((h) => h.messageId),
      [ids.cafe],
    );
    assert.deepEqual(
      s.search(ALICE, 'tomorrowla').hits.map((h) => h.messageId),
      [ids.high],
    );
    assert.deepEqual(
      s.search(ALICE, 'hi').hits.map((h) => h.messageId),
      [ids.hi],
    );
    assert.deepEqual(
      s.search(DAVE, 'meeting').hits.map((h) => h.messageId),
      [ids.other],
    );
    assert.deepEqual(
      s.search(ALICE, 'mee', { conversationId: room.id }).hits.map((h) => h.messageId),
      [ids.cafe],
    );
    assert.deepEqual(
      s.search(ALICE, 'mee', { limit: 1 }).hits.map((h) => h.messageId),
      [ids.cafe],
    );
    const hit = s.search(ALICE, 'thursday').hits[0];
    assert.equal(hit.conversationId, bob.id);
    assert.equal(hit.peer, BOB);
    assert.equal(hit.snippet, 'The Meeting is moved to Thursday');
    s.close();
  } finally {
    t.cleanup();
  }
});

test('no false hits: near-miss prefixes, longer-than-bucket terms, missing words, other accounts', async () => {
  const t = tempDir();
  try {
    const { s } = await seeded(t);
    for (const q of [
      'meat',
      'meetings',
      'thursdays',
      'tomorrowlands',
      'tomorrowz',
      'h',
      'notes',
      'binary',
      'fp',
      'zzz',
      'meeting friday',
    ]) {
      assert.deepEqual(s.search(ALICE, q).hits, [], q);
    }
    assert.deepEqual(s.search('sip:nobody@ims.test', 'meeting').hits, []);
    s.close();
  } finally {
    t.cleanup();
  }
});

test('hostile queries never reach the FTS parser', async () => {
  const t = tempDir();
  try {
    const { s, ids } = await seeded(t);
    for (const q of [
      '"',
      '""',
      '*',
      'mee*',
      'NEAR(',
      'NEAR(meeting thursday)',
      'meeting AND',
      'OR',
      'NOT meeting',
      '(',
      ')',
      '^',
      ':',
      'tokens:x',
      '\u0000',
      "'; DROP TABLE messages; --",
      '-',
      '+',
      '{a b}',
      '',
      '   ',
      'x'.repeat(100_000),
      '"meeting" OR "x"',
    ]) {
      assert.doesNotThrow(() => s.search(ALICE, q), q.slice(0, 20));
    }
    assert.deepEqual(
      s.search(ALICE, '"meeting"*').hits.map((h) => h.messageId),
      [ids.meeting],
    );
    assert.deepEqual(s.search(ALICE, 'NEAR(meeting thursday)').hits, []); // 'near' is a plain word here, and absent
    assert.throws(
      () => s.search(ALICE, null as never),
      (e) => isParleyError(e, 'STORE_BAD_INPUT'),
    );
    assert.throws(
      () => s.search(ALICE, 'x', { limit: 0 }),
      (e) => isParleyError(e, 'STORE_BAD_INPUT'),
    );
    s.close();
  } finally {
    t.cleanup();
  }
});

test('the index holds keyed hashes only; tokens depend on the key and the per-database salt', async () => {
  const t = tempDir();
  try {
    const { s } = await seeded(t);
    const tokens = (s.db.prepare('SELECT * FROM message_fts_data').all() as { block: Buffer }[])
      .map((r) => r.block.toString('latin1'))
      .join('');
    assert.equal(/meet|thursday|cafe|monde/i.test(tokens), false);
    s.close();
    const salt = StoreCrypto.newSalt();
    const a = await StoreCrypto.create(key(3), salt);
    assert.equal(a.token('meet'), (await StoreCrypto.create(key(3), salt)).token('meet'));
    assert.notEqual(a.token('meet'), (await StoreCrypto.create(key(4), salt)).token('meet'));
    assert.notEqual(a.token('meet'), (await StoreCrypto.create(key(3), StoreCrypto.newSalt())).token('meet'));
    assert.match(a.token('meet'), /^t[0-9a-f]{16}$/);
  } finally {
    t.cleanup();
  }
});
