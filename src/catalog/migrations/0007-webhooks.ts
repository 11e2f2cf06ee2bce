import type { Kysely, Migration } from 'kysely';
import { type CatalogDialect, textType } from './column-types.js';

/**
 * Inbound webhook deliveries (src/catalog/webhook-deliveries.ts), keyed by provider and delivery id:
 * the primary key is the claim, so two servers receiving the same delivery act on it once.
 */
export function webhooksTable(dialect: CatalogDialect): Migration {
  const text = textType(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('webhook_deliveries')
        .addColumn('provider', text, (c) => c.notNull())
        .addColumn('delivery_id', text, (c) => c.notNull())
        .addColumn('received_at', text, (c) => c.notNull())
        .addColumn('event', text, (c) => c.notNull())
        .addColumn('environment', text)
        .addColumn('deployment', text)
        .addColumn('result', text, (c) => c.notNull())
        .addColumn('status_code', 'integer')
        .addColumn('detail', text)
        .addColumn('finished_at', text)
        .addPrimaryKeyConstraint('webhook_deliveries_pk', ['provider', 'delivery_id'])
        .execute();
      await db.schema
        .createIndex('webhook_deliveries_received_idx')
        .on('webhook_deliveries')
        .column('received_at')
        .execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('webhook_deliveries').execute();
    },
  };
}
