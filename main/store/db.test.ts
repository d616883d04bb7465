import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { migrate, openDatabase, schemaVersion, type Migration } from './db';
import { isParleyError } from '../base/errors';
import { count, tempDir } from './testutil';

const toy: Migration<{ log: string[] }>[] = [
  {
    version: 1,
    name: 'a',
    up: (db, env) => {
      db.exec('CREATE TABLE a (x INTEGER)');
      env.log.push('a');
    },
  },
  {
    version: 2,
    name: 'b',
    up: (db, env) => {
      db.exec('ALTER TABLE a ADD COLUMN y TEXT');
      env.log.push('b');
    },
  },
];

test('openDatabase sets WAL, foreign keys and busy timeout', () => {
  const t = tempDir();
  try {
    const db = openDatabase(t.file('x.db'), { latestVersion: 2 });
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
    assert.equal(db.pragma('busy_timeout', { simple: true }), 5000);
    db.close();
  } finally {
    t.cleanup();
  }
});

test('migrate runs from empty to latest in order, then is a no-op', () => {
  const t = tempDir();
  try {
    const db = openDatabase(t.file('x.db'), { latestVersion: 2 });
    const env = { log: [] as string[] };
    assert.deepEqual(migrate(db, toy, env), { from: 0, to: 2 });
    assert.deepEqual(env.log, ['a', 'b']);
    assert.deepEqual(migrate(db, toy, env), { from: 2, to: 2 });
    assert.deepEqual(env.log, ['a', 'b']);
    db.prepare('INSERT INTO a (x, y) VALUES (1, ?)').run('ok');
    db.close();
  } finally {
    t.cleanup();
  }
});

test('migrate from v1 applies only the missing steps', () => {
  const t = tempDir();
  try {
    const db = openDatabase(t.file('x.db'), { latestVersion: 2 });
    const env = { log: [] as string[] };
    migrate(db, toy.slice(0, 1), env);
    assert.equal(schemaVersion(db), 1);
    db.prepare('INSERT INTO a (x) VALUES (7)').run();
    assert.deepEqual(migrate(db, toy, env), { from: 1, to: 2 });
    assert.deepEqual(env.log, ['a', 'b']);
    assert.deepEqual(db.prepare('SELECT x, y FROM a').all(), [{ x: 7, y: null }]);
    db.close();
  } finally {
    t.cleanup();
  }
});

test('a failing migration rolls back its step and keeps the previous version', () => {
  const t = tempDir();
  try {
    const db = openDatabase(t.file('x.db'), { latestVersion: 2 });
    const bad: Migration<null>[] = [
      { version: 1, name: 'ok', up: (d) => d.exec('CREATE TABLE a (x)') },
      {
        version: 2,
        name: 'boom',
        up: (d) => {
          d.exec('CREATE TABLE b (x)');
          d.exec('SELECT * FROM nope');
        },
      },
    ];
    assert.throws(
      () => migrate(db, bad, null),
      (e) => isParleyError(e, 'STORE_MIGRATION_FAILED'),
    );
    assert.equal(schemaVersion(db), 1);
    assert.equal(count(db, "SELECT count(*) AS n FROM sqlite_master WHERE name = 'b'"), 0);
    db.close();
  } finally {
    t.cleanup();
  }
});

test('migration lists must be numbered 1..n', () => {
  const db = openDatabase(':memory:', { latestVersion: 5 });
  assert.throws(
    () => migrate(db, [{ version: 2, name: 'x', up: () => {} }], null),
    (e) => isParleyError(e, 'STORE_BAD_MIGRATIONS'),
  );
  db.close();
});

test('a database newer than this build is refused and left untouched', () => {
  const t = tempDir();
  try {
    const path = t.file('new.db');
    const raw = new Database(path);
    raw.exec('CREATE TABLE future (x)');
    raw.pragma('user_version = 9');
    raw.close();
    const before = readFileSync(path);
    assert.throws(
      () => openDatabase(path, { latestVersion: 2 }),
      (e) => isParleyError(e, 'STORE_SCHEMA_TOO_NEW') && e.details?.version === 9,
    );
    assert.deepEqual(readFileSync(path), before);
    assert.equal(existsSync(path + '-wal'), false);
    const again = new Database(path, { readonly: true });
    assert.equal(again.pragma('journal_mode', { simple: true }), 'delete');
    again.close();
  } finally {
    t.cleanup();
  }
});

test('a file that is not SQLite gives STORE_NOT_A_DATABASE', async () => {
  const t = tempDir();
  try {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(t.file('junk.db'), Buffer.alloc(8192, 0x41));
    assert.throws(
      () => openDatabase(t.file('junk.db'), { latestVersion: 2 }),
      (e) => isParleyError(e, 'STORE_NOT_A_DATABASE'),
    );
  } finally {
    t.cleanup();
  }
});
