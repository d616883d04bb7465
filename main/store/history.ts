// Conversation history store: accounts, conversations, messages with delivery states, paging, search (SQLite, docs/store.md).
import sodium from 'libsodium-wrappers-sumo';
import type Database from 'better-sqlite3';
import { ParleyError } from '../base/errors';
import { migrate, openDatabase, schemaVersion, stmt, type Db, type Migration } from './db';
import { DATA_KEY_BYTES, StoreCrypto, encodePayload } from './crypto';
import { MIGRATIONS, type StoreEnv } from './migrations';
import { indexMessage, searchMessages, type SearchOptions } from './fts';
import { messageAd, messageText, titleAd, toConversation, toMessage, type ConversationRow, type MessageRow } from './rows';
import { canTransition, MESSAGE_STATES, type MessageState } from './states';
import { preview, normalize } from './text';
import * as L from './limits';
import { Contacts } from './contacts';
import { Transfers } from './transfers';
import type {
  Conversation,
  ConversationKind,
  ConversationSummary,
  E2ePolicy,
  KeyChange,
  MessageCursor,
  MessagePage,
  NewMessage,
  PreferredMode,
  SearchResult,
  StoredMessage,
} from './types';

/** Schema version that introduced the full-text index (migrations.ts v2). */
const FTS_SINCE_VERSION = 2;

export const KEY_CHANGE_CONTENT_TYPE = 'application/vnd.parley.key-change+json';

export interface OpenStoreOptions {
  /** Clock in ms (injected for tests). */
  now?: () => number;
  /** Schema steps; defaults to all known migrations (tests pass a prefix to build old databases). */
  migrations?: readonly Migration<StoreEnv>[];
}

export interface ConversationPatch {
  title?: string | null;
  muted?: boolean;
  blocked?: boolean;
  preferredMode?: PreferredMode;
  e2ePolicy?: E2ePolicy;
}

export interface StateUpdate {
  failureCode?: number;
  failureReason?: string;
  at?: number;
}

export interface ReadReceipt {
  id: number;
  imdnMessageId: string | null;
  senderAor: string;
}

const CONV_SELECT = 'SELECT c.*, a.aor AS account FROM conversations c JOIN accounts a ON a.id = c.account_id';

export class HistoryStore {
  readonly contacts: Contacts;
  readonly transfers: Transfers;

  /** Schema version in use (below latest only when opened with an older migration list, as tests do). */
  readonly version: number;

  /** One reusable transaction wrapper (db.transaction() per call is costly); nested use becomes a savepoint. */
  private readonly tx: Database.Transaction<(fn: () => unknown) => unknown>;

  private constructor(
    readonly db: Db,
    private readonly crypto: StoreCrypto,
    private readonly now: () => number,
  ) {
    this.version = schemaVersion(db);
    this.tx = db.transaction((fn: () => unknown) => fn());
    this.contacts = new Contacts(db, now, (aor, create) => this.accountId(aor, create));
    this.transfers = new Transfers(db, crypto, now, (id) => this.getConversation(id));
  }

  /** Opens or creates the store. Throws STORE_BAD_KEY for a wrong key, STORE_SCHEMA_TOO_NEW for a newer schema. */
  static async open(path: string, dataKey: Uint8Array, opts: OpenStoreOptions = {}): Promise<HistoryStore> {
    await sodium.ready;
    if (!(dataKey instanceof Uint8Array) || dataKey.length !== DATA_KEY_BYTES) {
      throw new ParleyError('STORE_BAD_KEY', `data key must be ${DATA_KEY_BYTES} bytes`);
    }
    const migrations = opts.migrations ?? MIGRATIONS;
    const db = openDatabase(path, { latestVersion: migrations.length });
    try {
      let salt: Uint8Array;
      let kcv: Uint8Array | null = null;
      if (schemaVersion(db) >= 1) {
        const meta = new Map(
          (stmt(db, 'SELECT key, value FROM meta').all() as { key: string; value: unknown }[]).map((r) => [r.key, r.value]),
        );
        const s = meta.get('salt');
        const k = meta.get('kcv');
        if (!(s instanceof Uint8Array) || !(k instanceof Uint8Array))
          throw new ParleyError('STORE_CORRUPT', 'history database has no key check value');
        if (meta.get('format') !== 1)
          throw new ParleyError('STORE_CORRUPT', 'unknown at-rest format', { format: String(meta.get('format')) });
        salt = s;
        kcv = k;
      } else {
        salt = StoreCrypto.newSalt();
      }
      const crypto = await StoreCrypto.create(dataKey, salt);
      // Verify the key before any migration touches rows.
      if (kcv && !crypto.matchesKcv(kcv)) throw new ParleyError('STORE_BAD_KEY', 'the data key does not open this history database');
      migrate(db, migrations, { crypto, salt });
      return new HistoryStore(db, crypto, opts.now ?? Date.now);
    } catch (e) {
      db.close();
      throw e;
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /**
   * Runs `fn` in one IMMEDIATE transaction (takes the write lock up front, so the message id read from sqlite_sequence
   * cannot race another writer); many inserts in one batch share one commit. Nested calls become savepoints.
   */
  batch<T>(fn: () => T): T {
    return this.tx.immediate(fn) as T;
  }

  // ---- accounts

  private accountId(aor: string, create: boolean): number | null {
    const a = L.uri('account', aor);
    const row = stmt(this.db, 'SELECT id FROM accounts WHERE aor = ?').get(a) as { id: number } | undefined;
    if (row) return row.id;
    if (!create) return null;
    return Number(stmt(this.db, 'INSERT INTO accounts (aor, created_at) VALUES (?, ?)').run(a, this.now()).lastInsertRowid);
  }

  // ---- conversations

  /** Returns the conversation of this account with this peer/room, creating it if needed. */
  openConversation(account: string, spec: { kind: ConversationKind; peer: string; title?: string | null }): Conversation {
    const kind = L.oneOf('kind', spec.kind, ['direct', 'group', 'list'] as const);
    const peer = L.uri('peer', spec.peer);
    const title = L.str('title', spec.title, L.MAX_TITLE_CHARS, true);
    return this.batch(() => {
      const accountId = this.accountId(account, true)!;
      const existing = stmt(this.db, 'SELECT id FROM conversations WHERE account_id = ? AND kind = ? AND peer = ?').get(
        accountId,
        kind,
        peer,
      ) as { id: number } | undefined;
      if (existing) return this.getConversation(existing.id);
      const now = this.now();
      const blocked = kind === 'direct' && this.contacts.isBlocked(account, peer) ? 1 : 0;
      const id = Number(
        stmt(
          this.db,
          'INSERT INTO conversations (account_id, kind, peer, last_activity, created_at, blocked) VALUES (?, ?, ?, ?, ?, ?)',
        ).run(accountId, kind, peer, now, now, blocked).lastInsertRowid,
      );
      if (title !== null) this.setTitle(id, title);
      return this.getConversation(id);
    });
  }

  getConversation(id: number): Conversation {
    const row = stmt(this.db, `${CONV_SELECT} WHERE c.id = ?`).get(L.int('conversationId', id, 1, Number.MAX_SAFE_INTEGER)) as
      ConversationRow | undefined;
    if (!row) throw new ParleyError('STORE_NOT_FOUND', `no conversation ${id}`, { conversationId: id });
    return toConversation(row, this.crypto);
  }

  private setTitle(id: number, title: string | null): void {
    const row = stmt(this.db, 'SELECT id, account_id, kind, peer FROM conversations WHERE id = ?').get(id) as ConversationRow;
    stmt(this.db, 'UPDATE conversations SET title = ? WHERE id = ?').run(
      title === null ? null : this.crypto.sealText(title, titleAd(row)),
      id,
    );
  }

  updateConversation(id: number, patch: ConversationPatch): Conversation {
    return this.batch(() => {
      this.getConversation(id);
      if (patch.title !== undefined) this.setTitle(id, L.str('title', patch.title, L.MAX_TITLE_CHARS, true));
      const set = (col: string, v: unknown) => stmt(this.db, `UPDATE conversations SET ${col} = ? WHERE id = ?`).run(v, id);
      if (patch.muted !== undefined) set('muted', L.bool('muted', patch.muted, false) ? 1 : 0);
      if (patch.blocked !== undefined) set('blocked', L.bool('blocked', patch.blocked, false) ? 1 : 0);
      if (patch.preferredMode !== undefined)
        set('pref_mode', L.oneOf('preferredMode', patch.preferredMode, ['page', 'session', 'auto'] as const));
      if (patch.e2ePolicy !== undefined) set('e2e_policy', L.oneOf('e2ePolicy', patch.e2ePolicy, ['require', 'prefer', 'off'] as const));
      return this.getConversation(id);
    });
  }

  /** Most recent activity first, with a decrypted preview of the last message. `search` filters peer URI and title. */
  listConversations(account: string, opts: { search?: string; limit?: number } = {}): ConversationSummary[] {
    const accountId = this.accountId(account, false);
    if (accountId === null) return [];
    const limit = L.int('limit', opts.limit ?? L.MAX_CONVERSATION_LIST, 1, L.MAX_CONVERSATION_LIST);
    const needle = opts.search === undefined ? '' : normalize(L.str('search', opts.search, L.MAX_SEARCH_QUERY_CHARS, true) ?? '').trim();
    const rows = stmt(this.db, `${CONV_SELECT} WHERE c.account_id = ? ORDER BY c.last_activity DESC, c.id DESC`).all(
      accountId,
    ) as ConversationRow[];
    const last = stmt(this.db, 'SELECT * FROM messages WHERE conversation_id = ? ORDER BY created_at DESC, id DESC LIMIT 1');
    const out: ConversationSummary[] = [];
    for (const r of rows) {
      const c = toConversation(r, this.crypto);
      if (needle && !normalize(c.peer).includes(needle) && !normalize(c.title ?? '').includes(needle)) continue;
      const m = last.get(c.id) as MessageRow | undefined;
      const text = m ? messageText(m, this.crypto) : null;
      out.push({
        ...c,
        lastMessage: m
          ? {
              id: m.id,
              direction: m.direction as 'in' | 'out',
              senderAor: m.sender_aor,
              createdAt: m.created_at,
              state: m.state as MessageState,
              system: m.system as 'key-change' | null,
              preview: text === null ? null : preview(text),
            }
          : null,
      });
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Marks every received message displayed and zeroes the unread count; returns those to send IMDN 'displayed' for. */
  markRead(conversationId: number): ReadReceipt[] {
    return this.batch(() => {
      this.getConversation(conversationId);
      const rows = stmt(
        this.db,
        `UPDATE messages SET state = 'displayed', state_at = ?
        WHERE conversation_id = ? AND direction = 'in' AND state = 'delivered' RETURNING id, imdn_id, sender_aor, system`,
      ).all(this.now(), conversationId) as { id: number; imdn_id: string | null; sender_aor: string; system: string | null }[];
      stmt(this.db, 'UPDATE conversations SET unread_count = 0 WHERE id = ?').run(conversationId);
      return rows
        .filter((r) => r.system === null)
        .sort((a, b) => a.id - b.id)
        .map((r) => ({ id: r.id, imdnMessageId: r.imdn_id, senderAor: r.sender_aor }));
    });
  }

  deleteConversation(id: number): void {
    this.getConversation(id);
    stmt(this.db, 'DELETE FROM conversations WHERE id = ?').run(id);
  }

  // ---- messages

  addMessage(input: NewMessage): StoredMessage {
    return this.insertMessage(input, null);
  }

  /** Records a peer key change as a system message in the conversation (not counted as unread, not searchable). */
  addKeyChange(conversationId: number, change: KeyChange): StoredMessage {
    const aor = L.uri('aor', change.aor);
    const body = JSON.stringify({
      type: 'key-change',
      aor,
      oldFingerprint: L.str('oldFingerprint', change.oldFingerprint, L.MAX_HASH_CHARS, true),
      newFingerprint: L.str('newFingerprint', change.newFingerprint, L.MAX_HASH_CHARS),
    });
    return this.insertMessage(
      {
        conversationId,
        direction: 'in',
        senderAor: aor,
        mode: 'page',
        contentType: KEY_CHANGE_CONTENT_TYPE,
        body,
        createdAt: change.at,
        state: 'delivered',
      },
      'key-change',
    );
  }

  private insertMessage(input: NewMessage, system: 'key-change' | null): StoredMessage {
    const direction = L.oneOf('direction', input.direction, ['in', 'out'] as const);
    const state = L.oneOf('state', input.state, MESSAGE_STATES, direction === 'out' ? 'queued' : 'delivered');
    if (direction === 'in' && state !== 'delivered' && state !== 'displayed') {
      throw new ParleyError('STORE_BAD_INPUT', "state: a received message is 'delivered' or 'displayed'", { field: 'state', state });
    }
    const sec = input.security ?? {};
    const now = this.now();
    const r = {
      conversation_id: L.int('conversationId', input.conversationId, 1, Number.MAX_SAFE_INTEGER),
      imdn_id: L.str('imdnMessageId', input.imdnMessageId, L.MAX_IMDN_ID_CHARS, true),
      direction,
      system,
      sender_aor: L.uri('senderAor', input.senderAor),
      mode: L.oneOf('mode', input.mode, ['page', 'session', 'conference'] as const),
      content_type: L.str('contentType', input.contentType, L.MAX_CONTENT_TYPE_CHARS),
      created_at: input.createdAt === undefined ? now : L.time('createdAt', input.createdAt),
      sent_at: L.optTime('sentAt', input.sentAt),
      received_at: L.optTime('receivedAt', input.receivedAt),
      state,
      state_at: now,
      e2e: L.oneOf('security.e2e', sec.e2e, ['on', 'off', 'psk'] as const, 'off'),
      e2e_verified: L.bool('security.e2eVerified', sec.e2eVerified, false) ? 1 : 0,
      security_error: L.str('security.errorCode', sec.errorCode, L.MAX_CODE_CHARS, true),
      tls: L.bool('security.tls', sec.tls, false) ? 1 : 0,
    };
    const nickname = L.str('senderNickname', input.senderNickname, L.MAX_NICKNAME_CHARS, true);
    const b = L.body(input.body);
    return this.batch(() => {
      this.getConversation(r.conversation_id);
      if (r.imdn_id !== null) {
        const dup = stmt(this.db, 'SELECT id FROM messages WHERE conversation_id = ? AND imdn_id = ?').get(r.conversation_id, r.imdn_id) as
          { id: number } | undefined;
        if (dup)
          throw new ParleyError('STORE_DUPLICATE_MESSAGE', 'a message with this IMDN Message-ID is already stored', {
            id: dup.id,
            imdnMessageId: r.imdn_id,
          });
      }
      const seq = stmt(this.db, "SELECT seq FROM sqlite_sequence WHERE name = 'messages'").get() as { seq: number } | undefined;
      const id = (seq?.seq ?? 0) + 1;
      const payload = this.crypto.seal(encodePayload(nickname, b.bytes, b.binary), messageAd({ id, ...r }));
      stmt(
        this.db,
        `INSERT INTO messages (id, conversation_id, imdn_id, direction, system, sender_aor, mode, content_type, payload, created_at,
        sent_at, received_at, state, state_at, e2e, e2e_verified, security_error, tls) VALUES (@id, @conversation_id, @imdn_id, @direction,
        @system, @sender_aor, @mode, @content_type, @payload, @created_at, @sent_at, @received_at, @state, @state_at, @e2e, @e2e_verified,
        @security_error, @tls)`,
      ).run({ id, payload, ...r });
      const unread = direction === 'in' && system === null && state === 'delivered' ? 1 : 0;
      stmt(this.db, 'UPDATE conversations SET last_activity = max(last_activity, ?), unread_count = unread_count + ? WHERE id = ?').run(
        r.created_at,
        unread,
        r.conversation_id,
      );
      if (system === null && !b.binary && this.version >= FTS_SINCE_VERSION) indexMessage(this.db, this.crypto, id, input.body as string);
      return this.getMessage(id);
    });
  }

  getMessage(id: number): StoredMessage {
    const row = stmt(this.db, 'SELECT * FROM messages WHERE id = ?').get(L.int('messageId', id, 1, Number.MAX_SAFE_INTEGER)) as
      MessageRow | undefined;
    if (!row) throw new ParleyError('STORE_NOT_FOUND', `no message ${id}`, { messageId: id });
    return toMessage(row, this.crypto);
  }

  findByImdnId(conversationId: number, imdnMessageId: string): StoredMessage | null {
    const row = stmt(this.db, 'SELECT id FROM messages WHERE conversation_id = ? AND imdn_id = ?').get(
      L.int('conversationId', conversationId, 1, Number.MAX_SAFE_INTEGER),
      L.str('imdnMessageId', imdnMessageId, L.MAX_IMDN_ID_CHARS),
    ) as { id: number } | undefined;
    return row ? this.getMessage(row.id) : null;
  }

  /** Newest-first page, strictly older than `before` (created_at, id): stable under equal timestamps and concurrent inserts. */
  listMessages(conversationId: number, opts: { before?: MessageCursor | null; limit?: number } = {}): MessagePage {
    const conv = L.int('conversationId', conversationId, 1, Number.MAX_SAFE_INTEGER);
    const limit = L.int('limit', opts.limit ?? L.DEFAULT_PAGE, 1, L.MAX_PAGE);
    const before = opts.before ?? null;
    const rows = (
      before === null
        ? stmt(this.db, 'SELECT * FROM messages WHERE conversation_id = ? ORDER BY created_at DESC, id DESC LIMIT ?').all(conv, limit + 1)
        : stmt(
            this.db,
            'SELECT * FROM messages WHERE conversation_id = ? AND (created_at, id) < (?, ?) ORDER BY created_at DESC, id DESC LIMIT ?',
          ).all(conv, L.time('before.createdAt', before.createdAt), L.int('before.id', before.id, 0, Number.MAX_SAFE_INTEGER), limit + 1)
    ) as MessageRow[];
    const more = rows.length > limit;
    const page = rows.slice(0, limit).map((r) => toMessage(r, this.crypto));
    const tail = page[page.length - 1];
    return { messages: page, next: more && tail ? { createdAt: tail.createdAt, id: tail.id } : null };
  }

  /**
   * Applies a delivery state if it moves forward (states.ts); stale or reordered updates are ignored (changed: false).
   * 'failed' records failureCode/failureReason. 'sent'/'stored' set sentAt if unset.
   */
  updateState(id: number, state: MessageState, upd: StateUpdate = {}): { changed: boolean; message: StoredMessage } {
    const to = L.oneOf('state', state, MESSAGE_STATES);
    const code = L.optInt('failureCode', upd.failureCode, 0, 999_999);
    const reason = L.str('failureReason', upd.failureReason, L.MAX_REASON_CHARS, true);
    const at = upd.at === undefined ? this.now() : L.time('at', upd.at);
    return this.batch(() => {
      const cur = this.getMessage(id);
      if (!canTransition(cur.state, to)) return { changed: false, message: cur };
      stmt(
        this.db,
        `UPDATE messages SET state = ?, state_at = ?, failure_code = ?, failure_reason = ?,
        sent_at = CASE WHEN ? IN ('stored', 'sent') AND sent_at IS NULL THEN ? ELSE sent_at END WHERE id = ?`,
      ).run(to, at, to === 'failed' ? code : null, to === 'failed' ? reason : null, to, at, id);
      if (cur.direction === 'in' && cur.system === null && cur.state === 'delivered') {
        stmt(this.db, 'UPDATE conversations SET unread_count = max(unread_count - 1, 0) WHERE id = ?').run(cur.conversationId);
      }
      return { changed: true, message: this.getMessage(id) };
    });
  }

  /** As updateState, addressed by the IMDN Message-ID (for incoming delivery notifications). Null if unknown. */
  updateStateByImdn(conversationId: number, imdnMessageId: string, state: MessageState, upd: StateUpdate = {}) {
    const m = this.findByImdnId(conversationId, imdnMessageId);
    return m ? this.updateState(m.id, state, upd) : null;
  }

  /** The only way out of 'failed': back to 'queued', failure cleared, attempts + 1. */
  retry(id: number): StoredMessage {
    return this.batch(() => {
      const cur = this.getMessage(id);
      if (cur.state !== 'failed')
        throw new ParleyError('STORE_BAD_STATE', `message ${id} is ${cur.state}, only failed messages can be retried`, {
          state: cur.state,
        });
      stmt(
        this.db,
        `UPDATE messages SET state = 'queued', state_at = ?, failure_code = NULL, failure_reason = NULL, attempts = attempts + 1 WHERE id = ?`,
      ).run(this.now(), id);
      return this.getMessage(id);
    });
  }

  deleteMessage(id: number): void {
    this.batch(() => {
      const m = this.getMessage(id);
      stmt(this.db, 'DELETE FROM messages WHERE id = ?').run(id);
      if (m.direction === 'in' && m.system === null && m.state === 'delivered') {
        stmt(this.db, 'UPDATE conversations SET unread_count = max(unread_count - 1, 0) WHERE id = ?').run(m.conversationId);
      }
    });
  }

  // ---- search

  /** Word/prefix search over message text of one account, newest first (see fts.ts for the keyed-hash index). */
  search(account: string, query: string, opts: SearchOptions = {}): SearchResult {
    if (typeof query !== 'string') throw new ParleyError('STORE_BAD_INPUT', 'query must be a string', { field: 'query' });
    const accountId = this.accountId(account, false);
    if (accountId === null) return { hits: [], truncated: false };
    if (opts.conversationId !== undefined) L.int('conversationId', opts.conversationId, 1, Number.MAX_SAFE_INTEGER);
    if (opts.limit !== undefined) L.int('limit', opts.limit, 1, L.MAX_SEARCH_LIMIT);
    return searchMessages(this.db, this.crypto, accountId, query, opts);
  }
}
