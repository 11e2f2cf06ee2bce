import type { Migration, MigrationProvider } from 'kysely';
import { initial } from './0001-initial.js';
import { auditTables } from './0002-audit.js';
import { accessTables } from './0003-access.js';
import { statsIndex } from './0004-stats-index.js';
import { objectLocksTable } from './0005-object-locks.js';
import { deploymentsTables } from './0006-deployments.js';
import { webhooksTable } from './0007-webhooks.js';
import { schedulesTable } from './0008-schedules.js';
import { driftTables } from './0009-drift.js';
import { rollbacksTables } from './0010-rollbacks.js';
import { webhookHeartbeat } from './0011-webhook-heartbeat.js';
import { rollbackLease } from './0012-rollback-lease.js';
import { monitoringTables } from './0013-monitoring.js';
import type { CatalogDialect } from './column-types.js';

export type { CatalogDialect } from './column-types.js';

/**
 * Every catalog migration, in order. Later issues add their tables (drift checks, drills,
 * approvals, role grants, tokens, audit events, alert state) as new files `000N-<what>.ts` listed
 * here; a migration that has shipped is never edited, only followed by another.
 */
export function catalogMigrations(dialect: CatalogDialect): MigrationProvider {
  const migrations: Record<string, Migration> = {
    '0001-initial': initial(dialect),
    '0002-audit': auditTables(dialect),
    '0003-access': accessTables(dialect),
    '0004-stats-index': statsIndex(),
    '0005-object-locks': objectLocksTable(dialect),
    '0006-deployments': deploymentsTables(dialect),
    '0007-webhooks': webhooksTable(dialect),
    '0008-schedules': schedulesTable(dialect),
    '0009-drift': driftTables(dialect),
    '0010-rollbacks': rollbacksTables(dialect),
    '0011-webhook-heartbeat': webhookHeartbeat(dialect),
    '0012-rollback-lease': rollbackLease(dialect),
    '0013-monitoring': monitoringTables(dialect),
  };
  return { getMigrations: async () => migrations };
}

/** Kysely's default names would be shared with any other Kysely application in the same schema. */
export const migrationTables = Object.freeze({
  migrationTableName: 'cairn_migration',
  migrationLockTableName: 'cairn_migration_lock',
});
