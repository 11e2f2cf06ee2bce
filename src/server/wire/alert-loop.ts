import type { AlertSeverity } from '../../notify/index.js';
import { ALERT_KINDS, type AlertKind, type Policy } from '../../policy/index.js';
import { type AlertCenter, checkCoverageAlerts, recordBackupOutcome } from '../../services/index.js';
import { envNumber } from './replica-loop.js';
import type { WireContext } from './wire-context.js';

/** The identity scheduled runs and their alerts are recorded under. */
export const SCHEDULER_IDENTITY = 'system:scheduler';

export interface AlertLoopOptions {
  /** Time between rounds; default CAIRN_ALERT_TICK_MS, else 15 s. */
  readonly tickMs?: number;
  /** Time between looks at coverage for out-of-rpo alerts; default CAIRN_COVERAGE_CHECK_MS, else 60 s. */
  readonly coverageMs?: number;
  readonly onError: (what: string, err: unknown) => void;
}

export interface AlertLoop {
  /** Stops the rounds and waits for the one in flight and the deliveries started in the background. */
  stop(): Promise<void>;
}

/**
 * The alert round of `cairn serve`: every minute or so, coverage raises and resolves `out-of-rpo`
 * alerts; every tick, the open alerts nobody acknowledged within alerts.escalateAfter are escalated (once, across replicas: compare-and-set in the catalog) and every
 * delivery due is attempted once (a sink that failed is tried again with backoff, never lost).
 */
export function startAlertLoop(center: AlertCenter, opts: AlertLoopOptions): AlertLoop {
  const tickMs = opts.tickMs ?? envNumber('CAIRN_ALERT_TICK_MS') ?? 15_000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const coverageMs = opts.coverageMs ?? envNumber('CAIRN_COVERAGE_CHECK_MS') ?? 60_000;
  let lastCoverage = Date.now(); // the first look a period after start: the scheduler's first runs come first
  let round: Promise<void> = Promise.resolve();
  const loop = () => {
    round = (async () => {
      if (Date.now() - lastCoverage >= coverageMs) {
        lastCoverage = Date.now();
        await checkCoverageAlerts(center).catch((err: unknown) => opts.onError('coverage alerts', err));
        if (stopped) return;
      }
      await center.escalateDue().catch((err: unknown) => opts.onError('alert escalation', err));
      if (stopped) return;
      await center.deliverDue().catch((err: unknown) => opts.onError('alert deliveries', err));
    })().then(() => {
      if (!stopped) timer = setTimeout(loop, tickMs);
    });
  };
  loop();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await round;
      await center.settle();
    },
  };
}

export type SchedulerAlertKind = Extract<
  AlertKind,
  'schedule-late' | 'schedule-escalation' | 'schedule-failed' | 'drift' | 'drill-failed' | 'drill-overdue' | 'drill-gap'
>;

/** The kinds recorded as `schedule.<…>` audit events besides the AlertCenter's alert.raised. */
const AUDITED = new Set<SchedulerAlertKind>(['schedule-late', 'schedule-escalation', 'schedule-failed', 'drift']);

export interface RaisedAlert {
  readonly kind: SchedulerAlertKind;
  readonly severity: AlertSeverity;
  /** The schedule key. */
  readonly key: string;
  readonly slot?: string;
  /** Default `<kind>:<key>[@<slot>]`. */
  readonly dedupKey?: string;
  readonly summary: string;
  readonly details: Record<string, unknown>;
}

/**
 * Raises and resolves the scheduler's alerts through the server's AlertCenter (recorded in the
 * catalog, audited as alert.raised/alert.resolved, delivered with retries, escalated when nobody
 * acknowledges them). The schedule alerts are also audit events of their own (`schedule.late`,
 * `schedule.escalation`, `schedule.failed`, `schedule.drift` by system:scheduler). Everything runs in
 * the background, one after the other in the order raised: a receiver sees the late alert before the
 * escalation, and a resolution after what it resolves. settle() waits for it all.
 */
export class AlertRaiser {
  readonly #pending = new Set<Promise<unknown>>();
  #chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: WireContext,
    private readonly report: (what: string, err: unknown) => void,
  ) {}

  raise(a: RaisedAlert, then?: () => Promise<unknown>): void {
    const dedupKey = a.dedupKey ?? `${a.kind}:${a.key}${a.slot ? `@${a.slot}` : ''}`;
    this.#queue(`alert ${a.kind}`, async () => {
      // One fault, one page: a failed run whose every failed item has its backup-failed alert is not an alert of its own.
      const coveredBy = a.kind === 'schedule-failed' ? await this.#itemAlerts(a.details) : undefined;
      if (AUDITED.has(a.kind)) {
        await this.ctx.log
          .record({
            identity: SCHEDULER_IDENTITY,
            action: `schedule.${a.kind.replace(/^schedule-/, '')}`,
            result: 'ok',
            target: a.key,
            details: {
              severity: a.severity,
              summary: a.summary,
              ...(a.slot ? { slot: a.slot } : {}),
              ...a.details,
              ...(coveredBy ? { alertedAs: coveredBy } : {}),
            },
          })
          .catch((err: unknown) => this.report(`audit of alert ${a.kind}`, err));
      }
      if (coveredBy) {
        await then?.();
        return;
      }
      await this.ctx.alerts.raise({
        kind: a.kind,
        category: ALERT_KINDS[a.kind],
        severity: a.severity,
        summary: a.summary,
        dedupKey,
        details: { schedule: a.key, ...(a.slot ? { slot: a.slot } : {}), ...a.details },
      });
      await then?.();
    });
  }

  /**
   * The dedup keys of the open or acknowledged backup-failed alerts of a snapshot run's failed items
   * (`details.items[]` with status failed), when every failed item has one; otherwise undefined (no
   * failed item listed: the run itself failed, or an item whose failures have not reached the streak).
   */
  async #itemAlerts(details: Record<string, unknown>): Promise<string[] | undefined> {
    const items = Array.isArray(details.items) ? (details.items as Array<{ item?: unknown; status?: unknown }>) : [];
    const failed = items.filter((i) => i.status === 'failed' && typeof i.item === 'string').map((i) => String(i.item));
    if (failed.length === 0) return undefined;
    const open = await this.ctx.catalog.alerts.list({ state: ['open', 'acknowledged'] });
    const keys: string[] = [];
    for (const item of failed) {
      const alert = open.find((x) => x.kind === 'backup-failed' && x.dedupKey.startsWith(`backup-failed:${item}@`));
      if (!alert) return undefined;
      keys.push(alert.dedupKey);
    }
    return keys;
  }

  /** Resolves the alert with that dedup key, if one is open or acknowledged. */
  resolve(dedupKey: string, reason: string): void {
    this.#queue(`resolving alert ${dedupKey}`, () => this.ctx.alerts.resolve(dedupKey, SCHEDULER_IDENTITY, reason));
  }

  /** Resolves every open or acknowledged alert whose dedup key starts with `prefix`. */
  resolvePrefix(prefix: string, reason: string): void {
    this.#queue(`resolving alerts ${prefix}*`, async () => {
      const open = await this.ctx.catalog.alerts.list({ state: ['open', 'acknowledged'] });
      for (const a of open.filter((x) => x.dedupKey.startsWith(prefix))) {
        await this.ctx.alerts.resolve(a.id, SCHEDULER_IDENTITY, reason);
      }
    });
  }

  /**
   * One backup outcome per item of a scheduled snapshot run: `backup-failed` after
   * alerts.consecutiveFailures failures of the item in a row, resolved by its next success.
   */
  async backupOutcomes(
    policy: Policy,
    results: ReadonlyArray<{ item: string; ok: boolean; error?: string }>,
  ): Promise<void> {
    for (const r of results) {
      const environment = policy.items.find((i) => i.name === r.item)?.environment ?? null;
      await recordBackupOutcome(this.ctx.alerts, this.ctx.catalog, policy, {
        item: r.item,
        environment,
        ok: r.ok,
        ...(r.error !== undefined ? { error: r.error } : {}),
      }).catch((err: unknown) => this.report(`backup outcome of ${r.item}`, err));
    }
  }

  async settle(): Promise<void> {
    await Promise.allSettled([...this.#pending]);
    await this.ctx.alerts.settle();
  }

  #queue(what: string, fn: () => Promise<unknown>): void {
    const work = this.#chain.then(fn).catch((err: unknown) => this.report(what, err));
    this.#chain = work.then(() => {});
    this.#pending.add(work);
    void work.finally(() => this.#pending.delete(work));
  }
}
