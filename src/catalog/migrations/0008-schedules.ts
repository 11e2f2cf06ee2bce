import type { Kysely, Migration } from 'kysely';
import { type CatalogDialect, textType } from './column-types.js';

/**
 * The runs of the schedules `cairn serve` keeps (src/catalog/schedule-runs.ts): one row per schedule
 * key and slot, inserted by the replica that claims it. The primary key is what makes a slot run once
 * across replicas sharing a catalog: the claim is an INSERT … ON CONFLICT DO NOTHING.
 */
export function schedulesTable(dialect: CatalogDialect): Migration {
  const text = textType(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('schedule_runs')
        .addColumn('schedule_key', text, (c) => c.notNull())
        .addColumn('slot', text, (c) => c.notNull())
        .addColumn('due_at', text, (c) => c.notNull())
        .addColumn('claimed_by', text, (c) => c.notNull())
        .addColumn('claimed_at', text, (c) => c.notNull())
        .addColumn('started_at', text)
        .addColumn('finished_at', text)
        .addColumn('status', text, (c) => c.notNull())
        .addColumn('details', text)
        .addColumn('late_alerted_at', text)
        .addColumn('escalated_at', text)
        .addPrimaryKeyConstraint('schedule_runs_pk', ['schedule_key', 'slot'])
        .execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('schedule_runs').execute();
    },
  };
}
