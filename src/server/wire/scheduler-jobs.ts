import { createHash } from 'node:crypto';
import { isCairnError } from '../../errors/index.js';
import type { Alert, AlertSeverity, Notifier } from '../../notify/index.js';
import type { Policy } from '../../policy/index.js';
import {
  driftCheck,
  type ItemDrift,
  type PlannedSchedule,
  replicateAfterSnapshot,
  takeSnapshots,
} from '../../services/index.js';
import type { WireContext } from './wire-context.js';

/** The identity scheduled runs and their alerts are recorded under. */
export const SCHEDULER_IDENTITY = 'system:scheduler';

export type JobOutcome =
  | { readonly status: 'ok' | 'failed'; readonly details: Record<string, unknown> }
  /** The run could not start (the repository is locked): the slot stays claimed and is tried again. */
  | { readonly status: 'blocked'; readonly reason: string }
  /** The run lost its claim (another replica took the slot over): stopped, nothing to record. */
  | { readonly status: 'aborted' };

/**
 * One scheduled run: `tier:`/`item:` take snapshots of their items (trigger `scheduled`) with a
 * repository opened for the run, then replicate as a snapshot through the API does; `drift:` checks
 * the environment's live configuration against its snapshots and alerts once per distinct drift.
 * `signal` aborts when the run lost its claim: no further item, no replication, no alert ('aborted').
 */
export async function runScheduledJob(
  ctx: WireContext,
  policy: Policy,
  planned: PlannedSchedule,
  slot: string,
  alerts: AlertRaiser,
  signal: AbortSignal = new AbortController().signal,
): Promise<JobOutcome> {
  try {
    const outcome =
      planned.kind === 'drift'
        ? await driftJob(ctx, policy, planned, slot, alerts, signal)
        : await snapshotJob(ctx, policy, planned, signal);
    return signal.aborted ? { status: 'aborted' } : outcome;
  } catch (err) {
    if (signal.aborted) return { status: 'aborted' };
    if (isCairnError(err, 'CAIRN_E_REPO_LOCKED')) return { status: 'blocked', reason: err.message };
    const error = isCairnError(err)
      ? { code: err.code, message: err.message }
      : { code: 'CAIRN_E_INTERNAL', message: err instanceof Error ? err.message : String(err) };
    return { status: 'failed', details: { error } };
  }
}

async function snapshotJob(
  ctx: WireContext,
  policy: Policy,
  planned: PlannedSchedule,
  signal: AbortSignal,
): Promise<JobOutcome> {
  return ctx.withRepository(async (repo) => {
    signal.throwIfAborted();
    const results = await takeSnapshots({ repo, catalog: ctx.catalog, close: async () => {} }, policy, {
      items: planned.items,
      run: { trigger: 'scheduled', actor: SCHEDULER_IDENTITY },
      scheduledBackup: true,
      signal,
    });
    signal.throwIfAborted();
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
  slot: string,
  alerts: AlertRaiser,
  signal: AbortSignal,
): Promise<JobOutcome> {
  const environment = planned.environment ?? planned.name;
  const report = await ctx.withRepository((repo) => {
    signal.throwIfAborted();
    return driftCheck({ repo, catalog: ctx.catalog, close: async () => {} }, policy, { environment });
  });
  signal.throwIfAborted(); // taken over meanwhile: the replica that holds the slot now alerts, not this one
  const drifted = report.items.filter((i) => i.drifted || i.error);
  const items = report.items.map((i) => ({
    item: i.item,
    drifted: i.drifted,
    changes: i.changes.length,
    ...(i.error ? { error: i.error } : {}),
  }));
  const driftHash = report.drifted ? hashOfDrift(environment, drifted) : null;
  // One alert per distinct drift: not again while the previous check found the same one.
  const previous = await previousOkRun(ctx, planned.key, slot);
  const alerted = driftHash !== null && previous?.details?.driftHash !== driftHash;
  if (alerted) {
    const changes = drifted.map((i) => ({
      item: i.item,
      files: i.changes.map((c) => ({ path: c.path, kind: c.kind })),
      ...(i.error ? { error: i.error.message } : {}),
    }));
    const named = changes.map(
      (c) => `${c.item} (${c.files.length > 0 ? c.files.map((x) => `${x.path} ${x.kind}`).join(', ') : c.error})`,
    );
    alerts.raise({
      kind: 'drift',
      severity: 'warning',
      key: planned.key,
      dedupKey: `drift:${environment}:${driftHash.slice(0, 16)}`,
      summary: `environment ${environment} drifted from its snapshots: ${named.join('; ')}`,
      details: {
        environment,
        checkedAt: report.checkedAt,
        items: drifted.map((i) => i.item),
        changes,
        driftHash,
      },
    });
  }
  return { status: 'ok', details: { environment, drifted: report.drifted, driftHash, alerted, items } };
}

/** What identifies one drift: the environment and, per drifted item, its changes (path, kind, keys or lines) and error. */
function hashOfDrift(environment: string, drifted: readonly ItemDrift[]): string {
  const canonical = drifted
    .map((i) => ({
      item: i.item,
      changes: i.changes.map((c) => [c.path, c.kind, c.detail ?? []]),
      error: i.error ? [i.error.code, i.error.message] : null,
    }))
    .sort((a, b) => (a.item < b.item ? -1 : a.item > b.item ? 1 : 0));
  return createHash('sha256')
    .update(JSON.stringify([environment, canonical]))
    .digest('hex');
}

/** The latest run of the schedule before `slot` that finished ok (runs of one schedule never overlap). */
async function previousOkRun(ctx: WireContext, key: string, slot: string) {
  const recent = await ctx.catalog.schedules.list(key, 20);
  return recent.find((r) => r.slot < slot && r.status === 'ok');
}

export interface RaisedAlert {
  readonly kind: 'schedule-late' | 'schedule-escalation' | 'schedule-failed' | 'drift';
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
    const dedupKey = a.dedupKey ?? `${a.kind}:${a.key}${a.slot ? `@${a.slot}` : ''}`;
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
