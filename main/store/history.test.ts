import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { HistoryStore, KEY_CHANGE_CONTENT_TYPE } from './history';
import { MIGRATIONS, LATEST_VERSION } from './migrations';
import { isParleyError } from '../base/errors';
import { clock, count, key, tempDir } from './testutil';

const ALICE = 'sip:alice@ims.test';
const BOB = 'sip:bob@ims.test';

async function fresh(t: ReturnType<typeof tempDir>, c = clock()) {
  const store = await HistoryStore.open(t.file('h.db'), key(1), { now: c.now });
  const conv = store.openConversation(ALICE, { kind: 'direct', peer: BOB });
  return { store, conv, c };
}

test('open from empty reaches the latest schema; reopening keeps data', async () => {
  const t = tempDir();
  try {
    const { store, conv } = await fresh(t);
    assert.equal(store.db.pragma('user_version', { simple: true }), LATEST_VERSION);
    store.addMessage({
      conversationId: conv.id,
      direction: 'out',
      senderAor: ALICE,
      mode: 'page',
      contentType: 'text/plain',
      body: 'hello',
    });
    store.close();
    const again = await HistoryStore.open(t.file('h.db'), key(1));
    assert.equal(again.listMessages(conv.id).messages[0].body, 'hello');
    again.close();
  } finally {
    t.cleanup();
  }
});

test('migration v1 -> latest keeps rows and backfills the search index', async () => {
  const t = tempDir();
  try {
    const v1 = await HistoryStore.open(t.file('h.db'), key(1), { migrations: MIGRATIONS.slice(0, 1) });
    assert.equal(v1.version, 1);
    const conv = v1.openConversation(ALICE, { kind: 'direct', peer: BOB, title: 'Bob' });
    v1.addMessage({
      conversationId: conv.id,
      direction: 'in',
      senderAor: BOB,
      mode: 'page',
      contentType: 'text/plain',
      body: 'lunch tomorrow?',
    });
    v1.addMessage({ conversationId: conv.id, direction: 'out', senderAor: ALICE, mode: 'page', contentType: 'text/plain', body: 'sure' });
    assert.equal(count(v1.db, "SELECT count(*) AS n FROM sqlite_master WHERE name = 'message_fts'"), 0);
    v1.close();
    const v2 = await HistoryStore.open(t.file('h.db'), key(1));
    assert.equal(v2.version, LATEST_VERSION);
    const page = v2.listMessages(conv.id);
    assert.deepEqual(
      page.messages.map((m) => m.body),
      ['sure', 'lunch tomorrow?'],
    );
    assert.equal(v2.getConversation(conv.id).title, 'Bob');
    assert.equal(v2.getConversation(conv.id).unreadCount, 1);
    assert.deepEqual(
      v2.search(ALICE, 'tomorrow').hits.map((h) => h.messageId),
      [page.messages[1].id],
    );
    v2.close();
  } finally {
    t.cleanup();
  }
});

test('a database from a newer build is refused', async () => {
  const t = tempDir();
  try {
    (await HistoryStore.open(t.file('h.db'), key(1))).close();
    const raw = new Database(t.file('h.db'));
    raw.pragma(`user_version = ${LATEST_VERSION + 1}`);
    raw.close();
    await assert.rejects(HistoryStore.open(t.file('h.db'), key(1)), (e) => isParleyError(e, 'STORE_SCHEMA_TOO_NEW'));
  } finally {
    t.cleanup();
  }
});

test('paging: newest first, stable cursor with equal timestamps, unaffected by new inserts', async () => {
  const t = tempDir();
  try {
    const { store, conv, c } = await fresh(t);
    const ids: number[] = [];
    for (let i = 0; i < 23; i++) {
      if (i % 5 === 0) c.tick(1000); // groups of equal created_at
      ids.push(
        store.addMessage({
          conversationId: conv.id,
          direction: 'out',
          senderAor: ALICE,
          mode: 'page',
          contentType: 'text/plain',
          body: `m${i}`,
        }).id,
      );
    }
    const seen: number[] = [];
    let page = store.listMessages(conv.id, { limit: 4 });
    let first = true;
    for (;;) {
      seen.push(...page.messages.map((m) => m.id));
      if (first) {
        // A newer message arriving mid-scroll must not shift older pages.
        c.tick(1000);
        store.addMessage({
          conversationId: conv.id,
          direction: 'in',
          senderAor: BOB,
          mode: 'page',
          contentType: 'text/plain',
          body: 'late',
        });
        first = false;
      }
      if (!page.next) break;
      page = store.listMessages(conv.id, { before: page.next, limit: 4 });
    }
    assert.deepEqual(seen, [...ids].reverse());
    const all = store.listMessages(conv.id, { limit: 200 });
    assert.equal(all.next, null);
    assert.equal(all.messages[0].body, 'late');
    assert.equal(store.listMessages(conv.id, { before: { createdAt: 0, id: 0 } }).messages.length, 0);
    assert.throws(
      () => store.listMessages(conv.id, { limit: 0 }),
      (e) => isParleyError(e, 'STORE_BAD_INPUT'),
    );
    assert.throws(
      () => store.listMessages(conv.id, { limit: 201 }),
      (e) => isParleyError(e, 'STORE_BAD_INPUT'),
    );
    store.close();
  } finally {
    t.cleanup();
  }
});

test('message fields round-trip, binary bodies included', async () => {
  const t = tempDir();
  try {
    const { store, conv } = await fresh(t);
    const bin = new Uint8Array([0, 1, 2, 255, 0]);
    const m = store.addMessage({
      conversationId: conv.id,
      imdnMessageId: 'Xy12',
      direction: 'in',
      senderAor: BOB,
      senderNickname: 'Bobby',
      mode: 'conference',
      contentType: 'application/octet-stream',
      body: bin,
      createdAt: 5,
      sentAt: 4,
      receivedAt: 5,
      security: { e2e: 'psk', e2eVerified: true, errorCode: null, tls: true },
    });
    assert.deepEqual(m.body, bin);
    assert.equal(m.senderNickname, 'Bobby');
    assert.equal(m.state, 'delivered');
    assert.deepEqual(m.security, { e2e: 'psk', e2eVerified: true, errorCode: null, tls: true });
    assert.equal(store.findByImdnId(conv.id, 'Xy12')?.id, m.id);
    assert.throws(
      () =>
        store.addMessage({
          conversationId: conv.id,
          imdnMessageId: 'Xy12',
          direction: 'in',
          senderAor: BOB,
          mode: 'page',
          contentType: 'text/plain',
          body: 'dup',
        }),
      (e) => isParleyError(e, 'STORE_DUPLICATE_MESSAGE') && e.details?.id === m.id,
    );
    const other = store.openConversation(ALICE, { kind: 'group', peer: 'sip:room1@conf.ims.test' });
    store.addMessage({
      conversationId: other.id,
      imdnMessageId: 'Xy12',
      direction: 'in',
      senderAor: BOB,
      mode: 'conference',
      contentType: 'text/plain',
      body: 'same id, other conversation',
    });
    store.close();
  } finally {
    t.cleanup();
  }
});

test('state transitions never go backwards; failed is terminal unless retried', async () => {
  const t = tempDir();
  try {
    const { store, conv } = await fresh(t);
    const m = store.addMessage({
      conversationId: conv.id,
      imdnMessageId: 'a1',
      direction: 'out',
      senderAor: ALICE,
      mode: 'page',
      contentType: 'text/plain',
      body: 'x',
    });
    assert.equal(m.state, 'queued');
    assert.equal(store.updateState(m.id, 'sending').changed, true);
    const sent = store.updateState(m.id, 'stored', { at: 77 });
    assert.equal(sent.message.sentAt, 77);
    assert.equal(store.updateStateByImdn(conv.id, 'a1', 'displayed')?.changed, true);
    const late = store.updateStateByImdn(conv.id, 'a1', 'delivered');
    assert.equal(late?.changed, false);
    assert.equal(late?.message.state, 'displayed');
    assert.equal(store.updateState(m.id, 'sending').changed, false);
    assert.equal(store.updateState(m.id, 'failed').changed, false);
    assert.equal(store.updateStateByImdn(conv.id, 'nope', 'delivered'), null);

    const f = store.addMessage({
      conversationId: conv.id,
      direction: 'out',
      senderAor: ALICE,
      mode: 'page',
      contentType: 'text/plain',
      body: 'y',
    });
    store.updateState(f.id, 'sending');
    const failed = store.updateState(f.id, 'failed', { failureCode: 480, failureReason: 'Temporarily Unavailable' });
    assert.equal(failed.message.failureCode, 480);
    assert.equal(failed.message.failureReason, 'Temporarily Unavailable');
    assert.equal(store.updateState(f.id, 'delivered').changed, false);
    assert.equal(store.updateState(f.id, 'sending').changed, false);
    assert.throws(
      () => store.retry(m.id),
      (e) => isParleyError(e, 'STORE_BAD_STATE'),
    );
    const retried = store.retry(f.id);
    assert.equal(retried.state, 'queued');
    assert.equal(retried.failureCode, null);
    assert.equal(retried.attempts, 1);
    assert.equal(store.updateState(f.id, 'sending').changed, true);
    assert.throws(
      () => store.updateState(f.id, 'bogus' as never),
      (e) => isParleyError(e, 'STORE_BAD_INPUT'),
    );
    store.close();
  } finally {
    t.cleanup();
  }
});

test('unread counts, markRead receipts and conversation list previews', async () => {
  const t = tempDir();
  try {
    const { store, conv, c } = await fresh(t);
    const carol = store.openConversation(ALICE, { kind: 'direct', peer: 'sip:carol@ims.test', title: 'Carol Project' });
    c.tick();
    const a = store.addMessage({
      conversationId: conv.id,
      imdnMessageId: 'i1',
      direction: 'in',
      senderAor: BOB,
      mode: 'page',
      contentType: 'text/plain',
      body: 'one',
    });
    c.tick();
    store.addMessage({
      conversationId: conv.id,
      imdnMessageId: 'i2',
      direction: 'in',
      senderAor: BOB,
      mode: 'page',
      contentType: 'text/plain',
      body: 'two\nlines',
    });
    c.tick();
    store.addKeyChange(conv.id, { aor: BOB, oldFingerprint: 'aa', newFingerprint: 'bb' });
    c.tick();
    store.addMessage({
      conversationId: carol.id,
      direction: 'out',
      senderAor: ALICE,
      mode: 'session',
      contentType: 'text/plain',
      body: 'hey carol',
    });
    let list = store.listConversations(ALICE);
    assert.deepEqual(
      list.map((x) => x.peer),
      ['sip:carol@ims.test', BOB],
    );
    assert.equal(list[1].unreadCount, 2);
    assert.equal(list[1].lastMessage?.system, 'key-change');
    assert.equal(list[0].lastMessage?.preview, 'hey carol');
    assert.equal(list[0].title, 'Carol Project');
    assert.deepEqual(
      store.listConversations(ALICE, { search: 'project' }).map((x) => x.id),
      [carol.id],
    );
    assert.deepEqual(
      store.listConversations(ALICE, { search: 'BOB@' }).map((x) => x.id),
      [conv.id],
    );
    assert.deepEqual(store.listConversations(ALICE, { search: '%' }), []);
    assert.deepEqual(store.listConversations('sip:nobody@ims.test'), []);

    const receipts = store.markRead(conv.id);
    assert.deepEqual(
      receipts.map((r) => r.imdnMessageId),
      ['i1', 'i2'],
    );
    assert.equal(store.getMessage(a.id).state, 'displayed');
    assert.equal(store.getConversation(conv.id).unreadCount, 0);
    assert.deepEqual(store.markRead(conv.id), []);
    const ks = store.listMessages(conv.id).messages[0];
    assert.equal(ks.contentType, KEY_CHANGE_CONTENT_TYPE);
    assert.deepEqual(JSON.parse(ks.body as string), { type: 'key-change', aor: BOB, oldFingerprint: 'aa', newFingerprint: 'bb' });

    c.tick();
    const b = store.addMessage({
      conversationId: conv.id,
      direction: 'in',
      senderAor: BOB,
      mode: 'page',
      contentType: 'text/plain',
      body: 'three',
    });
    assert.equal(store.getConversation(conv.id).unreadCount, 1);
    store.updateState(b.id, 'displayed');
    assert.equal(store.getConversation(conv.id).unreadCount, 0);
    list = store.listConversations(ALICE);
    assert.equal(list[0].id, conv.id);
    store.close();
  } finally {
    t.cleanup();
  }
});

test('conversation preferences and deletion', async () => {
  const t = tempDir();
  try {
    const { store, conv } = await fresh(t);
    const u = store.updateConversation(conv.id, { muted: true, preferredMode: 'session', e2ePolicy: 'require', title: 'B' });
    assert.deepEqual([u.muted, u.preferredMode, u.e2ePolicy, u.title], [true, 'session', 'require', 'B']);
    assert.equal(store.openConversation(ALICE, { kind: 'direct', peer: BOB }).id, conv.id);
    assert.throws(
      () => store.updateConversation(conv.id, { preferredMode: 'fax' as never }),
      (e) => isParleyError(e, 'STORE_BAD_INPUT'),
    );
    const m = store.addMessage({
      conversationId: conv.id,
      direction: 'out',
      senderAor: ALICE,
      mode: 'page',
      contentType: 'text/plain',
      body: 'findme',
    });
    store.deleteMessage(m.id);
    assert.equal(store.search(ALICE, 'findme').hits.length, 0);
    store.addMessage({
      conversationId: conv.id,
      direction: 'out',
      senderAor: ALICE,
      mode: 'page',
      contentType: 'text/plain',
      body: 'findme again',
    });
    store.deleteConversation(conv.id);
    assert.throws(
      () => store.getConversation(conv.id),
      (e) => isParleyError(e, 'STORE_NOT_FOUND'),
    );
    assert.equal(store.search(ALICE, 'findme').hits.length, 0);
    assert.equal(count(store.db, 'SELECT count(*) AS n FROM messages'), 0);
    store.close();
  } finally {
    t.cleanup();
  }
});
