import { type Kysely, type Selectable, type SqlBool, sql } from 'kysely';
import { CairnError } from '../errors/index.js';
import { AlertDeliveryQueue } from './alert-deliveries.js';
import type { CatalogDialect } from './migrations/index.js';
import { checkedLimit, isoDate, rowByIdOrPrefix } from './monitoring-support.js';
import type {
  AlertDelivery,
  AlertRaise,
  AlertRecord,
  AlertRecords,
  AlertState,
  DeliveryEvent,
  DeliveryOutcome,
} from './monitoring-types.js';
import { isoTime } from './rows.js';
import type { CatalogDatabase } from './schema.js';

interface AlertsTable {
  id: string;
  dedup_key: string;
  kind: string;
  category: string;
  severity: string;
  summary: string;
  details: string;
  state: string;
  count: number;
  raised_at: string;
  last_raised_at: string;
  acked_at: string | null;
  acked_by: string | null;
  escalated_at: string | null;
  resolved_at: string | null;
}

type Db = Kysely<CatalogDatabase & { alerts: AlertsTable }>;

/** The partial unique index's predicate, written out literally: an upsert's conflict target must match it. */
const unresolved = sql<SqlBool>`state <> 'resolved'`;

/**
 * Alerts (C8.1, C8.2) and their deliveries to sinks. At most one alert per dedup key is not resolved
 * (a partial unique index), so raising is an INSERT … ON CONFLICT DO NOTHING followed, when the key is
 * taken, by a counting UPDATE of the unresolved row: replicas raising the same alert at once make one
 * alert with the sum of their counts. Every state change is a compare-and-set.
 */
export class KyselyAlertRecords implements AlertRecords {
  readonly #db: Db;
  readonly #queue: AlertDeliveryQueue;

  constructor(db: Kysely<CatalogDatabase>, dialect: CatalogDialect) {
    this.#db = db.withTables<{ alerts: AlertsTable }>();
    this.#queue = new AlertDeliveryQueue(db, dialect);
  }

  async raise(a: AlertRaise): Promise<{ alert: AlertRecord; created: boolean }> {
    const at = isoTime(a.at, 'at');
    const details = JSON.stringify(a.details ?? {});
    // The unresolved row can be resolved between the two statements: then the next insert succeeds.
    for (let attempt = 0; attempt < 5; attempt++) {
      const inserted = await this.#db
        .insertInto('alerts')
        .values({
          id: a.id,
          dedup_key: a.dedupKey,
          kind: a.kind,
          category: a.category,
          severity: a.severity,
          summary: a.summary,
          details,
          state: 'open',
          count: 1,
          raised_at: at,
          last_raised_at: at,
          acked_at: null,
          acked_by: null,
          escalated_at: null,
          resolved_at: null,
        })
        .onConflict((oc) => oc.column('dedup_key').where(unresolved).doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted) return { alert: fromRow(inserted), created: true };
      const updated = await this.#db
        .updateTable('alerts')
        .set((eb) => ({
          count: eb('count', '+', 1),
          last_raised_at: sql<string>`case when last_raised_at < ${at} then ${at} else last_raised_at end`,
          summary: a.summary,
          details,
          ...(a.severity === 'critical' ? { severity: 'critical' } : {}),
          ...(a.severity === 'warning'
            ? { severity: sql<string>`case when severity = 'critical' then 'critical' else 'warning' end` }
            : {}),
        }))
        .where('dedup_key', '=', a.dedupKey)
        .where(unresolved)
        .returningAll()
        .executeTakeFirst();
      if (updated) return { alert: fromRow(updated), created: false };
    }
    throw new CairnError('CAIRN_E_CATALOG', `alert ${a.dedupKey} kept being resolved while it was raised again`, {
      dedupKey: a.dedupKey,
    });
  }

  async get(idOrPrefix: string): Promise<AlertRecord | undefined> {
    const row = await rowByIdOrPrefix(this.#db, 'alerts', 'alert', idOrPrefix);
    return row ? fromRow(row) : undefined;
  }

  async byDedupKey(dedupKey: string): Promise<AlertRecord | undefined> {
    const row = await this.#db
      .selectFrom('alerts')
      .selectAll()
      .where('dedup_key', '=', dedupKey)
      .where(unresolved)
      .executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async list(
    f: { state?: AlertState | readonly AlertState[]; since?: Date; until?: Date; limit?: number } = {},
  ): Promise<AlertRecord[]> {
    let q = this.#db.selectFrom('alerts').selectAll();
    if (f.state !== undefined) {
      const states: string[] = typeof f.state === 'string' ? [f.state] : [...f.state];
      if (states.length === 0) return [];
      q = q.where('state', 'in', states);
    }
    if (f.since !== undefined) q = q.where('raised_at', '>=', isoDate(f.since, 'since'));
    if (f.until !== undefined) q = q.where('raised_at', '<', isoDate(f.until, 'until'));
    q = q.orderBy('raised_at', 'desc').orderBy('id', 'desc');
    if (f.limit !== undefined) q = q.limit(checkedLimit(f.limit));
    return (await q.execute()).map(fromRow);
  }

  async ack(id: string, by: string, at: string): Promise<AlertRecord | undefined> {
    const row = await this.#db
      .updateTable('alerts')
      .set({ state: 'acknowledged', acked_at: isoTime(at, 'at'), acked_by: by })
      .where('id', '=', id)
      .where('state', '=', 'open')
      .returningAll()
      .executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async resolve(id: string, at: string): Promise<AlertRecord | undefined> {
    const row = await this.#db
      .updateTable('alerts')
      .set({ state: 'resolved', resolved_at: isoTime(at, 'at') })
      .where('id', '=', id)
      .where('state', 'in', ['open', 'acknowledged'])
      .returningAll()
      .executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async markEscalated(id: string, at: string): Promise<boolean> {
    const r = await this.#db
      .updateTable('alerts')
      .set({ escalated_at: isoTime(at, 'at') })
      .where('id', '=', id)
      .where('escalated_at', 'is', null)
      .where('state', '=', 'open')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async dueForEscalation(raisedBefore: string): Promise<AlertRecord[]> {
    const rows = await this.#db
      .selectFrom('alerts')
      .selectAll()
      .where('state', '=', 'open')
      .where('escalated_at', 'is', null)
      .where('raised_at', '<=', isoTime(raisedBefore, 'raisedBefore'))
      .orderBy('raised_at')
      .orderBy('id')
      .execute();
    return rows.map(fromRow);
  }

  enqueue(d: ReadonlyArray<{ alertId: string; sink: string; event: DeliveryEvent; at: string }>): Promise<void> {
    return this.#queue.enqueue(d);
  }

  claimDue(now: string, limit: number, leaseMs: number): Promise<AlertDelivery[]> {
    return this.#queue.claimDue(now, limit, leaseMs);
  }

  deliveryDone(id: number, r: DeliveryOutcome): Promise<void> {
    return this.#queue.deliveryDone(id, r);
  }

  deliveries(alertId: string): Promise<AlertDelivery[]> {
    return this.#queue.deliveries(alertId);
  }
}

function fromRow(r: Selectable<AlertsTable>): AlertRecord {
  return {
    id: r.id,
    dedupKey: r.dedup_key,
    kind: r.kind,
    category: r.category,
    severity: r.severity as AlertRecord['severity'],
    summary: r.summary,
    details: JSON.parse(r.details) as Record<string, unknown>,
    state: r.state as AlertState,
    count: Number(r.count),
    raisedAt: r.raised_at,
    lastRaisedAt: r.last_raised_at,
    ackedAt: r.acked_at,
    ackedBy: r.acked_by,
    escalatedAt: r.escalated_at,
    resolvedAt: r.resolved_at,
  };
}
