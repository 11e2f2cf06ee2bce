import type { Kysely, Migration } from 'kysely';
import { type CatalogDialect, textType } from './column-types.js';

/**
 * Webhook deliveries (src/catalog/webhook-deliveries.ts) get a heartbeat and a retry mark:
 * - `heartbeat_at`: renewed by the server working on a `processing` delivery (every minute); a
 *   redelivery takes the delivery over only when the heartbeat is older than the lease, so a server
 *   that is alive but slow is never doubled. Rows from before this migration fall back to received_at.
 * - `retryable` (0/1): the outcome was temporary (repository locked, a pre-deploy capture still
 *   running, a 5xx), so a redelivery of the same id acts again instead of answering the outcome.
 */
export function webhookHeartbeat(dialect: CatalogDialect): Migration {
  const text = textType(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('webhook_deliveries').addColumn('heartbeat_at', text).execute();
      await db.schema.alterTable('webhook_deliveries').addColumn('retryable', 'integer').execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('webhook_deliveries').dropColumn('retryable').execute();
      await db.schema.alterTable('webhook_deliveries').dropColumn('heartbeat_at').execute();
    },
  };
}
