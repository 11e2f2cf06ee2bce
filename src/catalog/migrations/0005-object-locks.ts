import type { Kysely, Migration } from 'kysely';
import { type CatalogDialect, textType } from './column-types.js';

/**
 * The locks Cairn has set on repository objects or seen on them (src/catalog/object-locks.ts): a lower
 * bound of what the storage holds, so a snapshot need not ask the storage about a pack whose lock
 * already covers it. Keyed by the storage's location too: a replica has the same repository id.
 */
export function objectLocksTable(dialect: CatalogDialect): Migration {
  const text = textType(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('object_locks')
        .addColumn('location', text, (c) => c.notNull())
        .addColumn('object_key', text, (c) => c.notNull())
        .addColumn('retain_until', text, (c) => c.notNull())
        .addColumn('mode', text, (c) => c.notNull())
        .addColumn('observed_at', text, (c) => c.notNull())
        .addPrimaryKeyConstraint('object_locks_pk', ['location', 'object_key'])
        .execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('object_locks').execute();
    },
  };
}
