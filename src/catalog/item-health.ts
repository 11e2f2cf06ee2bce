import type { Kysely } from 'kysely';
import type { ItemHealth, ItemHealthRow } from './monitoring-types.js';
import { isoTime } from './rows.js';
import type { CatalogDatabase } from './schema.js';

interface ItemHealthTable {
  item: string;
  environment: string; // '' = none
  consecutive_failures: number;
  last_failure_at: string | null;
  last_success_at: string | null;
  last_error: string | null;
}

type Db = Kysely<CatalogDatabase & { item_health: ItemHealthTable }>;

/**
 * The failure streak of each (item, environment)'s backups (C8.1). One upsert per outcome, so replicas
 * recording outcomes of the same item at once never lose a count: a failure adds one, a success sets
 * the streak to zero. The last failure and its error stay after a success, for the record.
 */
export class KyselyItemHealth implements ItemHealth {
  readonly #db: Db;

  constructor(db: Kysely<CatalogDatabase>) {
    this.#db = db.withTables<{ item_health: ItemHealthTable }>();
  }

  async recordOutcome(o: {
    item: string;
    environment: string | null;
    ok: boolean;
    at: string;
    error?: string;
  }): Promise<{ consecutiveFailures: number; lastSuccessAt: string | null }> {
    const at = isoTime(o.at, 'at');
    const error = o.error ?? 'failed';
    const row = await this.#db
      .insertInto('item_health')
      .values({
        item: o.item,
        environment: o.environment ?? '',
        consecutive_failures: o.ok ? 0 : 1,
        last_failure_at: o.ok ? null : at,
        last_success_at: o.ok ? at : null,
        last_error: o.ok ? null : error,
      })
      .onConflict((oc) =>
        oc.columns(['item', 'environment']).doUpdateSet((eb) =>
          o.ok
            ? { consecutive_failures: 0, last_success_at: at }
            : {
                consecutive_failures: eb('item_health.consecutive_failures', '+', 1),
                last_failure_at: at,
                last_error: error,
              },
        ),
      )
      .returning(['consecutive_failures', 'last_success_at'])
      .executeTakeFirstOrThrow();
    return { consecutiveFailures: Number(row.consecutive_failures), lastSuccessAt: row.last_success_at };
  }

  async list(): Promise<ItemHealthRow[]> {
    const rows = await this.#db.selectFrom('item_health').selectAll().orderBy('item').orderBy('environment').execute();
    return rows.map((r) => ({
      item: r.item,
      environment: r.environment === '' ? null : r.environment,
      consecutiveFailures: Number(r.consecutive_failures),
      lastFailureAt: r.last_failure_at,
      lastSuccessAt: r.last_success_at,
      lastError: r.last_error,
    }));
  }
}
