// Full-text search over encrypted bodies: an FTS5 table of keyed-hash word/prefix tokens (SQLite FTS5, docs/store.md).
import { stmt, type Db } from './db';
import type { StoreCrypto } from './crypto';
import { messageText, type MessageRow } from './rows';
import { indexKeys, matchesAll, queryTerms, snippet, termKey } from './text';
import { MAX_SEARCH_LIMIT } from './limits';
import type { SearchHit, SearchResult } from './types';

/** At most this many FTS candidates are decrypted and verified per search (bounds time on very common prefixes). */
export const MAX_SEARCH_CANDIDATES = 20_000;

export const FTS_DDL = `
  CREATE VIRTUAL TABLE message_fts USING fts5(tokens, content='', contentless_delete=1, detail=none, tokenize='ascii');
  CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN DELETE FROM message_fts WHERE rowid = old.id; END;
`;

/** The space-separated token string indexed for a message text (empty when it has no words). */
export function tokenString(crypto: StoreCrypto, text: string): string {
  return indexKeys(text)
    .map((k) => crypto.token(k))
    .join(' ');
}

export function indexMessage(db: Db, crypto: StoreCrypto, id: number, text: string): void {
  const tokens = tokenString(crypto, text);
  if (tokens) stmt(db, 'INSERT INTO message_fts(rowid, tokens) VALUES (?, ?)').run(id, tokens);
}

/** Indexes every user text message (used by the migration that introduces the index). */
export function backfillIndex(db: Db, crypto: StoreCrypto): number {
  const ins = stmt(db, 'INSERT INTO message_fts(rowid, tokens) VALUES (?, ?)');
  let n = 0;
  for (const r of stmt(db, 'SELECT * FROM messages WHERE system IS NULL').all() as MessageRow[]) {
    const text = messageText(r, crypto);
    if (text === null) continue;
    const tokens = tokenString(crypto, text);
    if (tokens) {
      ins.run(r.id, tokens);
      n++;
    }
  }
  return n;
}

export interface SearchOptions {
  limit?: number;
  conversationId?: number;
}

/**
 * Hits in one account, most recently stored first (message id order: FTS5 walks its rowids backwards, so the first
 * `limit` verified hits end the scan without sorting every match; created_at order differs only for back-dated imports). The MATCH expression is only quoted hex tokens joined by AND, so no user input ever
 * reaches the FTS5 query parser. Each candidate is decrypted and checked against the real words: hash collisions and
 * prefix-bucket over-matches never become hits.
 */
export function searchMessages(db: Db, crypto: StoreCrypto, accountId: number, query: string, opts: SearchOptions = {}): SearchResult {
  const limit = Math.max(1, Math.min(MAX_SEARCH_LIMIT, Math.floor(opts.limit ?? 50)));
  const terms = queryTerms(query);
  if (terms.length === 0) return { hits: [], truncated: false };
  const match = [...new Set(terms.map((t) => crypto.token(termKey(t))))].map((tok) => `"${tok}"`).join(' AND ');
  const convFilter = opts.conversationId === undefined ? '' : 'AND m.conversation_id = @conv';
  const select = stmt(
    db,
    `
    SELECT m.*, c.peer AS peer FROM message_fts f
    JOIN messages m ON m.id = f.rowid
    JOIN conversations c ON c.id = m.conversation_id
    WHERE message_fts MATCH @match AND c.account_id = @account ${convFilter}
    ORDER BY f.rowid DESC`,
  );
  const hits: SearchHit[] = [];
  let examined = 0;
  let truncated = false;
  for (const r of select.iterate(
    opts.conversationId === undefined ? { match, account: accountId } : { match, account: accountId, conv: opts.conversationId },
  ) as IterableIterator<MessageRow & { peer: string }>) {
    if (++examined > MAX_SEARCH_CANDIDATES) {
      truncated = true;
      break;
    }
    const text = messageText(r, crypto);
    if (text === null || !matchesAll(text, terms)) continue;
    hits.push({
      messageId: r.id,
      conversationId: r.conversation_id,
      peer: r.peer,
      createdAt: r.created_at,
      direction: r.direction as SearchHit['direction'],
      senderAor: r.sender_aor,
      snippet: snippet(text, terms),
    });
    if (hits.length >= limit) break;
  }
  return { hits, truncated };
}
