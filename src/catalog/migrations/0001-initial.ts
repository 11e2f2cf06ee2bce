import type { CreateTableBuilder, Kysely, Migration } from 'kysely';
import { type CatalogDialect, textType } from './column-types.js';

/**
 * Snapshots, verifications, items and catalog-local settings.
 *
 * Times (time, retain_until) are ISO-8601 UTC strings with millisecond precision in a text column,
 * `2026-11-29T07:12:00.000Z`, on both dialects. Fixed-width UTC text sorts in time order under a
 * byte-wise collation, so one set of comparisons, ORDER BYs and row mappings serves SQLite (which
 * has no date type) and PostgreSQL alike; a timestamptz column would come back from pg as a Date and
 * from SQLite as a string, and every query and mapping would fork. rows.ts normalises every time
 * through Date#toISOString before writing, so offsets or missing milliseconds never break the order.
 */
export function initial(dialect: CatalogDialect): Migration {
  const text = textType(dialect);

  const runColumns = (table: CreateTableBuilder<string, string>) =>
    table
      .addColumn('item', text, (c) => c.notNull())
      .addColumn('environment', text)
      .addColumn('tier', text)
      .addColumn('component', text)
      .addColumn('trigger', text, (c) => c.notNull())
      .addColumn('release', text)
      .addColumn('commit', text)
      .addColumn('change', text)
      .addColumn('deployment', text)
      .addColumn('pipeline', text)
      .addColumn('actor', text, (c) => c.notNull())
      .addColumn('host', text, (c) => c.notNull())
      .addColumn('time', text, (c) => c.notNull());

  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('snapshots')
        .addColumn('id', text, (c) => c.primaryKey())
        .$call(runColumns)
        .addColumn('parent', text)
        .addColumn('tree', text, (c) => c.notNull())
        .addColumn('content_hash', text, (c) => c.notNull())
        .addColumn('status', text, (c) => c.notNull())
        .addColumn('files', 'integer', (c) => c.notNull())
        .addColumn('bytes', 'bigint', (c) => c.notNull())
        .addColumn('added_bytes', 'bigint', (c) => c.notNull())
        .addColumn('retain_until', text)
        .addColumn('unreadable', text, (c) => c.notNull()) // JSON array of paths
        .execute();
      // (item, time) also serves lookups by item alone, and latestSnapshot without a sort.
      await index(db, 'snapshots', ['item', 'time']);
      for (const column of ['environment', 'tier', 'release', 'commit', 'change', 'deployment', 'trigger', 'actor']) {
        await index(db, 'snapshots', [column]);
      }
      await index(db, 'snapshots', ['time']);

      // No foreign key to snapshots: the catalog is rebuilt from repository objects, and a rebuild
      // must not fail because a verification outlived its snapshot; such a row is simply never found.
      await db.schema
        .createTable('verifications')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('snapshot_id', text, (c) => c.notNull())
        .$call(runColumns)
        .execute();
      for (const column of ['snapshot_id', 'item', 'release', 'commit', 'change', 'deployment', 'time']) {
        await index(db, 'verifications', [column]);
      }

      await db.schema
        .createTable('items')
        .addColumn('name', text, (c) => c.primaryKey())
        .addColumn('owner', text, (c) => c.notNull())
        .addColumn('tier', text, (c) => c.notNull())
        .addColumn('environment', text)
        .addColumn('component', text)
        .execute();

      await db.schema
        .createTable('meta')
        .addColumn('key', text, (c) => c.primaryKey())
        .addColumn('value', text, (c) => c.notNull())
        .execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      for (const table of ['meta', 'items', 'verifications', 'snapshots']) {
        await db.schema.dropTable(table).execute();
      }
    },
  };
}

async function index(db: Kysely<unknown>, table: string, columns: string[]): Promise<void> {
  await db.schema
    .createIndex(`${table}_${columns.join('_')}_idx`)
    .on(table)
    .columns(columns)
    .execute();
}
