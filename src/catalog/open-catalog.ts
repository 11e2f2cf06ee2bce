import { type Dialect, Kysely } from 'kysely';
import { CairnError } from '../errors/index.js';
import { KyselyCatalog } from './kysely-catalog.js';
import { type CatalogLocation, openFailure } from './open-failure.js';
import { createPostgresDialect } from './postgres-dialect.js';
import type { CatalogDatabase } from './schema.js';
import { createSqliteDialect } from './sqlite-dialect.js';
import type { Catalog } from './types.js';

export interface CatalogOptions {
  /** `postgres://` or `postgresql://` selects PostgreSQL; absent or empty selects SQLite at sqlitePath. */
  readonly url?: string | undefined;
  /** The SQLite file (parent directories are created), or `:memory:`. */
  readonly sqlitePath?: string | undefined;
  /**
   * PostgreSQL only: the schema that holds the catalog, created if missing, set as the connections'
   * search_path. Several catalogs can share a database this way; the tests use a fresh one each.
   * Without it the catalog lives in the user's current schema (usually `public`).
   */
  readonly schema?: string | undefined;
}

/**
 * Opens (creating if needed) the catalog and brings its tables up to date. Open one per process and
 * share it: better-sqlite3 is synchronous, so a second SQLite connection in the same process that
 * waits for the first one's lock blocks the event loop the first needs to finish (SQLITE_BUSY after
 * 5 s). Separate processes wait for each other as they should.
 */
export async function openCatalog(opts: CatalogOptions): Promise<Catalog> {
  const at = location(opts);
  let db: Kysely<CatalogDatabase> | undefined;
  try {
    const dialect: Dialect =
      at.dialect === 'postgres' ? await createPostgresDialect(at.raw, opts.schema) : await createSqliteDialect(at.raw);
    db = new Kysely<CatalogDatabase>({ dialect });
    // One round trip first, so an unreachable server is reported as such and not as a failed migration.
    await db.selectNoFrom((eb) => eb.lit(1).as('ok')).execute();
  } catch (err) {
    await db?.destroy().catch(() => {});
    throw openFailure(err, at);
  }
  const catalog = new KyselyCatalog(db, at.dialect, opts.schema);
  try {
    await catalog.migrate();
  } catch (err) {
    await catalog.close().catch(() => {});
    throw openFailure(err, at);
  }
  return catalog;
}

function location(opts: CatalogOptions): CatalogLocation {
  const url = opts.url?.trim();
  if (url) {
    if (!/^postgres(ql)?:\/\//i.test(url)) {
      throw new CairnError(
        'CAIRN_E_USAGE',
        'the catalog URL must start with postgres:// or postgresql://; leave it unset for a SQLite catalog',
        { scheme: url.split(':')[0] },
      );
    }
    if (opts.schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(opts.schema)) {
      throw new CairnError(
        'CAIRN_E_USAGE',
        `catalog schema ${JSON.stringify(opts.schema)} must be lowercase letters, digits and _ (at most 63)`,
        { schema: opts.schema },
      );
    }
    return { dialect: 'postgres', raw: url };
  }
  if (opts.schema !== undefined) {
    throw new CairnError('CAIRN_E_USAGE', 'a catalog schema applies to PostgreSQL only, not to a SQLite catalog', {
      schema: opts.schema,
    });
  }
  if (!opts.sqlitePath) {
    throw new CairnError('CAIRN_E_USAGE', 'no catalog configured: give a postgres:// URL or a SQLite path');
  }
  return { dialect: 'sqlite', raw: opts.sqlitePath };
}
