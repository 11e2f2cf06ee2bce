/**
 * The alert center (C8.1, C8.2): every alert Cairn raises goes through here. It keeps the alert's
 * state in the catalog (open → acknowledged → resolved, escalated once), records each change in the
 * audit log, and queues one delivery per sink and event in the catalog, so a sink that is down gets
 * the alert later instead of never (deliveries.ts). Raising an alert that is already open only
 * counts it. Sinks come from the policy in force at each step.
 */
import { randomBytes } from 'node:crypto';
import type { AuditLog } from '../../audit/index.js';
import type { AlertDelivery, AlertRecord, Catalog, DeliveryEvent } from '../../catalog/index.js';
import { CairnError } from '../../errors/index.js';
import { type AlertSink, alertSinksFromPolicy } from '../../notify/index.js';
import type { Policy } from '../../policy/index.js';
import { DEFAULT_BACKOFF_MS, DEFAULT_GIVE_UP_AFTER_MS } from './backoff.js';
import { alertMessage, DELIVERY_LEASE_MS, type DeliveryCounts, deliverRound } from './delivery.js';
import { checkRaise, type RaiseInput, stateText } from './raise-input.js';
import { SinkSet } from './sink-set.js';

/** The identity alerts raised by Cairn itself are recorded under. */
export const MONITOR_IDENTITY = 'system:monitor';

export interface AlertCenterOptions {
  readonly catalog: Catalog;
  readonly log: AuditLog;
  /** The policy in force (re-read by the server when the file changes). */
  readonly policy: () => Promise<Policy>;
  /** Where the sinks' *Env variables are read; process.env by default. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly now?: () => Date;
  /** The sinks of a policy; alertSinksFromPolicy(policy.alertSinks) by default (tests pass their own). */
  readonly sinks?: (p: Policy) => AlertSink[];
  /** First retry delay, doubled per attempt up to an hour; default 30 s. */
  readonly backoffMs?: number;
  /** A delivery still failing this long after its event is given up (failed, audited); default 24 h. */
  readonly giveUpAfterMs?: number;
  /**
   * How long a claimed delivery is held before another round (or replica) may take it again: a
   * process that dies mid-attempt leaves its rows to the next after this; default 2 minutes, longer
   * than any sink's attempt.
   */
  readonly leaseMs?: number;
  /** Identity of raise, escalation and delivery-failed events; default system:monitor. */
  readonly identity?: string;
  /** Failures of background deliveries (nothing awaits them). */
  readonly onError?: (what: string, err: unknown) => void;
}

export class AlertCenter {
  readonly #o: AlertCenterOptions;
  readonly #now: () => Date;
  readonly #identity: string;
  #running: Promise<void> | undefined;
  #again = false;

  constructor(o: AlertCenterOptions) {
    this.#o = o;
    this.#now = o.now ?? (() => new Date());
    this.#identity = o.identity ?? MONITOR_IDENTITY;
  }

  get catalog(): Catalog {
    return this.#o.catalog;
  }

  now(): Date {
    return this.#now();
  }

  /** The policy in force, as the center reads it. */
  policy(): Promise<Policy> {
    return this.#o.policy();
  }

  /** Records the alert; a new one is audited and queued to every sink that takes it, then sent at once. */
  async raise(a: RaiseInput): Promise<AlertRecord> {
    checkRaise(a);
    const at = this.#now().toISOString();
    const { alert, created } = await this.#o.catalog.alerts.raise({
      id: `al-${randomBytes(8).toString('hex')}`,
      dedupKey: a.dedupKey,
      kind: a.kind,
      category: a.category,
      severity: a.severity,
      summary: a.summary,
      details: a.details ?? {},
      at,
    });
    if (!created) return alert;
    const sinks = await this.#enqueue(alert, 'trigger', at);
    await this.#audit(this.#identity, 'alert.raised', alert, { sinks });
    return alert;
  }

  /** Acknowledges an open alert: it will not escalate; sinks hear it (PagerDuty: acknowledge). */
  async ack(idOrPrefix: string, by: string): Promise<AlertRecord> {
    const found = await this.#find(idOrPrefix);
    const at = this.#now().toISOString();
    const acked = await this.#o.catalog.alerts.ack(found.id, by, at);
    if (!acked) {
      const current = (await this.#o.catalog.alerts.get(found.id)) ?? found;
      throw new CairnError(
        'CAIRN_E_EXISTS',
        `alert ${found.id} is ${stateText(current)}; only an open alert can be acknowledged`,
        {
          alert: found.id,
          state: current.state,
        },
      );
    }
    const sinks = await this.#enqueue(acked, 'acknowledge', at);
    await this.#audit(by, 'alert.acknowledged', acked, { sinks });
    return acked;
  }

  /**
   * Resolves an open or acknowledged alert, named by id (prefix) or by dedup key; undefined when there
   * is no such alert or it is resolved already.
   */
  async resolve(idOrDedupKey: string, by: string, reason?: string): Promise<AlertRecord | undefined> {
    const alerts = this.#o.catalog.alerts;
    let found = /^al-[0-9a-f]{3,16}$/.test(idOrDedupKey) ? await alerts.get(idOrDedupKey) : undefined;
    found ??= await alerts.byDedupKey(idOrDedupKey);
    if (!found || found.state === 'resolved') return undefined;
    const at = this.#now().toISOString();
    const resolved = await alerts.resolve(found.id, at);
    if (!resolved) return undefined;
    const sinks = await this.#enqueue(resolved, 'resolve', at);
    await this.#audit(by, 'alert.resolved', resolved, { sinks, ...(reason ? { reason } : {}) });
    return resolved;
  }

  /**
   * Escalates the open alerts nobody acknowledged within alerts.escalateAfter: once each, even with
   * several replicas (compare-and-set in the catalog), to the sinks that take escalations.
   */
  async escalateDue(): Promise<AlertRecord[]> {
    const policy = await this.#o.policy();
    const now = this.#now();
    const before = new Date(now.getTime() - policy.alerts.escalateAfterMs).toISOString();
    const escalated: AlertRecord[] = [];
    for (const due of await this.#o.catalog.alerts.dueForEscalation(before)) {
      const at = this.#now().toISOString();
      if (!(await this.#o.catalog.alerts.markEscalated(due.id, at))) continue;
      const record = (await this.#o.catalog.alerts.get(due.id)) ?? { ...due, escalatedAt: at };
      const sinks = await this.#enqueue(record, 'escalate', at, policy);
      await this.#audit(this.#identity, 'alert.escalated', record, {
        sinks,
        escalateAfterMs: policy.alerts.escalateAfterMs,
      });
      escalated.push(record);
    }
    return escalated;
  }

  /** One attempt at every due delivery (see delivery.ts). */
  async deliverDue(): Promise<DeliveryCounts> {
    const policy = await this.#o.policy();
    return deliverRound({
      catalog: this.#o.catalog,
      sinks: this.#sinkSet(policy),
      now: this.#now(),
      backoffMs: this.#o.backoffMs ?? DEFAULT_BACKOFF_MS,
      giveUpAfterMs: this.#o.giveUpAfterMs ?? DEFAULT_GIVE_UP_AFTER_MS,
      leaseMs: this.#o.leaseMs ?? DELIVERY_LEASE_MS,
      failed: (row, alert, error) => this.#deliveryFailed(row, alert, error),
    });
  }

  /** Waits until the deliveries started in the background are done. */
  async settle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  #sinkSet(policy: Policy): SinkSet {
    if (this.#o.sinks) return new SinkSet(this.#o.sinks(policy).map((sink) => ({ sink })));
    const sinks = alertSinksFromPolicy(policy.alertSinks, this.#o.env ? { env: this.#o.env } : {});
    return new SinkSet(sinks.map((sink, i) => ({ sink, entry: policy.alertSinks[i] })));
  }

  /** Queues `event` of the alert to the sinks that take it and starts delivering; returns their names. */
  async #enqueue(alert: AlertRecord, event: DeliveryEvent, at: string, policy?: Policy): Promise<string[]> {
    const sinks = this.#sinkSet(policy ?? (await this.#o.policy())).accepting(alertMessage(alert, event));
    if (sinks.length > 0) {
      await this.#o.catalog.alerts.enqueue(sinks.map((sink) => ({ alertId: alert.id, sink, event, at })));
      this.#kick();
    }
    return sinks;
  }

  #kick(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        await this.deliverDue().catch((err: unknown) => this.#o.onError?.('alert deliveries', err));
      } while (this.#again);
    })().finally(() => {
      this.#running = undefined;
    });
  }

  async #find(idOrPrefix: string): Promise<AlertRecord> {
    const found = await this.#o.catalog.alerts.get(idOrPrefix);
    if (!found)
      throw new CairnError('CAIRN_E_NOT_FOUND', `no alert ${idOrPrefix} (see \`cairn alerts list --state all\`)`, {
        alert: idOrPrefix,
      });
    return found;
  }

  async #deliveryFailed(row: AlertDelivery, alert: AlertRecord | undefined, error: string): Promise<void> {
    await this.#o.log.record({
      identity: this.#identity,
      action: 'alert.delivery-failed',
      result: 'failed',
      target: row.alertId,
      details: {
        sink: row.sink,
        event: row.event,
        attempts: row.attempts,
        error,
        ...(alert ? { kind: alert.kind, dedupKey: alert.dedupKey } : {}),
      },
    });
  }

  async #audit(identity: string, action: string, alert: AlertRecord, extra: Record<string, unknown>): Promise<void> {
    const details =
      JSON.stringify(alert.details).length <= 3000 ? { details: alert.details } : { detailsOmitted: true };
    await this.#o.log.record({
      identity,
      action,
      result: 'ok',
      target: alert.id,
      details: {
        kind: alert.kind,
        category: alert.category,
        severity: alert.severity,
        dedupKey: alert.dedupKey,
        summary: alert.summary.slice(0, 500),
        state: alert.state,
        ...extra,
        ...(action === 'alert.raised' ? details : {}),
      },
    });
  }
}
