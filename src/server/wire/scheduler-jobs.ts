import { isCairnError } from '../../errors/index.js';
import type { Alert, AlertSeverity, Notifier } from '../../notify/index.js';
import type { Policy } from '../../policy/index.js';
import { driftCheck, type PlannedSchedule, replicateAfterSnapshot, takeSnapshots } from '../../services/index.js';
import type { WireContext } from './wire-context.js';

/** The identity scheduled runs and their alerts are recorded under. */
export const SCHEDULER_IDENTITY = 'system:scheduler';

export type JobOutcome =
  | { readonly status: 'ok' | 'failed'; readonly details: Record<string, unknown> }
  /** The run could not start (the repository is locked): the slot stays claimed and is tried again. */
  | { readonly status: 'blocked'; readonly reason: string };

/**
 * One scheduled run: `tier:`/`item:` take snapshots of their items (trigger `scheduled`) with a
 * repository opened for the run, then replicate as a snapshot through the API does; `drift:` checks
 * the environment's live configuration against its snapshots and alerts when it drifted.
 */
export async function runScheduledJob(
  ctx: WireContext,
  policy: Policy,
  planned: PlannedSchedule,
  alerts: AlertRaiser,
): Promise<JobOutcome> {
  try {
    return planned.kind === 'drift'
      ? await driftJob(ctx, policy, planned, alerts)
      : await snapshotJob(ctx, policy, planned);
  } catch (err) {
    if (isCairnError(err, 'CAIRN_E_REPO_LOCKED')) return { status: 'blocked', reason: err.message };
    const error = isCairnError(err)
      ? { code: err.code, message: err.message }
      : { code: 'CAIRN_E_INTERNAL', message: err instanceof Error ? err.message : String(err) };
    return { status: 'failed', details: { error } };
  }
}

async function snapshotJob(ctx: WireContext, policy: Policy, planned: PlannedSchedule): Promise<JobOutcome> {
  return ctx.withRepository(async (repo) => {
    const results = await takeSnapshots({ repo, catalog: ctx.catalog, close: async () => {} }, policy, {
      items: planned.items,
      run: { trigger: 'scheduled', actor: SCHEDULER_IDENTITY },
    });
    const failed = results.filter((r) => r.status === 'failed');
    let replicated: boolean | undefined;
    if (failed.length < results.length) {
      const replication = await replicateAfterSnapshot(repo, policy, results).catch(() => undefined);
      if (replication) replicated = replication.ok;
    }
    const items = results.map((r) => ({
      item: r.item,
      status: r.status,
      snapshot: r.id,
      ...(r.verification ? { verification: r.verification } : {}),
      ...(r.error ? { error: { code: r.error.code, message: r.error.message } } : {}),
    }));
    return {
      status: failed.length > 0 ? 'failed' : 'ok',
      details: { items, ...(replicated !== undefined ? { replicated } : {}) },
    };
  });
}

async function driftJob(
  ctx: WireContext,
  policy: Policy,
  planned: PlannedSchedule,
  alerts: AlertRaiser,
): Promise<JobOutcome> {
  const environment = planned.environment ?? planned.name;
  const report = await ctx.withRepository((repo) =>
    driftCheck({ repo, catalog: ctx.catalog, close: async () => {} }, policy, { environment }),
  );
  const drifted = report.items.filter((i) => i.drifted || i.error);
  const items = report.items.map((i) => ({
    item: i.item,
    drifted: i.drifted,
    changes: i.changes.length,
    ...(i.error ? { error: i.error } : {}),
  }));
  if (report.drifted) {
    alerts.raise({
      kind: 'drift',
      severity: 'warning',
      key: planned.key,
      summary: `environment ${environment} drifted from its snapshots: ${drifted.map((i) => i.item).join(', ')}`,
      details: { environment, checkedAt: report.checkedAt, items: drifted.map((i) => i.item) },
    });
  }
  return { status: 'ok', details: { environment, drifted: report.drifted, items } };
}

export interface RaisedAlert {
  readonly kind: 'schedule-late' | 'schedule-escalation' | 'schedule-failed' | 'drift';
  readonly severity: AlertSeverity;
  /** The schedule key. */
  readonly key: string;
  readonly slot?: string;
  readonly summary: string;
  readonly details: Record<string, unknown>;
}

/**
 * Raises the scheduler's alerts: each one is an audit event (`schedule.late`, `schedule.escalation`,
 * `schedule.failed`, `schedule.drift` by system:scheduler) and goes to the policy's alert sinks.
 * Deliveries run in the background (the Notifier retries); settle() waits for them.
 */
export class AlertRaiser {
  readonly #pending = new Set<Promise<unknown>>();
  #chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: WireContext,
    private readonly notifier: () => Notifier,
    private readonly report: (what: string, err: unknown) => void,
  ) {}

  raise(a: RaisedAlert): void {
    const time = new Date().toISOString();
    const dedupKey = `${a.kind}:${a.key}${a.slot ? `@${a.slot}` : ''}`;
    const alert: Alert = {
      kind: a.kind,
      severity: a.severity,
      summary: a.summary,
      dedupKey,
      time,
      details: { schedule: a.key, ...(a.slot ? { slot: a.slot } : {}), ...a.details },
    };
    const action = `schedule.${a.kind.replace(/^schedule-/, '')}`;
    // One after the other, in the order raised: a receiver sees the late alert before the escalation.
    const work = this.#chain.then(async () => {
      await this.ctx.log
        .record({
          identity: SCHEDULER_IDENTITY,
          action,
          result: 'ok',
          target: a.key,
          details: { severity: a.severity, summary: a.summary, ...(a.slot ? { slot: a.slot } : {}), ...a.details },
        })
        .catch((err: unknown) => this.report(`audit of alert ${a.kind}`, err));
      for (const r of await this.notifier().notify(alert)) {
        if (!r.ok) this.report(`alert ${a.kind} to ${r.sink}`, r.error);
      }
    });
    this.#chain = work.catch(() => {});
    this.#pending.add(work);
    void work.finally(() => this.#pending.delete(work));
  }

  async settle(): Promise<void> {
    await Promise.allSettled([...this.#pending]);
  }
}
