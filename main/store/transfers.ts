// File-transfer records (RFC 5547 file selectors and progress); name, hash and local path are sealed at rest.
import { ParleyError } from '../base/errors';
import { stmt, type Db } from './db';
import type { StoreCrypto } from './crypto';
import { toTransfer, transferAd, type TransferRow } from './rows';
import { canTransferTransition, isTransferTerminal, TRANSFER_STATES, type TransferState } from './states';
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
    return this.db
      .transaction(() => {
        this.conversation(r.conversation_id);
        if (
          r.message_id !== null &&
          !stmt(this.db, 'SELECT 1 FROM messages WHERE id = ? AND conversation_id = ?').get(r.message_id, r.conversation_id)
        ) {
          throw new ParleyError('STORE_NOT_FOUND', `no message ${r.message_id} in conversation ${r.conversation_id}`, {
            messageId: r.message_id,
          });
        }
        if (stmt(this.db, 'SELECT 1 FROM file_transfers WHERE transfer_id = ?').get(r.transfer_id)) {
          throw new ParleyError('STORE_DUPLICATE_TRANSFER', 'a transfer with this id is already stored', { transferId: r.transfer_id });
        }
        const seq = stmt(this.db, "SELECT seq FROM sqlite_sequence WHERE name = 'file_transfers'").get() as { seq: number } | undefined;
        const id = (seq?.seq ?? 0) + 1;
        const now = this.now();
        stmt(
          this.db,
          `INSERT INTO file_transfers (id, transfer_id, conversation_id, message_id, direction, content_type, size, sealed, state,
        bytes_done, created_at, updated_at) VALUES (@id, @transfer_id, @conversation_id, @message_id, @direction, @content_type, @size, @sealed,
        @state, @bytes_done, @now, @now)`,
        ).run({ ...r, id, now, sealed: this.crypto.sealText(meta, transferAd({ id, ...r })), bytes_done: r.state === 'done' ? r.size : 0 });
        return this.get(r.transfer_id)!;
      })
      .immediate();
  }

  get(transferId: string): FileTransfer | null {
    const row = stmt(this.db, 'SELECT * FROM file_transfers WHERE transfer_id = ?').get(
      L.str('transferId', transferId, L.MAX_TRANSFER_ID_CHARS),
    ) as TransferRow | undefined;
    return row ? toTransfer(row, this.crypto) : null;
  }

  list(conversationId: number): FileTransfer[] {
    const rows = stmt(this.db, 'SELECT * FROM file_transfers WHERE conversation_id = ? ORDER BY created_at, id').all(
      L.int('conversationId', conversationId, 1, Number.MAX_SAFE_INTEGER),
    ) as TransferRow[];
    return rows.map((r) => toTransfer(r, this.crypto));
  }

  /**
   * Progress, state and local path. bytesDone never exceeds size and never goes back; terminal states
   * (done/failed/cancelled) are final: updates after them return changed: false. 'done' sets bytesDone = size.
   * `path` (where a received file was saved) may be given with the update that leaves a non-terminal state.
   */
  update(
    transferId: string,
    upd: { state?: TransferState; bytesDone?: number; path?: string },
  ): { changed: boolean; transfer: FileTransfer } {
    const to = upd.state === undefined ? undefined : L.oneOf('state', upd.state, TRANSFER_STATES);
    const path = upd.path === undefined ? undefined : L.str('path', upd.path, L.MAX_FILE_PATH_CHARS);
    return this.db
      .transaction(() => {
        const row = stmt(this.db, 'SELECT * FROM file_transfers WHERE transfer_id = ?').get(
          L.str('transferId', transferId, L.MAX_TRANSFER_ID_CHARS),
        ) as TransferRow | undefined;
        if (!row) throw new ParleyError('STORE_NOT_FOUND', `no transfer ${transferId}`, { transferId });
        const cur = toTransfer(row, this.crypto);
        const bytes = upd.bytesDone === undefined ? cur.bytesDone : L.int('bytesDone', upd.bytesDone, 0, cur.size);
        if (isTransferTerminal(cur.state) || (to !== undefined && !canTransferTransition(cur.state, to)))
          return { changed: false, transfer: cur };
        const next = to ?? cur.state;
        const done = next === 'done' ? cur.size : Math.max(cur.bytesDone, bytes);
        const newPath = path !== undefined && path !== cur.path;
        if (next === cur.state && done === cur.bytesDone && !newPath) return { changed: false, transfer: cur };
        if (newPath) {
          if (cur.atRestError)
            throw new ParleyError('STORE_ROW_TAMPERED', `transfer ${transferId} failed authentication at rest`, { transferId });
          const meta = JSON.stringify({ name: cur.name, hash: cur.hash, path });
          stmt(this.db, 'UPDATE file_transfers SET sealed = ? WHERE id = ?').run(this.crypto.sealText(meta, transferAd(row)), row.id);
        }
        stmt(this.db, 'UPDATE file_transfers SET state = ?, bytes_done = ?, updated_at = ? WHERE id = ?').run(
          next,
          done,
          this.now(),
          row.id,
        );
        return { changed: true, transfer: this.get(transferId)! };
      })
      .immediate();
  }
}
