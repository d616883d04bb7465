// Ordered schema migrations of the history store (SQLite; policy in docs/store.md "Migrations").
import type { Db, Migration } from './db';
import type { StoreCrypto } from './crypto';
import { FTS_DDL, backfillIndex } from './fts';

/** What migrations may use besides SQL: the store keys (to re-encrypt or re-index rows). */
export interface StoreEnv {
  crypto: StoreCrypto;
  /** Per-database salt; written to meta by v1 together with the key check value. */
  salt: Uint8Array;
}

const v1: Migration<StoreEnv> = {
  version: 1,
  name: 'accounts, conversations, messages, blocked contacts',
  up(db: Db, env: StoreEnv) {
    db.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
      CREATE TABLE accounts (
        id INTEGER PRIMARY KEY,
        aor TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE conversations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('direct', 'group', 'list')),
        peer TEXT NOT NULL,
        title BLOB,
        muted INTEGER NOT NULL DEFAULT 0 CHECK (muted IN (0, 1)),
        blocked INTEGER NOT NULL DEFAULT 0 CHECK (blocked IN (0, 1)),
        last_activity INTEGER NOT NULL,
        unread_count INTEGER NOT NULL DEFAULT 0 CHECK (unread_count >= 0),
        pref_mode TEXT NOT NULL DEFAULT 'auto' CHECK (pref_mode IN ('page', 'session', 'auto')),
        e2e_policy TEXT NOT NULL DEFAULT 'prefer' CHECK (e2e_policy IN ('require', 'prefer', 'off')),
        created_at INTEGER NOT NULL,
        UNIQUE (account_id, kind, peer)
      );
      CREATE INDEX conversations_by_activity ON conversations (account_id, last_activity);
      CREATE TABLE messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        imdn_id TEXT,
        direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
        system TEXT CHECK (system IS NULL OR system IN ('key-change')),
        sender_aor TEXT NOT NULL,
        mode TEXT NOT NULL CHECK (mode IN ('page', 'session', 'conference')),
        content_type TEXT NOT NULL,
        payload BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        sent_at INTEGER,
        received_at INTEGER,
        state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'stored', 'sent', 'delivered', 'displayed', 'failed')),
        state_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        failure_code INTEGER,
        failure_reason TEXT,
        e2e TEXT NOT NULL DEFAULT 'off' CHECK (e2e IN ('on', 'off', 'psk')),
        e2e_verified INTEGER NOT NULL DEFAULT 0 CHECK (e2e_verified IN (0, 1)),
        security_error TEXT,
        tls INTEGER NOT NULL DEFAULT 0 CHECK (tls IN (0, 1)),
        UNIQUE (conversation_id, imdn_id)
      );
      CREATE INDEX messages_by_time ON messages (conversation_id, created_at, id);
      CREATE TABLE blocked_contacts (
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        aor TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (account_id, aor)
      ) WITHOUT ROWID;
      CREATE INDEX messages_unread ON messages (conversation_id, id) WHERE direction = 'in' AND state = 'delivered';
    `);
    const put = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
    put.run('format', 1);
    put.run('salt', env.salt);
    put.run('kcv', env.crypto.kcv);
  },
};

const v2: Migration<StoreEnv> = {
  version: 2,
  name: 'file transfers, keyed-hash full-text index',
  up(db: Db, env: StoreEnv) {
    db.exec(`
      CREATE TABLE file_transfers (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        transfer_id TEXT NOT NULL UNIQUE,
        conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        message_id INTEGER REFERENCES messages(id) ON DELETE SET NULL,
        direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
        content_type TEXT NOT NULL,
        size INTEGER NOT NULL CHECK (size >= 0),
        sealed BLOB NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'active', 'done', 'failed', 'cancelled')),
        bytes_done INTEGER NOT NULL DEFAULT 0 CHECK (bytes_done >= 0 AND bytes_done <= size),
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX file_transfers_by_conversation ON file_transfers (conversation_id, created_at);
      ${FTS_DDL}
    `);
    backfillIndex(db, env.crypto);
  },
};

export const MIGRATIONS: readonly Migration<StoreEnv>[] = [v1, v2];
export const LATEST_VERSION = MIGRATIONS.length;
