// File-transfer records (RFC 5547 file selectors and progress); name, hash and local path are sealed at rest.
import { ParleyError } from '../util/errors';
import { stmt, type Db } from './db';
import type { StoreCrypto } from './crypto';
import { toTransfer, transferAd, type TransferRow } from './rows';
import { canTransferTransition, TRANSFER_STATES, type TransferState } from './states';
import * as L from './limits';
import type { Conversation, FileTransfer, NewFileTransfer } from './types';

export class Transfers {
  constructor(
    private readonly db: Db,
    private readonly crypto: StoreCrypto,
    private readonly now: () => number,
    private readonly conversation: (id: number) => Conversation,
  ) {}

  add(input: NewFileTransfer): FileTransfer {
    const r = {
      transfer_id: L.str('transferId', input.transferId, L.MAX_TRANSFER_ID_CHARS),
      conversation_id: L.int('conversationId', input.conversationId, 1, Number.MAX_SAFE_INTEGER),
      message_id: L.optInt('messageId', input.messageId, 1, Number.MAX_SAFE_INTEGER),
      direction: L.oneOf('direction', input.direction, ['in', 'out'] as const),
      content_type: L.str('contentType', input.contentType, L.MAX_CONTENT_TYPE_CHARS),
      size: L.int('size', input.size, 0, L.MAX_FILE_SIZE),
      state: L.oneOf('state', input.state, TRANSFER_STATES, 'pending'),
    };
    const meta = JSON.stringify({
      name: L.str('name', input.name, L.MAX_FILE_NAME_CHARS),
      hash: L.str('hash', input.hash, L.MAX_HASH_CHARS, true),
      path: L.str('path', input.path, L.MAX_FILE_PATH_CHARS, true),
    });
    return this.db.transaction(() => {
      this.conversation(r.conversation_id);
      if (r.message_id !== null && !stmt(this.db, 'SELECT 1 FROM messages WHERE id = ? AND conversation_id = ?').get(r.message_id, r.conversation_id)) {
        throw new ParleyError('STORE_NOT_FOUND', `no message ${r.message_id} in conversation ${r.conversation_id}`, { messageId: r.message_id });
      }
      if (stmt(this.db, 'SELECT 1 FROM file_transfers WHERE transfer_id = ?').get(r.transfer_id)) {
        throw new ParleyError('STORE_DUPLICATE_TRANSFER', 'a transfer with this id is already stored', { transferId: r.transfer_id });
      }
      const seq = stmt(this.db, "SELECT seq FROM sqlite_sequence WHERE name = 'file_transfers'").get() as { seq: number } | undefined;
      const id = (seq?.seq ?? 0) + 1;
      const now = this.now();
      stmt(this.db, `INSERT INTO file_transfers (id, transfer_id, conversation_id, message_id, direction, content_type, size, sealed, state,
        bytes_done, created_at, updated_at) VALUES (@id, @transfer_id, @conversation_id, @message_id, @direction, @content_type, @size, @sealed,
        @state, @bytes_done, @now, @now)`)
        .run({ ...r, id, now, sealed: this.crypto.sealText(meta, transferAd({ id, ...r })), bytes_done: r.state === 'done' ? r.size : 0 });
      return this.get(r.transfer_id)!;
    }).immediate();
  }

  get(transferId: string): FileTransfer | null {
    const row = stmt(this.db, 'SELECT * FROM file_transfers WHERE transfer_id = ?').get(L.str('transferId', transferId, L.MAX_TRANSFER_ID_CHARS)) as TransferRow | undefined;
    return row ? toTransfer(row, this.crypto) : null;
  }

  list(conversationId: number): FileTransfer[] {
    const rows = stmt(this.db, 'SELECT * FROM file_transfers WHERE conversation_id = ? ORDER BY created_at, id')
      .all(L.int('conversationId', conversationId, 1, Number.MAX_SAFE_INTEGER)) as TransferRow[];
    return rows.map((r) => toTransfer(r, this.crypto));
  }

  /**
   * Progress and state. bytesDone never exceeds size and never goes back; terminal
   * states (done/failed/cancelled) are final: updates to them return changed: false. 'done' sets bytesDone = size.
   */
  update(transferId: string, upd: { state?: TransferState; bytesDone?: number }): { changed: boolean; transfer: FileTransfer } {
    const to = upd.state === undefined ? undefined : L.oneOf('state', upd.state, TRANSFER_STATES);
    return this.db.transaction(() => {
      const cur = this.get(transferId);
      if (!cur) throw new ParleyError('STORE_NOT_FOUND', `no transfer ${transferId}`, { transferId });
      const bytes = upd.bytesDone === undefined ? cur.bytesDone : L.int('bytesDone', upd.bytesDone, 0, cur.size);
      const stateOk = to === undefined || canTransferTransition(cur.state, to);
      const terminal = cur.state === 'done' || cur.state === 'failed' || cur.state === 'cancelled';
      if (terminal || !stateOk) return { changed: false, transfer: cur };
      const next = to ?? cur.state;
      const done = next === 'done' ? cur.size : Math.max(cur.bytesDone, bytes);
      if (next === cur.state && done === cur.bytesDone) return { changed: false, transfer: cur };
      stmt(this.db, 'UPDATE file_transfers SET state = ?, bytes_done = ?, updated_at = ? WHERE id = ?').run(next, done, this.now(), cur.id);
      return { changed: true, transfer: this.get(transferId)! };
    }).immediate();
  }
}
