import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type DialectAdapter,
  type Driver,
  SqliteAdapter,
  type SqliteDatabase,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
  type SqliteStatement,
} from 'kysely';

/**
 * SQLite through better-sqlite3, loaded only when a SQLite catalog is opened. WAL lets readers run
 * beside the one writer; synchronous=NORMAL is durable across application crashes (a power loss can
 * lose the last transactions, which a catalog rebuild restores); busy_timeout waits for another
 * process's write instead of failing at once.
 */
export async function createSqliteDialect(path: string): Promise<Dialect> {
  if (path !== ':memory:') await mkdir(dirname(path), { recursive: true });
  const { default: Database } = await import('better-sqlite3');
  const database = new Database(path);
  try {
    database.pragma('busy_timeout = 5000');
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
  } catch (err) {
    database.close();
    throw err;
  }
  return new CatalogSqliteDialect({ database: withStatementCache(database) });
}

/** What the statement cache needs of better-sqlite3's Database. */
interface Preparing {
  prepare(sql: string): SqliteStatement;
  close(): void;
}

/**
 * Kysely prepares every query anew; in a long-running server the same few dozen statements run again and
 * again, and preparing them was a tenth of a request's time. Statements are cached by their SQL (least
 * recently used out first). A stream (`iterate`) keeps its statement busy until it ends, so it gets a
 * statement of its own, never a shared one.
 */
export function withStatementCache(database: Preparing, max = 256): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => database.close(),
    prepare(sql: string): SqliteStatement {
      let stmt = cache.get(sql);
      if (stmt) cache.delete(sql);
      else stmt = database.prepare(sql);
      cache.set(sql, stmt);
      if (cache.size > max) cache.delete(cache.keys().next().value as string);
      const shared = stmt;
      return {
        reader: shared.reader,
        all: (parameters) => shared.all(parameters),
        run: (parameters) => shared.run(parameters),
        iterate: (parameters) => database.prepare(sql).iterate(parameters),
      };
    },
  };
}

/** Kysely's SQLite dialect with two of its defaults changed, both for several processes on one file. */
class CatalogSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

/**
 * Every catalog transaction writes. A deferred `begin` takes the write lock only at the first write
 * and, in WAL mode, fails with SQLITE_BUSY at once (busy_timeout does not apply) when another
 * connection wrote since; `begin immediate` takes the lock up front and so waits its turn.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/**
 * SQLite does roll back DDL, but Kysely's adapter says it does not, so its Migrator would apply
 * migrations outside a transaction: a failure would leave half a migration, and two processes
 * opening a new catalog at once would both run it. In a transaction the second waits, then finds
 * nothing to do.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}
