import type { Kysely, Migration } from 'kysely';
import { type CatalogDialect, textType } from './column-types.js';

/**
 * Deployments (issue 5, C3.2) and the bundle of pre- and post-deploy snapshots of each
 * (src/catalog/deployments.ts). The record of the release layer, not an index: a rebuild leaves it
 * alone. (source, external_id) is unique so a webhook delivered twice finds the deployment it started.
 */
export function deploymentsTables(dialect: CatalogDialect): Migration {
  const text = textType(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('deployments')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('environment', text, (c) => c.notNull())
        .addColumn('release', text)
        .addColumn('commit', text)
        .addColumn('change', text)
        .addColumn('pipeline', text)
        .addColumn('status', text, (c) => c.notNull())
        .addColumn('source', text, (c) => c.notNull())
        .addColumn('external_id', text)
        .addColumn('actor', text, (c) => c.notNull())
        .addColumn('started_at', text, (c) => c.notNull())
        .addColumn('finished_at', text)
        .addColumn('reason', text)
        .addColumn('ticket', text)
        .addColumn('requirements', text, (c) => c.notNull())
        .execute();
      // Both dialects treat NULLs as distinct in a unique index: deployments without an external id never collide.
      await db.schema
        .createIndex('deployments_external_idx')
        .on('deployments')
        .columns(['source', 'external_id'])
        .unique()
        .execute();
      await db.schema
        .createIndex('deployments_env_started_idx')
        .on('deployments')
        .columns(['environment', 'started_at'])
        .execute();
      await db.schema
        .createIndex('deployments_env_release_idx')
        .on('deployments')
        .columns(['environment', 'release'])
        .execute();

      await db.schema
        .createTable('deployment_bundles')
        .addColumn('deployment', text, (c) => c.notNull())
        .addColumn('phase', text, (c) => c.notNull())
        .addColumn('item', text, (c) => c.notNull())
        .addColumn('snapshot_id', text)
        .addColumn('verification_id', text)
        .addColumn('status', text, (c) => c.notNull())
        .addColumn('error', text)
        .addPrimaryKeyConstraint('deployment_bundles_pk', ['deployment', 'phase', 'item'] as never)
        .execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('deployment_bundles').execute();
      await db.schema.dropTable('deployments').execute();
    },
  };
}
