/**
 * One round of alert deliveries: every due delivery row gets one attempt at its sink. Success marks
 * it delivered; a transient failure schedules the next attempt (backoff) while the delivery is
 * younger than the give-up age; a permanent failure, an old one, or a sink no longer in the policy
 * marks it failed, and the caller audits that. Rows are claimed in the catalog with a lease, so two
 * replicas never send one at the same time; a crash leaves the row pending for the lease to lapse.
 * The deliveries of one alert to one sink go in order: an acknowledge or resolve waits for an
 * earlier trigger to the same sink that is still pending (PagerDuty would drop an ack that came
 * before its trigger).
 */
import type { AlertDelivery, AlertRecord, Catalog, DeliveryEvent } from '../../catalog/index.js';
import type { Alert, AlertSeverity } from '../../notify/index.js';
import type { AlertCategory } from '../../policy/index.js';
import { errorText, isTransient, retryDelayMs } from './backoff.js';
import type { SinkSet } from './sink-set.js';

/** How long a claimed row is held: longer than any sink's attempt (HTTP and SMTP time out sooner). */
export const DELIVERY_LEASE_MS = 2 * 60_000;
const BATCH = 200;

export interface DeliveryRound {
  readonly catalog: Catalog;
  readonly sinks: SinkSet;
  readonly now: Date;
  readonly backoffMs: number;
  readonly giveUpAfterMs: number;
  /** How long a claimed row is held (DELIVERY_LEASE_MS by default). */
  readonly leaseMs?: number;
  /** Called for each delivery that has just failed for good (to audit it). */
  readonly failed: (row: AlertDelivery, alert: AlertRecord | undefined, error: string) => Promise<void>;
}

export interface DeliveryCounts {
  delivered: number;
  retrying: number;
  failed: number;
}

/** The alert as a sink sees it for one event. */
export function alertMessage(record: AlertRecord, event: DeliveryEvent): Alert {
  const time =
    (event === 'acknowledge' ? record.ackedAt : event === 'resolve' ? record.resolvedAt : null) ??
    (event === 'escalate' ? record.escalatedAt : null) ??
    record.raisedAt;
  return {
    kind: record.kind,
    severity: record.severity as AlertSeverity,
    summary: record.summary,
    details: record.details,
    dedupKey: record.dedupKey,
    time,
    event,
    category: record.category as AlertCategory,
    id: record.id,
    ...(record.escalatedAt ? { escalated: true } : {}),
  };
}

export async function deliverRound(r: DeliveryRound): Promise<DeliveryCounts> {
  const counts: DeliveryCounts = { delivered: 0, retrying: 0, failed: 0 };
  const seen = new Set<number>();
  for (;;) {
    const rows = (await r.catalog.alerts.claimDue(r.now.toISOString(), BATCH, r.leaseMs ?? DELIVERY_LEASE_MS)).filter(
      (row) => !seen.has(row.id),
    );
    for (const row of rows) seen.add(row.id);
    // One chain per (alert, sink), in row order; the chains run side by side.
    const chains = new Map<string, AlertDelivery[]>();
    for (const row of [...rows].sort((a, b) => a.id - b.id)) {
      const key = `${row.alertId}\u0000${row.sink}`;
      chains.set(key, [...(chains.get(key) ?? []), row]);
    }
    await Promise.all([...chains.values()].map((chain) => deliverChain(r, chain, counts)));
    if (rows.length < BATCH) return counts;
  }
}

async function deliverChain(r: DeliveryRound, chain: readonly AlertDelivery[], counts: DeliveryCounts) {
  let blockedUntil: string | null = null;
  for (const row of chain) {
    if (blockedUntil === null && row.event !== 'trigger') blockedUntil = await earlierPending(r, row);
    if (blockedUntil !== null) {
      // Not an attempt at the sink: this row waits for the one before it.
      await r.catalog.alerts.deliveryDone(row.id, {
        ok: false,
        error: `waiting for an earlier delivery of this alert to ${row.sink}`,
        nextAttemptAt: blockedUntil,
        waited: true,
      });
      counts.retrying++;
      continue;
    }
    const outcome = await attempt(r, row);
    counts[outcome.status]++;
    if (outcome.status === 'retrying') blockedUntil = outcome.nextAttemptAt;
  }
}

/** The next attempt time of an earlier, still pending delivery of this alert to this sink, if any. */
async function earlierPending(r: DeliveryRound, row: AlertDelivery): Promise<string | null> {
  const all = await r.catalog.alerts.deliveries(row.alertId);
  const before = all.filter((d) => d.sink === row.sink && d.id < row.id && d.status === 'pending');
  if (before.length === 0) return null;
  const times = before.map((d) => d.nextAttemptAt).sort();
  // The same time as the earlier row: both are claimed together, and run in row order.
  return times[times.length - 1] as string;
}

type Outcome = { status: 'delivered' } | { status: 'failed' } | { status: 'retrying'; nextAttemptAt: string };

async function attempt(r: DeliveryRound, row: AlertDelivery): Promise<Outcome> {
  const alerts = r.catalog.alerts;
  const record = await alerts.get(row.alertId);
  const sink = r.sinks.get(row.sink);
  let error: string;
  let transient = false;
  if (!record) {
    error = `alert ${row.alertId} is not in the catalog`;
  } else if (!sink) {
    error = `sink "${row.sink}" is no longer among the policy's alerts.sinks (now: ${r.sinks.names.join(', ') || 'none'})`;
  } else {
    try {
      await sink.deliver(alertMessage(record, row.event));
      await alerts.deliveryDone(row.id, { ok: true, at: new Date().toISOString() });
      return { status: 'delivered' };
    } catch (err) {
      error = errorText(err);
      transient = isTransient(err);
    }
  }
  const attempts = row.attempts + 1;
  const age = record ? r.now.getTime() - Date.parse(eventTime(record, row.event)) : Number.POSITIVE_INFINITY;
  if (transient && age < r.giveUpAfterMs) {
    const nextAttemptAt = new Date(r.now.getTime() + retryDelayMs(attempts, r.backoffMs)).toISOString();
    await alerts.deliveryDone(row.id, { ok: false, error, nextAttemptAt });
    return { status: 'retrying', nextAttemptAt };
  }
  const final = transient ? `${error} (given up after ${attempts} attempts)` : error;
  await alerts.deliveryDone(row.id, { ok: false, error: final, nextAttemptAt: null });
  await r.failed({ ...row, attempts }, record, final);
  return { status: 'failed' };
}

function eventTime(record: AlertRecord, event: DeliveryEvent): string {
  return alertMessage(record, event).time;
}
