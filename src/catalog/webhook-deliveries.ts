import type { Kysely } from 'kysely';
import type { CatalogDatabase } from './schema.js';

/**
 * How long a 'processing' delivery's heartbeat may go unrenewed before a redelivery may take it over
 * (its server is presumed dead). The server working on it renews the heartbeat every HEARTBEAT_MS.
 */
export const STALE_PROCESSING_MS = 15 * 60 * 1000;
export const HEARTBEAT_MS = 60 * 1000;

/**
 * What became of a delivery: `processing` while it is acted on, then `ok` (acted), `ignored`
 * (recorded, nothing to do: a queued status, a ping), `rejected` (unknown environment, bad payload),
 * `not-found` (a finish for a deployment never started) or `failed` (the action failed).
 */
export type WebhookResult = 'processing' | 'ok' | 'ignored' | 'rejected' | 'not-found' | 'failed';

export interface WebhookDelivery {
  readonly provider: string;
  readonly deliveryId: string;
  readonly receivedAt: string;
  /** The provider's event name (`deployment_status`, `Deployment Hook`, `finish`). */
  readonly event: string;
  readonly environment: string | null;
  readonly deployment: string | null;
  readonly result: WebhookResult;
  /** The HTTP status the delivery was answered with; null while processing. */
  readonly statusCode: number | null;
  readonly detail: string | null;
  readonly finishedAt: string | null;
}

export interface WebhookOutcome {
  readonly result: Exclude<WebhookResult, 'processing'>;
  readonly statusCode: number;
  readonly environment?: string | null;
  readonly deployment?: string | null;
  readonly detail?: string | null;
  readonly finishedAt?: string;
  /**
   * The failure was temporary (repository locked, a pre-deploy capture still running): a redelivery of
   * the same id acts again. `not-found` and a `failed` with a 5xx status are retryable whatever this says.
   */
  readonly retryable?: boolean;
}

/**
 * The record of inbound webhook deliveries (C3.1), the record of the webhook layer, not an index.
 * `claim` inserts the row or does nothing when it exists: the caller that inserted it, and only that
 * one, acts on the delivery, whichever server received it. A row is taken over (compare-and-set, so by
 * one caller only) when its outcome was temporary (`not-found`, `failed` with a 5xx or marked
 * retryable), or when it is `processing` and its heartbeat is older than STALE_PROCESSING_MS.
 */
export interface WebhookDeliveries {
  /** True when this call recorded the delivery (act on it); false when it was already recorded. */
  claim(d: { provider: string; deliveryId: string; receivedAt: string; event: string }): Promise<boolean>;
  /**
   * Renews the heartbeat of a delivery this server is processing; false when it is no longer
   * processing (completed, or taken over after all), so the caller can stop renewing.
   */
  heartbeat(provider: string, deliveryId: string, at?: string): Promise<boolean>;
  get(provider: string, deliveryId: string): Promise<WebhookDelivery | undefined>;
  complete(provider: string, deliveryId: string, outcome: WebhookOutcome): Promise<void>;
  /** Newest first. */
  list(filter?: { provider?: string; limit?: number }): Promise<WebhookDelivery[]>;
}

interface WebhookDeliveriesTable {
  provider: string;
  delivery_id: string;
  received_at: string;
  event: string;
  environment: string | null;
  deployment: string | null;
  result: string;
  status_code: number | null;
  detail: string | null;
  finished_at: string | null;
  heartbeat_at: string | null;
  retryable: number | null;
}

type Db = Kysely<CatalogDatabase & { webhook_deliveries: WebhookDeliveriesTable }>;

export class KyselyWebhookDeliveries implements WebhookDeliveries {
  readonly #db: Db;

  constructor(db: Kysely<CatalogDatabase>) {
    this.#db = db.withTables<{ webhook_deliveries: WebhookDeliveriesTable }>();
  }

  async claim(d: { provider: string; deliveryId: string; receivedAt: string; event: string }): Promise<boolean> {
    const result = await this.#db
      .insertInto('webhook_deliveries')
      .values({
        provider: d.provider,
        delivery_id: d.deliveryId,
        received_at: d.receivedAt,
        event: d.event,
        environment: null,
        deployment: null,
        result: 'processing',
        status_code: null,
        detail: null,
        finished_at: null,
        heartbeat_at: d.receivedAt,
        retryable: 0,
      })
      .onConflict((oc) => oc.columns(['provider', 'delivery_id']).doNothing())
      .executeTakeFirst();
    if (Number(result.numInsertedOrUpdatedRows ?? 0) > 0) return true;
    // Taken over, compare-and-set on the row's state so only one caller does: a delivery whose outcome
    // was temporary (the provider's retry should act), or one still 'processing' whose heartbeat has not
    // been renewed within the lease (the server handling it died; a live one renews it every minute).
    const stale = new Date(Date.parse(d.receivedAt) - STALE_PROCESSING_MS).toISOString();
    const taken = await this.#db
      .updateTable('webhook_deliveries')
      .set({
        received_at: d.receivedAt,
        heartbeat_at: d.receivedAt,
        event: d.event,
        result: 'processing',
        status_code: null,
        detail: null,
        finished_at: null,
        retryable: 0,
      })
      .where('provider', '=', d.provider)
      .where('delivery_id', '=', d.deliveryId)
      .where((eb) =>
        eb.or([
          eb.and([eb('result', '=', 'processing'), eb(eb.fn.coalesce('heartbeat_at', 'received_at'), '<', stale)]),
          eb('result', '=', 'not-found'),
          eb.and([eb('result', '=', 'failed'), eb.or([eb('status_code', '>=', 500), eb('retryable', '=', 1)])]),
        ]),
      )
      .executeTakeFirst();
    return Number(taken.numUpdatedRows ?? 0) > 0;
  }

  async heartbeat(provider: string, deliveryId: string, at = new Date().toISOString()): Promise<boolean> {
    const r = await this.#db
      .updateTable('webhook_deliveries')
      .set({ heartbeat_at: at })
      .where('provider', '=', provider)
      .where('delivery_id', '=', deliveryId)
      .where('result', '=', 'processing')
      .executeTakeFirst();
    return Number(r.numUpdatedRows ?? 0) > 0;
  }

  async get(provider: string, deliveryId: string): Promise<WebhookDelivery | undefined> {
    const row = await this.#db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('provider', '=', provider)
      .where('delivery_id', '=', deliveryId)
      .executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async complete(provider: string, deliveryId: string, o: WebhookOutcome): Promise<void> {
    await this.#db
      .updateTable('webhook_deliveries')
      .set({
        result: o.result,
        status_code: o.statusCode,
        ...(o.environment !== undefined ? { environment: o.environment } : {}),
        ...(o.deployment !== undefined ? { deployment: o.deployment } : {}),
        detail: o.detail ?? null,
        finished_at: o.finishedAt ?? new Date().toISOString(),
        retryable: o.retryable ? 1 : 0,
      })
      .where('provider', '=', provider)
      .where('delivery_id', '=', deliveryId)
      .execute();
  }

  async list(filter: { provider?: string; limit?: number } = {}): Promise<WebhookDelivery[]> {
    let q = this.#db.selectFrom('webhook_deliveries').selectAll();
    if (filter.provider !== undefined) q = q.where('provider', '=', filter.provider);
    const rows = await q
      .orderBy('received_at', 'desc')
      .orderBy('delivery_id', 'desc')
      .limit(filter.limit ?? 100)
      .execute();
    return rows.map(fromRow);
  }
}

function fromRow(r: WebhookDeliveriesTable): WebhookDelivery {
  return {
    provider: r.provider,
    deliveryId: r.delivery_id,
    receivedAt: r.received_at,
    event: r.event,
    environment: r.environment,
    deployment: r.deployment,
    result: r.result as WebhookResult,
    statusCode: r.status_code === null ? null : Number(r.status_code),
    detail: r.detail,
    finishedAt: r.finished_at,
  };
}
