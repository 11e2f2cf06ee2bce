import { type ColumnDefinitionBuilder, type Kysely, type Migration, sql } from 'kysely';
import { type CatalogDialect, textType } from './column-types.js';

/**
 * Issue 6: recovery drills, their sign-offs and the gaps they found; alerts and their deliveries to
 * sinks; the failure streak of each item's backups; canary runs; and an index for coverage. The record
 * of the drill and alert layers, not an index: a catalog rebuild leaves them alone.
 *
 * What makes them safe across replicas sharing a catalog is in the keys:
 * - drill_signoffs: one sign-off per team (primary key) and one per person (unique) on each drill;
 * - drill_gaps and alerts: at most one OPEN gap per (item, category, key) and one unresolved alert per
 *   dedup key, partial unique indexes (both dialects have them), so inserts are ON CONFLICT DO NOTHING;
 * - item_health: one row per (item, environment), '' standing for no environment (a primary key
 *   column cannot be NULL), updated by one upsert per outcome.
 * Numbered rows (gaps, deliveries) use each dialect's own auto-increment.
 */
export function monitoringTables(dialect: CatalogDialect): Migration {
  const text = textType(dialect);
  // SQLite: INTEGER PRIMARY KEY AUTOINCREMENT (never reuses an id); PostgreSQL: an identity column.
  const serialType = dialect === 'postgres' ? 'bigint' : 'integer';
  const serial = (c: ColumnDefinitionBuilder) =>
    dialect === 'postgres' ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement();
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('drills')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('plan', text, (c) => c.notNull())
        .addColumn('kind', text, (c) => c.notNull())
        .addColumn('environment', text)
        .addColumn('trigger', text, (c) => c.notNull())
        .addColumn('actor', text, (c) => c.notNull())
        .addColumn('started_at', text, (c) => c.notNull())
        .addColumn('finished_at', text)
        .addColumn('status', text, (c) => c.notNull())
        .addColumn('rto_ms', 'bigint')
        .addColumn('restore_ms', 'bigint')
        .addColumn('validate_ms', 'bigint')
        .addColumn('rpo_ms', 'bigint')
        .addColumn('rto_sla_ms', 'bigint')
        .addColumn('rpo_sla_ms', 'bigint')
        .addColumn('within_sla', 'integer')
        .addColumn('signoff_required', text, (c) => c.notNull()) // JSON array of team names
        .addColumn('result', text) // JSON DrillResult, null while running
        .execute();
      await db.schema.createIndex('drills_plan_started_idx').on('drills').columns(['plan', 'started_at']).execute();
      await db.schema.createIndex('drills_started_idx').on('drills').column('started_at').execute();
      // One running drill per plan, across every process and replica sharing the catalog.
      await db.schema
        .createIndex('drills_running_plan_uq')
        .on('drills')
        .column('plan')
        .unique()
        .where(sql.ref('status'), '=', 'running')
        .execute();

      await db.schema
        .createTable('drill_signoffs')
        .addColumn('drill_id', text, (c) => c.notNull())
        .addColumn('team', text, (c) => c.notNull())
        .addColumn('subject', text, (c) => c.notNull())
        .addColumn('at', text, (c) => c.notNull())
        .addPrimaryKeyConstraint('drill_signoffs_pk', ['drill_id', 'team'] as never)
        .addUniqueConstraint('drill_signoffs_subject_uq', ['drill_id', 'subject'] as never)
        .execute();

      await db.schema
        .createTable('drill_gaps')
        .addColumn('id', serialType, serial)
        .addColumn('item', text, (c) => c.notNull())
        .addColumn('category', text, (c) => c.notNull())
        .addColumn('key', text, (c) => c.notNull())
        .addColumn('message', text, (c) => c.notNull())
        .addColumn('first_drill', text, (c) => c.notNull())
        .addColumn('last_drill', text, (c) => c.notNull())
        .addColumn('opened_at', text, (c) => c.notNull())
        .addColumn('closed_at', text)
        .addColumn('closed_by_drill', text)
        .execute();
      await db.schema
        .createIndex('drill_gaps_open_uq')
        .on('drill_gaps')
        .columns(['item', 'category', 'key'])
        .unique()
        .where(sql.ref('closed_at'), 'is', null)
        .execute();
      await db.schema.createIndex('drill_gaps_item_idx').on('drill_gaps').columns(['item', 'opened_at']).execute();

      await db.schema
        .createTable('alerts')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('dedup_key', text, (c) => c.notNull())
        .addColumn('kind', text, (c) => c.notNull())
        .addColumn('category', text, (c) => c.notNull())
        .addColumn('severity', text, (c) => c.notNull())
        .addColumn('summary', text, (c) => c.notNull())
        .addColumn('details', text, (c) => c.notNull()) // JSON object
        .addColumn('state', text, (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull())
        .addColumn('raised_at', text, (c) => c.notNull())
        .addColumn('last_raised_at', text, (c) => c.notNull())
        .addColumn('acked_at', text)
        .addColumn('acked_by', text)
        .addColumn('escalated_at', text)
        .addColumn('resolved_at', text)
        .execute();
      await db.schema
        .createIndex('alerts_dedup_open_uq')
        .on('alerts')
        .column('dedup_key')
        .unique()
        .where(sql.ref('state'), '<>', 'resolved')
        .execute();
      await db.schema.createIndex('alerts_state_raised_idx').on('alerts').columns(['state', 'raised_at']).execute();
      await db.schema.createIndex('alerts_raised_idx').on('alerts').column('raised_at').execute();

      await db.schema
        .createTable('alert_deliveries')
        .addColumn('id', serialType, serial)
        .addColumn('alert_id', text, (c) => c.notNull())
        .addColumn('sink', text, (c) => c.notNull())
        .addColumn('event', text, (c) => c.notNull())
        .addColumn('status', text, (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('next_attempt_at', text, (c) => c.notNull())
        .addColumn('last_error', text)
        .addColumn('delivered_at', text)
        .execute();
      await db.schema
        .createIndex('alert_deliveries_due_idx')
        .on('alert_deliveries')
        .columns(['status', 'next_attempt_at'])
        .execute();
      await db.schema.createIndex('alert_deliveries_alert_idx').on('alert_deliveries').column('alert_id').execute();

      await db.schema
        .createTable('item_health')
        .addColumn('item', text, (c) => c.notNull())
        .addColumn('environment', text, (c) => c.notNull()) // '' = none
        .addColumn('consecutive_failures', 'integer', (c) => c.notNull())
        .addColumn('last_failure_at', text)
        .addColumn('last_success_at', text)
        .addColumn('last_error', text)
        .addPrimaryKeyConstraint('item_health_pk', ['item', 'environment'] as never)
        .execute();

      await db.schema
        .createTable('canary_runs')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('started_at', text, (c) => c.notNull())
        .addColumn('finished_at', text, (c) => c.notNull())
        .addColumn('ok', 'integer', (c) => c.notNull())
        .addColumn('latency_ms', 'bigint', (c) => c.notNull())
        .addColumn('phases', text, (c) => c.notNull()) // JSON object of ms
        .addColumn('snapshot_id', text)
        .addColumn('error', text)
        .execute();
      await db.schema.createIndex('canary_runs_started_idx').on('canary_runs').column('started_at').execute();

      // Coverage's newest complete snapshot and newest verification per (item, environment), read from
      // these covering indexes alone (src/catalog/coverage-queries.ts): ~20 ms instead of ~300 ms on
      // SQLite at 100,000 snapshots, where the GROUP BY otherwise sorts every row in a temporary tree.
      await db.schema
        .createIndex('snapshots_complete_latest_idx')
        .on('snapshots')
        .columns(['item', 'environment', 'time', 'id'])
        .where(sql.ref('status'), '=', 'complete')
        .execute();
      await db.schema
        .createIndex('verifications_item_env_time_idx')
        .on('verifications')
        .columns(['item', 'environment', 'time', 'id'])
        .execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('verifications_item_env_time_idx').execute();
      await db.schema.dropIndex('snapshots_complete_latest_idx').execute();
      for (const table of [
        'canary_runs',
        'item_health',
        'alert_deliveries',
        'alerts',
        'drill_gaps',
        'drill_signoffs',
        'drills',
      ]) {
        await db.schema.dropTable(table).execute();
      }
    },
  };
}
