import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SqliteStatement } from 'kysely';
import { withStatementCache } from './sqlite-dialect.js';

function fakeDatabase() {
  const prepared: string[] = [];
  return {
    prepared,
    close() {},
    prepare(sql: string): SqliteStatement {
      prepared.push(sql);
      const rows = [{ sql }];
      return {
        reader: sql.startsWith('select'),
        all: () => rows,
        run: () => ({ changes: 1, lastInsertRowid: 1 }),
        iterate: () => rows[Symbol.iterator](),
      };
    },
  };
}

describe('SQLite statement cache', () => {
  it('prepares a statement once and reuses it; a stream gets a statement of its own', () => {
    const db = fakeDatabase();
    const cached = withStatementCache(db);
    assert.deepEqual(cached.prepare('select 1').all([]), [{ sql: 'select 1' }]);
    assert.equal(cached.prepare('select 1').reader, true);
    cached.prepare('insert into t values (?)').run([1]);
    assert.deepEqual(db.prepared, ['select 1', 'insert into t values (?)']);
    [...cached.prepare('select 1').iterate([])];
    assert.deepEqual(db.prepared, ['select 1', 'insert into t values (?)', 'select 1']);
  });

  it('keeps the most recently used statements when full', () => {
    const db = fakeDatabase();
    const cached = withStatementCache(db, 2);
    cached.prepare('a');
    cached.prepare('b');
    cached.prepare('a'); // a is now the most recent
    cached.prepare('c'); // b goes
    cached.prepare('a');
    cached.prepare('b');
    assert.deepEqual(db.prepared, ['a', 'b', 'c', 'b']);
  });
});
