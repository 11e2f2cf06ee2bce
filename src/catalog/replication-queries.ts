import { type Kysely, sql } from 'kysely';
import { textType } from './migrations/column-types.js';
import type { CatalogDialect } from './migrations/index.js';
import type { CatalogDatabase } from './schema.js';

/** What `cairn replicate --status` asks of the catalog: per item, computed by the database. */
export interface ReplicationQueries {
  /**
   * One line per item that has snapshots, by item name: its snapshots split into those whose id
   * `replicaIds` yields and the others. The ids must be distinct (a listing's are); they are read
   * once, in batches, and never kept.
   */
  compare(replicaIds: Iterable<string>): Promise<ItemReplication[]>;
}

export interface ItemReplication {
  readonly item: string;
  readonly snapshots: number;
  /** Snapshots whose id is among the replica's. */
  readonly replicated: number;
  readonly newest: string; // ISO time
  readonly newestReplicated: string | null;
  /** The oldest snapshot the replica lacks. */
  readonly oldestMissing: string | null;
}

/**
 * Ids per INSERT into the temporary table: one column, so ten times batches.ts's size still fits
 * well under both dialects' parameter limits (SQLite 32766), and a million ids take 200 statements.
 */
const ID_BATCH = 5000;
const TABLE = 'cairn_replica_ids';

type Db = Kysely<CatalogDatabase>;
type WithIds = Kysely<CatalogDatabase & { [TABLE]: { id: string } }>;

/**
 * The replica's ids go into a temporary table on one connection (its own on PostgreSQL, so parallel
 * requests never see each other's), and one grouped left join counts; nothing per snapshot comes
 * back. No transaction: on SQLite it would take the write lock (`begin immediate`) for the whole
 * load, and the temporary table is the connection's alone anyway. It is dropped before and after.
 * Measured at a million snapshots (bench/replication-status.ts): the index is built after the load
 * (a third of the time of inserting into a keyed table), and SQLite is told to read the table in
 * order: left to choose, it walks the (item, time, bytes) index for the GROUP BY and fetches each
 * row's id from the table at random, four times slower. PostgreSQL hash-joins once it has statistics.
 */
export class KyselyReplicationQueries implements ReplicationQueries {
  readonly #db: Db;
  readonly #dialect: CatalogDialect;

  constructor(db: Db, dialect: CatalogDialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  compare(replicaIds: Iterable<string>): Promise<ItemReplication[]> {
    return this.#db.connection().execute(async (conn) => {
      const db = conn.withTables<{ [TABLE]: { id: string } }>();
      await sql`drop table if exists ${sql.table(TABLE)}`.execute(db);
      await sql`create temporary table ${sql.table(TABLE)} (id ${textType(this.#dialect)} not null)`.execute(db);
      try {
        await load(db, replicaIds);
        if (this.#dialect === 'sqlite')
          await sql`create index ${sql.id(`${TABLE}_id`)} on ${sql.table(TABLE)} (id)`.execute(db);
        else await sql`analyze ${sql.table(TABLE)}`.execute(db);
        const { rows } = await figures(this.#dialect).execute(db);
        return rows.map((r) => ({
          item: r.item,
          snapshots: Number(r.snapshots),
          replicated: Number(r.replicated),
          newest: String(r.newest),
          newestReplicated: r.newest_replicated === null ? null : String(r.newest_replicated),
          oldestMissing: r.oldest_missing === null ? null : String(r.oldest_missing),
        }));
      } finally {
        await sql`drop table if exists ${sql.table(TABLE)}`.execute(db);
      }
    });
  }
}

async function load(db: WithIds, ids: Iterable<string>): Promise<void> {
  let batch: Array<{ id: string }> = [];
  const flush = async () => {
    await db.insertInto(TABLE).values(batch).execute();
    batch = [];
  };
  for (const id of ids) {
    batch.push({ id });
    if (batch.length === ID_BATCH) await flush();
  }
  if (batch.length > 0) await flush();
}

interface FigureRow {
  item: string;
  snapshots: number | string;
  replicated: number | string;
  newest: string;
  newest_replicated: string | null;
  oldest_missing: string | null;
}

function figures(dialect: CatalogDialect) {
  const scan = dialect === 'sqlite' ? sql`not indexed` : sql``;
  return sql<FigureRow>`
    select s.item, count(*) as snapshots, count(r.id) as replicated, max(s.time) as newest,
      max(case when r.id is not null then s.time end) as newest_replicated,
      min(case when r.id is null then s.time end) as oldest_missing
    from snapshots as s ${scan} left join ${sql.table(TABLE)} as r on r.id = s.id
    group by s.item
    order by s.item`;
}
