import type { Kysely, Migration } from 'kysely';
import { type CatalogDialect, textType } from './column-types.js';

/**
 * API tokens, just-in-time role grants and their votes, approval requests for destructive actions
 * and their votes, MFA enrolments. Conventions as in 0001-initial.ts (times ISO text, JSON text,
 * booleans 0/1). One vote per approver is the primary key of each votes table, so a second vote by
 * the same person is refused by the database itself, whichever server receives it. No foreign keys:
 * SQLite enforces them only per connection pragma, and the access layer checks the request first.
 */
export function accessTables(dialect: CatalogDialect): Migration {
  const text = textType(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('tokens')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('name', text, (c) => c.notNull())
        .addColumn('roles', text, (c) => c.notNull())
        .addColumn('hash', text, (c) => c.notNull())
        .addColumn('created_by', text, (c) => c.notNull())
        .addColumn('created_at', text, (c) => c.notNull())
        .addColumn('expires_at', text, (c) => c.notNull())
        .addColumn('revoked_at', text)
        .addColumn('revoked_by', text)
        .addColumn('last_used_at', text)
        .execute();
      await db.schema.createIndex('tokens_name_idx').on('tokens').column('name').execute();

      await db.schema
        .createTable('role_grants')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('subject', text, (c) => c.notNull())
        .addColumn('role', text, (c) => c.notNull())
        .addColumn('base_roles', text, (c) => c.notNull())
        .addColumn('reason', text, (c) => c.notNull())
        .addColumn('duration_ms', 'bigint', (c) => c.notNull())
        .addColumn('required', 'integer', (c) => c.notNull())
        .addColumn('requested_at', text, (c) => c.notNull())
        .addColumn('lapses_at', text, (c) => c.notNull())
        .addColumn('status', text, (c) => c.notNull())
        .addColumn('active_from', text)
        .addColumn('active_until', text)
        .addColumn('status_by', text)
        .addColumn('status_at', text)
        .addColumn('status_note', text)
        .execute();
      await db.schema
        .createIndex('role_grants_subject_status_idx')
        .on('role_grants')
        .columns(['subject', 'status'])
        .execute();
      await votesTable(db, text, 'role_grant_votes', 'grant_id');

      await db.schema
        .createTable('approval_requests')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('action', text, (c) => c.notNull())
        .addColumn('target', text, (c) => c.notNull())
        .addColumn('params', text, (c) => c.notNull())
        .addColumn('reason', text)
        .addColumn('requested_by', text, (c) => c.notNull())
        .addColumn('required', 'integer', (c) => c.notNull())
        .addColumn('created_at', text, (c) => c.notNull())
        .addColumn('expires_at', text, (c) => c.notNull())
        .addColumn('status', text, (c) => c.notNull())
        .addColumn('status_by', text)
        .addColumn('status_at', text)
        .addColumn('status_note', text)
        .addColumn('result', text)
        .execute();
      for (const column of ['status', 'requested_by', 'created_at']) {
        await db.schema.createIndex(`approval_requests_${column}_idx`).on('approval_requests').column(column).execute();
      }
      await votesTable(db, text, 'approval_votes', 'request_id');

      await db.schema
        .createTable('mfa_enrolments')
        .addColumn('subject', text, (c) => c.primaryKey())
        .addColumn('sealed_secret', text, (c) => c.notNull())
        .addColumn('confirmed', 'integer', (c) => c.notNull())
        .addColumn('created_at', text, (c) => c.notNull())
        .addColumn('confirmed_at', text)
        .addColumn('last_step', 'bigint')
        .execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      for (const table of [
        'mfa_enrolments',
        'approval_votes',
        'approval_requests',
        'role_grant_votes',
        'role_grants',
        'tokens',
      ]) {
        await db.schema.dropTable(table).execute();
      }
    },
  };
}

async function votesTable(
  db: Kysely<unknown>,
  text: ReturnType<typeof textType>,
  table: string,
  parent: string,
): Promise<void> {
  await db.schema
    .createTable(table)
    .addColumn(parent, text, (c) => c.notNull())
    .addColumn('approver', text, (c) => c.notNull())
    .addColumn('time', text, (c) => c.notNull())
    .addPrimaryKeyConstraint(`${table}_pk`, [parent, 'approver'] as never)
    .execute();
}
