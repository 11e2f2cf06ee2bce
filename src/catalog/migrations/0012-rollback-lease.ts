import type { Kysely, Migration } from 'kysely';
import { type CatalogDialect, textType } from './column-types.js';

/**
 * The lease of a rollback run (src/catalog/rollbacks.ts claim): who runs it ("host pid token") and until
 * when, so two rollbacks of one deployment never write the same targets at once.
 */
export function rollbackLease(dialect: CatalogDialect): Migration {
  const text = textType(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('rollbacks').addColumn('lease_holder', text).execute();
      await db.schema.alterTable('rollbacks').addColumn('lease_until', text).execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('rollbacks').dropColumn('lease_until').execute();
      await db.schema.alterTable('rollbacks').dropColumn('lease_holder').execute();
    },
  };
}
