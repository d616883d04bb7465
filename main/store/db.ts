// SQLite file handling for the history store: open with safe pragmas, versioned migrations (PRAGMA user_version).
import Database from 'better-sqlite3';
import { ParleyError } from '../base/errors';

export type Db = Database.Database;

/** Wait this long for another connection's write lock before failing with SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5_000;

/** One schema step. `up` runs inside a transaction together with the user_version bump; it must not commit itself. */
export interface Migration<Env = unknown> {
  readonly version: number;
  readonly name: string;
  up(db: Db, env: Env): void;
}

export interface OpenOptions {
  /** Highest schema version this build understands; a file with a higher user_version is refused untouched. */
  latestVersion: number;
  busyTimeoutMs?: number;
}

/** Reads PRAGMA user_version (0 for a new, empty file). */
export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Opens (or creates) a database file. The version check happens before any write (no WAL switch, no pragma that
 * persists), so a database from a newer Parley is left byte-for-byte as it was: 'STORE_SCHEMA_TOO_NEW'.
 */
export function openDatabase(path: string, opts: OpenOptions): Db {
  let db: Db;
  try {
    db = new Database(path);
  } catch (e) {
    throw new ParleyError('STORE_OPEN_FAILED', `cannot open history database: ${(e as Error).message}`, { path }, { cause: e });
  }
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? BUSY_TIMEOUT_MS))}`);
    let version: number;
    try {
      version = schemaVersion(db);
    } catch (e) {
      throw new ParleyError('STORE_NOT_A_DATABASE', `not a history database: ${(e as Error).message}`, { path }, { cause: e });
    }
    if (version > opts.latestVersion) {
      throw new ParleyError(
        'STORE_SCHEMA_TOO_NEW',
        `history database has schema version ${version}, this build knows up to ${opts.latestVersion}; upgrade Parley`,
        { path, version, latestVersion: opts.latestVersion },
      );
    }
    if (path !== ':memory:' && path !== '') db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('secure_delete = ON');
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

/** Validates a migration list: versions must be 1, 2, 3, ... in order. */
export function checkMigrations(migrations: readonly Migration<never>[]): number {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new ParleyError('STORE_BAD_MIGRATIONS', `migration #${i} has version ${m.version}, expected ${i + 1}`, { name: m.name });
    }
  });
  return migrations.length;
}

/**
 * Brings the schema to the last migration. Each step runs in its own IMMEDIATE transaction with its user_version bump,
 * so a crash leaves the file at the previous consistent version. Returns the versions before and after.
 */
export function migrate<Env>(db: Db, migrations: readonly Migration<Env>[], env: Env): { from: number; to: number } {
  const latest = checkMigrations(migrations);
  const from = schemaVersion(db);
  if (from > latest) {
    throw new ParleyError('STORE_SCHEMA_TOO_NEW', `schema version ${from} is newer than ${latest}`, {
      version: from,
      latestVersion: latest,
    });
  }
  for (const m of migrations.slice(from)) {
    const step = db.transaction(() => {
      // Re-read inside the write lock: another process may have migrated meanwhile.
      if (schemaVersion(db) >= m.version) return;
      m.up(db, env);
      db.pragma(`user_version = ${m.version}`);
    });
    try {
      step.immediate();
    } catch (e) {
      if (e instanceof ParleyError) throw e;
      throw new ParleyError(
        'STORE_MIGRATION_FAILED',
        `migration ${m.version} (${m.name}) failed: ${(e as Error).message}`,
        { version: m.version, name: m.name },
        { cause: e },
      );
    }
  }
  return { from, to: schemaVersion(db) };
}

const cache = new WeakMap<Db, Map<string, Database.Statement>>();

/** Prepared statement for this connection, compiled once and reused (SQL text is always a constant, never user input). */
export function stmt(db: Db, sql: string): Database.Statement {
  let m = cache.get(db);
  if (!m) cache.set(db, (m = new Map()));
  let s = m.get(sql);
  if (!s) m.set(sql, (s = db.prepare(sql)));
  return s;
}
