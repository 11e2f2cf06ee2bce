import { type Kysely, type Migration, sql } from 'kysely';
import { type CatalogDialect, textType } from './column-types.js';

/** The hash before the first audit event: what the head row starts at (audit/ hashes against it). */
const GENESIS_HASH = '0'.repeat(64);

/**
 * The audit log: events, the head row that serialises appends, the local record of checkpoints,
 * SIEM cursors and raised alerts. See docs/AUDIT.md.
 */
export function auditTables(dialect: CatalogDialect): Migration {
  const text = textType(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('audit_events')
        .addColumn('seq', 'bigint', (c) => c.primaryKey())
        .addColumn('id', text, (c) => c.notNull())
        .addColumn('time', text, (c) => c.notNull())
        .addColumn('identity', text, (c) => c.notNull())
        .addColumn('roles', text, (c) => c.notNull())
        .addColumn('ip', text)
        .addColumn('user_agent', text)
        .addColumn('action', text, (c) => c.notNull())
        .addColumn('target', text)
        .addColumn('result', text, (c) => c.notNull())
        .addColumn('change_id', text)
        .addColumn('approval_id', text)
        .addColumn('details', text, (c) => c.notNull())
        .addColumn('prev_hash', text, (c) => c.notNull())
        .addColumn('hash', text, (c) => c.notNull())
        .execute();
      for (const column of ['time', 'identity', 'action']) {
        await db.schema.createIndex(`audit_events_${column}_idx`).on('audit_events').column(column).execute();
      }

      await db.schema
        .createTable('audit_head')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('hash', text, (c) => c.notNull())
        .execute();
      await sql`insert into audit_head (id, seq, hash) values (1, 0, ${GENESIS_HASH})`.execute(db);

      await db.schema
        .createTable('audit_checkpoints')
        .addColumn('object_key', text, (c) => c.primaryKey())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('hash', text, (c) => c.notNull())
        .addColumn('time', text, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_checkpoints_seq_idx').on('audit_checkpoints').column('seq').execute();

      await db.schema
        .createTable('audit_cursors')
        .addColumn('name', text, (c) => c.primaryKey())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('updated', text, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('audit_alerts')
        .addColumn('dedup_key', text, (c) => c.primaryKey())
        .addColumn('time', text, (c) => c.notNull())
        .execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      for (const table of ['audit_alerts', 'audit_cursors', 'audit_checkpoints', 'audit_head', 'audit_events']) {
        await db.schema.dropTable(table).execute();
      }
    },
  };
}
