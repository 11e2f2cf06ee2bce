import type { Kysely, Migration } from 'kysely';
import { type CatalogDialect, textType } from './column-types.js';

/**
 * Rollbacks of deployments (issue 5, C7.4/C7.5) and the state of each item in them
 * (src/catalog/rollbacks.ts): what lets an interrupted rollback be resumed by running it again. The
 * record of the release layer, not an index: a catalog rebuild leaves it alone.
 */
export function rollbacksTables(dialect: CatalogDialect): Migration {
  const text = textType(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('rollbacks')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('deployment', text, (c) => c.notNull())
        .addColumn('status', text, (c) => c.notNull())
        .addColumn('started_at', text, (c) => c.notNull())
        .addColumn('finished_at', text)
        .addColumn('actor', text, (c) => c.notNull())
        .addColumn('dry_run', 'integer', (c) => c.notNull())
        .addColumn('error', text)
        .execute();
      await db.schema
        .createIndex('rollbacks_deployment_idx')
        .on('rollbacks')
        .columns(['deployment', 'started_at'])
        .execute();

      await db.schema
        .createTable('rollback_items')
        .addColumn('rollback', text, (c) => c.notNull())
        .addColumn('item', text, (c) => c.notNull())
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('snapshot_id', text)
        .addColumn('target', text, (c) => c.notNull())
        .addColumn('state', text, (c) => c.notNull())
        .addColumn('error', text)
        .addColumn('updated_at', text, (c) => c.notNull())
        .addPrimaryKeyConstraint('rollback_items_pk', ['rollback', 'item'] as never)
        .execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('rollback_items').execute();
      await db.schema.dropTable('rollbacks').execute();
    },
  };
}
