import type { Kysely, Migration } from 'kysely';
import { type CatalogDialect, textType } from './column-types.js';

/**
 * Drift checks (issue 5, C7.6; src/catalog/drift-checks.ts): one row per item per `cairn drift` run,
 * what differed from the item's latest snapshot. The record of drift runs, not an index: a catalog
 * rebuild leaves it alone. The index serves "the latest check of each item of an environment".
 */
export function driftTables(dialect: CatalogDialect): Migration {
  const text = textType(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('drift_checks')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('environment', text, (c) => c.notNull())
        .addColumn('item', text, (c) => c.notNull())
        .addColumn('checked_at', text, (c) => c.notNull())
        .addColumn('snapshot_id', text)
        .addColumn('drifted', 'integer', (c) => c.notNull())
        .addColumn('ignored', 'integer', (c) => c.notNull())
        .addColumn('changes', text, (c) => c.notNull())
        .addColumn('error', text)
        .execute();
      await db.schema
        .createIndex('drift_checks_env_item_checked_idx')
        .on('drift_checks')
        .columns(['environment', 'item', 'checked_at'])
        .execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('drift_checks').execute();
    },
  };
}
