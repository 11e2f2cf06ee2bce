import type { ColumnType, Kysely, Selectable } from 'kysely';
import { CairnError } from '../errors/index.js';
import { batches } from './batches.js';
import type { CatalogDialect } from './migrations/index.js';
import { checkedLimit } from './monitoring-support.js';
import type { AlertDelivery, DeliveryEvent, DeliveryOutcome } from './monitoring-types.js';
import { isoTime } from './rows.js';
import type { CatalogDatabase } from './schema.js';

export interface AlertDeliveriesTable {
  id: ColumnType<number | string, number | undefined, number>; // auto-increment; bigint on pg
  alert_id: string;
  sink: string;
  event: string;
  status: string;
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  delivered_at: string | null;
}

type Db = Kysely<CatalogDatabase & { alert_deliveries: AlertDeliveriesTable }>;

/**
 * The outbox of alert notifications: one row per (alert event, sink), pending until a sink took it or
 * it was given up. Any replica may send a pending one; claimDue is what keeps two from sending the same
 * row at once (a lease: next_attempt_at moves past the send), deliveryDone records the attempt.
 */
export class AlertDeliveryQueue {
  readonly #db: Db;
  readonly #dialect: CatalogDialect;

  constructor(db: Kysely<CatalogDatabase>, dialect: CatalogDialect) {
    this.#db = db.withTables<{ alert_deliveries: AlertDeliveriesTable }>();
    this.#dialect = dialect;
  }

  async enqueue(d: ReadonlyArray<{ alertId: string; sink: string; event: DeliveryEvent; at: string }>): Promise<void> {
    const rows = d.map((x) => ({
      alert_id: x.alertId,
      sink: x.sink,
      event: x.event,
      status: 'pending',
      attempts: 0,
      next_attempt_at: isoTime(x.at, 'at'),
      last_error: null,
      delivered_at: null,
    }));
    if (rows.length === 0) return;
    await this.#db.transaction().execute(async (trx) => {
      for (const batch of batches(rows)) await trx.insertInto('alert_deliveries').values(batch).execute();
    });
  }

  /**
   * One transaction: pick the due rows, then move each one's next_attempt_at to the end of the lease,
   * only where it is still pending and due. On PostgreSQL the pick locks the rows and skips those another
   * claimer holds (FOR UPDATE SKIP LOCKED), so concurrent claimers share the queue; SQLite runs write
   * transactions one at a time (BEGIN IMMEDIATE), so the second claimer sees the first's lease.
   */
  async claimDue(now: string, limit: number, leaseMs: number): Promise<AlertDelivery[]> {
    const at = isoTime(now, 'now');
    checkedLimit(limit);
    if (!Number.isSafeInteger(leaseMs) || leaseMs < 0) {
      throw new CairnError('CAIRN_E_USAGE', `a delivery lease must be a whole number of ms ≥ 0, not ${leaseMs}`, {
        leaseMs,
      });
    }
    const leaseUntil = new Date(Date.parse(at) + leaseMs).toISOString();
    return this.#db.transaction().execute(async (trx) => {
      let pick = trx
        .selectFrom('alert_deliveries')
        .select('id')
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', at)
        .orderBy('next_attempt_at')
        .orderBy('id')
        .limit(limit);
      if (this.#dialect === 'postgres') pick = pick.forUpdate().skipLocked();
      const ids = (await pick.execute()).map((r) => Number(r.id));
      if (ids.length === 0) return [];
      const rows = await trx
        .updateTable('alert_deliveries')
        .set({ next_attempt_at: leaseUntil })
        .where('id', 'in', ids)
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', at)
        .returningAll()
        .execute();
      const order = new Map(ids.map((id, i) => [id, i]));
      return rows.map(fromRow).sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
    });
  }

  async deliveryDone(id: number, r: DeliveryOutcome): Promise<void> {
    const set = r.ok
      ? { status: 'delivered', delivered_at: isoTime(r.at, 'at'), last_error: null }
      : r.nextAttemptAt === null
        ? { status: 'failed', last_error: r.error }
        : { last_error: r.error, next_attempt_at: isoTime(r.nextAttemptAt, 'nextAttemptAt') };
    await this.#db
      .updateTable('alert_deliveries')
      .set((eb) => ({ ...set, attempts: !r.ok && r.waited ? eb.ref('attempts') : eb('attempts', '+', 1) }))
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .execute();
  }

  async deliveries(alertId: string): Promise<AlertDelivery[]> {
    const rows = await this.#db
      .selectFrom('alert_deliveries')
      .selectAll()
      .where('alert_id', '=', alertId)
      .orderBy('id')
      .execute();
    return rows.map(fromRow);
  }
}

function fromRow(r: Selectable<AlertDeliveriesTable>): AlertDelivery {
  return {
    id: Number(r.id),
    alertId: r.alert_id,
    sink: r.sink,
    event: r.event as DeliveryEvent,
    status: r.status as AlertDelivery['status'],
    attempts: Number(r.attempts),
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    deliveredAt: r.delivered_at,
  };
}
