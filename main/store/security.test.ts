import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { HistoryStore } from './history';
import { isParleyError } from '../base/errors';
import { MAX_BODY_BYTES, MAX_URI_CHARS } from './limits';
import { clock, count, key, tempDir } from './testutil';

const ALICE = 'sip:alice@ims.test';
const BOB = 'sip:bob@ims.test';

test('a wrong key is refused on open with STORE_BAD_KEY; a malformed key too', async () => {
  const t = tempDir();
  try {
    const s = await HistoryStore.open(t.file('h.db'), key(1));
    s.openConversation(ALICE, { kind: 'direct', peer: BOB });
    s.close();
    await assert.rejects(HistoryStore.open(t.file('h.db'), key(2)), (e) => isParleyError(e, 'STORE_BAD_KEY'));
    await assert.rejects(HistoryStore.open(t.file('h.db'), new Uint8Array(16)), (e) => isParleyError(e, 'STORE_BAD_KEY'));
    const ok = await HistoryStore.open(t.file('h.db'), key(1));
    assert.equal(ok.listConversations(ALICE).length, 1);
    ok.close();
  } finally {
    t.cleanup();
  }
});

test('bodies, nicknames and titles are not stored in plaintext', async () => {
  const t = tempDir();
  try {
    const s = await HistoryStore.open(t.file('h.db'), key(1));
    const c = s.openConversation(ALICE, { kind: 'group', peer: 'sip:room@conf.ims.test', title: 'SecretTitleXYZ' });
    s.addMessage({
      conversationId: c.id,
      direction: 'in',
      senderAor: BOB,
      senderNickname: 'NickQWERTY',
      mode: 'conference',
      contentType: 'text/plain',
      body: 'PlaintextNeedle42 marmalade',
    });
    s.transfers.add({
      transferId: 'ft1',
      conversationId: c.id,
      direction: 'in',
      contentType: 'image/png',
      name: 'HolidayPhotoName.png',
      size: 10,
      path: '/home/u/HolidayPhotoName.png',
    });
    s.close();
    const raw = Buffer.concat([readFileSync(t.file('h.db')), readFileSync(t.file('h.db') + '-wal', { flag: 'a+' })]).toString('latin1');
    for (const secret of ['SecretTitleXYZ', 'NickQWERTY', 'PlaintextNeedle42', 'marmalade', 'marma', 'HolidayPhoto']) {
      assert.equal(raw.includes(secret), false, secret);
    }
    assert.ok(raw.includes('sip:room@conf.ims.test'), 'metadata stays in the clear (documented)');
  } finally {
    t.cleanup();
  }
});

test('ciphertext swapped between rows is detected, never shown as the other row', async () => {
  const t = tempDir();
  try {
    const s = await HistoryStore.open(t.file('h.db'), key(1), { now: clock().now });
    const c = s.openConversation(ALICE, { kind: 'direct', peer: BOB, title: 'T' });
    const c2 = s.openConversation(ALICE, { kind: 'direct', peer: 'sip:eve@ims.test', title: 'U' });
    const a = s.addMessage({
      conversationId: c.id,
      direction: 'out',
      senderAor: ALICE,
      mode: 'page',
      contentType: 'text/plain',
      body: 'first',
    });
    const b = s.addMessage({
      conversationId: c.id,
      direction: 'out',
      senderAor: ALICE,
      mode: 'page',
      contentType: 'text/plain',
      body: 'second',
    });
    const x = s.addMessage({
      conversationId: c2.id,
      direction: 'in',
      senderAor: 'sip:eve@ims.test',
      mode: 'page',
      contentType: 'text/plain',
      body: 'third',
    });
    const get = (id: number) => (s.db.prepare('SELECT payload FROM messages WHERE id = ?').get(id) as { payload: Buffer }).payload;
    const pa = get(a.id);
    const pb = get(b.id);
    s.db.prepare('UPDATE messages SET payload = ? WHERE id = ?').run(pb, a.id);
    s.db.prepare('UPDATE messages SET payload = ? WHERE id = ?').run(pa, b.id);
    const page = s.listMessages(c.id).messages;
    assert.equal(page.length, 2);
    for (const m of page) {
      assert.equal(m.body, null);
      assert.equal(m.atRestError, 'STORE_ROW_TAMPERED');
    }
    // Moving a row to another conversation (metadata tampering) breaks it too.
    s.db.prepare('UPDATE messages SET conversation_id = ? WHERE id = ?').run(c.id, x.id);
    assert.equal(s.getMessage(x.id).atRestError, 'STORE_ROW_TAMPERED');
    // Flipped ciphertext bit.
    const px = Buffer.from(get(x.id));
    px[px.length - 1] ^= 1;
    s.db.prepare('UPDATE messages SET payload = ?, conversation_id = ? WHERE id = ?').run(px, c2.id, x.id);
    assert.equal(s.getMessage(x.id).body, null);
    // Swapped titles.
    const ta = (s.db.prepare('SELECT title FROM conversations WHERE id = ?').get(c.id) as { title: Buffer }).title;
    s.db.prepare('UPDATE conversations SET title = ? WHERE id = ?').run(ta, c2.id);
    assert.equal(s.getConversation(c2.id).title, null);
    assert.equal(s.getConversation(c2.id).atRestError, 'STORE_ROW_TAMPERED');
    assert.equal(s.getConversation(c.id).title, 'T');
    // Search never returns tampered rows as hits.
    assert.equal(s.search(ALICE, 'first').hits.length, 0);
    s.close();
  } finally {
    t.cleanup();
  }
});

test('hostile text is stored verbatim and bounded', async () => {
  const t = tempDir();
  try {
    const s = await HistoryStore.open(t.file('h.db'), key(1));
    const c = s.openConversation(ALICE, { kind: 'direct', peer: BOB });
    const nasty = `'); DROP TABLE messages; --\u0000"quoted"\u0000 NEAR( * ^ \u202e\ud83d\ude00 \\ %_`;
    const m = s.addMessage({
      conversationId: c.id,
      direction: 'out',
      senderAor: ALICE,
      mode: 'page',
      contentType: 'text/plain',
      body: nasty,
      imdnMessageId: `x'"y`,
    });
    assert.equal(s.getMessage(m.id).body, nasty);
    assert.equal(s.findByImdnId(c.id, `x'"y`)?.id, m.id);
    const big = 'a'.repeat(MAX_BODY_BYTES);
    assert.equal(
      s.addMessage({ conversationId: c.id, direction: 'out', senderAor: ALICE, mode: 'page', contentType: 'text/plain', body: big }).body,
      big,
    );
    const tooBig = (e: unknown) => isParleyError(e, 'STORE_INPUT_TOO_LARGE');
    assert.throws(
      () =>
        s.addMessage({
          conversationId: c.id,
          direction: 'out',
          senderAor: ALICE,
          mode: 'page',
          contentType: 'text/plain',
          body: 'é'.repeat(MAX_BODY_BYTES / 2 + 1),
        }),
      tooBig,
    );
    assert.throws(
      () =>
        s.addMessage({
          conversationId: c.id,
          direction: 'out',
          senderAor: ALICE,
          mode: 'page',
          contentType: 'text/plain',
          body: new Uint8Array(MAX_BODY_BYTES + 1),
        }),
      tooBig,
    );
    assert.throws(() => s.openConversation(ALICE, { kind: 'direct', peer: 'sip:' + 'x'.repeat(MAX_URI_CHARS) }), tooBig);
    assert.throws(
      () =>
        s.addMessage({
          conversationId: c.id,
          direction: 'out',
          senderAor: ALICE,
          senderNickname: 'n'.repeat(10_000),
          mode: 'page',
          contentType: 'text/plain',
          body: 'x',
        }),
      tooBig,
    );
    const badInput = (e: unknown) => isParleyError(e, 'STORE_BAD_INPUT');
    assert.throws(() => s.openConversation(ALICE, { kind: 'direct', peer: "sip:bob@x\u0000'" }), badInput);
    assert.throws(() => s.openConversation(ALICE, { kind: 'direct', peer: "bob'; DROP TABLE accounts" }), badInput);
    assert.throws(
      () =>
        s.addMessage({
          conversationId: c.id,
          direction: 'sideways' as never,
          senderAor: ALICE,
          mode: 'page',
          contentType: 'text/plain',
          body: 'x',
        }),
      badInput,
    );
    assert.throws(
      () =>
        s.addMessage({
          conversationId: c.id,
          direction: 'out',
          senderAor: ALICE,
          mode: 'page',
          contentType: 'text/plain\r\nX: y',
          body: 'x',
        }),
      badInput,
    );
    assert.throws(
      () =>
        s.addMessage({
          conversationId: c.id,
          direction: 'out',
          senderAor: ALICE,
          mode: 'page',
          contentType: 'text/plain',
          body: 42 as never,
        }),
      badInput,
    );
    assert.throws(
      () =>
        s.addMessage({
          conversationId: c.id,
          direction: 'out',
          senderAor: ALICE,
          mode: 'page',
          contentType: 'text/plain',
          body: 'lone \ud800 surrogate',
        }),
      badInput,
    );
    assert.throws(() => s.openConversation(ALICE, { kind: 'group', peer: 'sip:room@x', title: 'bad \udc00' }), badInput);
    assert.throws(
      () => s.addMessage({ conversationId: 999, direction: 'out', senderAor: ALICE, mode: 'page', contentType: 'text/plain', body: 'x' }),
      (e) => isParleyError(e, 'STORE_NOT_FOUND'),
    );
    assert.throws(
      () =>
        s.addMessage({
          conversationId: c.id,
          direction: 'out',
          senderAor: ALICE,
          mode: 'page',
          contentType: 'text/plain',
          body: 'x',
          createdAt: -1,
        }),
      badInput,
    );
    assert.equal(count(s.db, "SELECT count(*) AS n FROM sqlite_master WHERE name = 'messages'"), 1);
    s.close();
  } finally {
    t.cleanup();
  }
});
