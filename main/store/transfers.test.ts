import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HistoryStore } from './history';
import { isParleyError } from '../base/errors';
import { clock, key, tempDir } from './testutil';

const ALICE = 'sip:alice@ims.test';
const BOB = 'sip:bob@ims.test';

test('file-transfer rows: create, progress, terminal states, sealed metadata', async () => {
  const t = tempDir();
  try {
    const c = clock();
    const s = await HistoryStore.open(t.file('h.db'), key(1), { now: c.now });
    const conv = s.openConversation(ALICE, { kind: 'direct', peer: BOB });
    const msg = s.addMessage({
      conversationId: conv.id,
      direction: 'in',
      senderAor: BOB,
      mode: 'session',
      contentType: 'message/cpim',
      body: 'file offer',
    });
    const ft = s.transfers.add({
      transferId: 'f-1',
      conversationId: conv.id,
      messageId: msg.id,
      direction: 'in',
      contentType: 'image/jpeg',
      name: 'o\'brien "pic".jpg',
      size: 1000,
      hash: 'sha-1:72:24:5F',
      path: '/tmp/x.jpg',
    });
    assert.deepEqual(
      [ft.state, ft.bytesDone, ft.name, ft.hash, ft.path, ft.messageId],
      ['pending', 0, 'o\'brien "pic".jpg', 'sha-1:72:24:5F', '/tmp/x.jpg', msg.id],
    );
    c.tick();
    assert.equal(s.transfers.update('f-1', { state: 'active', bytesDone: 400 }).transfer.bytesDone, 400);
    assert.equal(s.transfers.update('f-1', { bytesDone: 100 }).changed, false, 'progress never goes back');
    assert.equal(s.transfers.update('f-1', { state: 'pending' }).changed, false);
    assert.throws(
      () => s.transfers.update('f-1', { bytesDone: 1001 }),
      (e) => isParleyError(e, 'STORE_BAD_INPUT'),
    );
    const done = s.transfers.update('f-1', { state: 'done', path: '/home/u/Downloads/pic.jpg' });
    assert.equal(done.transfer.path, '/home/u/Downloads/pic.jpg');
    assert.equal(done.transfer.name, 'o\'brien "pic".jpg');
    assert.equal(s.transfers.update('f-1', { path: '/elsewhere' }).changed, false, 'terminal: path frozen too');
    assert.deepEqual([done.changed, done.transfer.state, done.transfer.bytesDone, done.transfer.updatedAt], [true, 'done', 1000, c.now()]);
    assert.equal(s.transfers.update('f-1', { state: 'failed' }).changed, false, 'terminal');
    assert.throws(
      () => s.transfers.add({ transferId: 'f-1', conversationId: conv.id, direction: 'out', contentType: 'a/b', name: 'n', size: 1 }),
      (e) => isParleyError(e, 'STORE_DUPLICATE_TRANSFER'),
    );
    assert.throws(
      () =>
        s.transfers.add({
          transferId: 'f-2',
          conversationId: conv.id,
          messageId: 999,
          direction: 'out',
          contentType: 'a/b',
          name: 'n',
          size: 1,
        }),
      (e) => isParleyError(e, 'STORE_NOT_FOUND'),
    );
    assert.throws(
      () => s.transfers.update('nope', { state: 'done' }),
      (e) => isParleyError(e, 'STORE_NOT_FOUND'),
    );
    s.transfers.add({ transferId: 'f-3', conversationId: conv.id, direction: 'out', contentType: 'text/plain', name: 'b.txt', size: 0 });
    assert.equal(s.transfers.update('f-3', { state: 'cancelled' }).transfer.state, 'cancelled');
    assert.deepEqual(
      s.transfers.list(conv.id).map((x) => x.transferId),
      ['f-1', 'f-3'],
    );
    // Sealed columns bound to their row.
    const a = s.db.prepare("SELECT sealed FROM file_transfers WHERE transfer_id = 'f-1'").get() as { sealed: Buffer };
    s.db.prepare("UPDATE file_transfers SET sealed = ? WHERE transfer_id = 'f-3'").run(a.sealed);
    const moved = s.transfers.get('f-3')!;
    assert.deepEqual([moved.name, moved.atRestError], [null, 'STORE_ROW_TAMPERED']);
    s.deleteMessage(msg.id);
    assert.equal(s.transfers.get('f-1')?.messageId, null);
    s.close();
  } finally {
    t.cleanup();
  }
});
