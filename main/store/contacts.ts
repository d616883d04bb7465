// Per-account barring list (blocked contacts); blocking also flags the direct conversation with that peer.
import { stmt, type Db } from './db';
import * as L from './limits';

export interface BlockedContact {
  aor: string;
  since: number;
}

export class Contacts {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
    private readonly accountId: (aor: string, create: boolean) => number | null,
  ) {}

  /** Bars `aor` for `account` (idempotent). Returns true if it was not blocked before. */
  block(account: string, aor: string): boolean {
    const peer = L.uri('aor', aor);
    return this.db.transaction(() => {
      const acc = this.accountId(account, true)!;
      const added =
        stmt(this.db, 'INSERT OR IGNORE INTO blocked_contacts (account_id, aor, created_at) VALUES (?, ?, ?)').run(acc, peer, this.now())
          .changes > 0;
      stmt(this.db, "UPDATE conversations SET blocked = 1 WHERE account_id = ? AND kind = 'direct' AND peer = ?").run(acc, peer);
      return added;
    })();
  }

  /** Lifts the bar (idempotent). Returns true if it was blocked. */
  unblock(account: string, aor: string): boolean {
    const peer = L.uri('aor', aor);
    return this.db.transaction(() => {
      const acc = this.accountId(account, false);
      if (acc === null) return false;
      const removed = stmt(this.db, 'DELETE FROM blocked_contacts WHERE account_id = ? AND aor = ?').run(acc, peer).changes > 0;
      stmt(this.db, "UPDATE conversations SET blocked = 0 WHERE account_id = ? AND kind = 'direct' AND peer = ?").run(acc, peer);
      return removed;
    })();
  }

  /** Exact AoR match (callers normalize AoRs, e.g. lower-case host, before storing and asking). */
  isBlocked(account: string, aor: string): boolean {
    const peer = L.uri('aor', aor);
    const acc = this.accountId(account, false);
    if (acc === null) return false;
    return stmt(this.db, 'SELECT 1 FROM blocked_contacts WHERE account_id = ? AND aor = ?').get(acc, peer) !== undefined;
  }

  list(account: string): BlockedContact[] {
    const acc = this.accountId(account, false);
    if (acc === null) return [];
    return (
      stmt(this.db, 'SELECT aor, created_at FROM blocked_contacts WHERE account_id = ? ORDER BY aor').all(acc) as {
        aor: string;
        created_at: number;
      }[]
    ).map((r) => ({ aor: r.aor, since: r.created_at }));
  }
}
