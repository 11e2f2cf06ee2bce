import { createHash } from 'node:crypto';
import { isCairnError } from '../../errors/index.js';
import type { Policy } from '../../policy/index.js';
import {
  driftCheck,
  type ItemDrift,
  type PlannedSchedule,
  replicateAfterSnapshot,
  takeSnapshots,
} from '../../services/index.js';
import { type AlertRaiser, SCHEDULER_IDENTITY } from './alert-loop.js';
import { drillJob, drillLocked } from './drill-jobs.js';
import type { WireContext } from './wire-context.js';

export { SCHEDULER_IDENTITY };

export type JobOutcome =
  | { readonly status: 'ok' | 'failed'; readonly details: Record<string, unknown> }
  /** The run could not start (the repository is locked): the slot stays claimed and is tried again. */
  | { readonly status: 'blocked'; readonly reason: string }
  /** The run lost its claim (another replica took the slot over): stopped, nothing to record. */
  | { readonly status: 'aborted' };

/**
 * One scheduled run: `tier:`/`item:` take snapshots of their items (trigger `scheduled`) with a
 * repository opened for the run, then replicate as a snapshot through the API does, and record each
 * item's outcome (backup-failed after alerts.consecutiveFailures failures in a row); `drift:` checks
 * the environment's live configuration against its snapshots and alerts once per distinct drift;
 * `drill:` runs the drill plan (drill-jobs.ts). `signal` aborts when the run lost its claim: no further item, no replication, no alert ('aborted').
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
        : planned.kind === 'drill'
          ? await drillJob(ctx, policy, planned, slot, alerts, signal)
          : await snapshotJob(ctx, policy, planned, alerts, signal);
    return signal.aborted ? { status: 'aborted' } : outcome;
  } catch (err) {
    if (signal.aborted) return { status: 'aborted' };
    if (isCairnError(err, 'CAIRN_E_REPO_LOCKED')) return { status: 'blocked', reason: err.message };
    // A drill of the same plan already running (started by hand): this slot waits for it.
    if (planned.kind === 'drill' && drillLocked(err)) return { status: 'blocked', reason: err.message };
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
  alerts: AlertRaiser,
  signal: AbortSignal,
): Promise<JobOutcome> {
  const outcome = await ctx.withRepository(async (repo) => {
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
      status: failed.length > 0 ? ('failed' as const) : ('ok' as const),
      details: { items, ...(replicated !== undefined ? { replicated } : {}) },
      results,
    };
  });
  signal.throwIfAborted(); // taken over: the replica that holds the slot now records the outcomes
  // A partial snapshot (some files unreadable) is a backup that happened: only 'failed' counts against the item.
  await alerts.backupOutcomes(
    policy,
    outcome.results.map((r) => ({
      item: r.item,
      ok: r.status !== 'failed',
      ...(r.error ? { error: `${r.error.code}: ${r.error.message}` } : {}),
    })),
  );
  return { status: outcome.status, details: outcome.details };
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
  // Back in line with its snapshots: the drift alerts of the environment are resolved.
  if (!report.drifted && typeof previous?.details?.driftHash === 'string') {
    alerts.resolvePrefix(
      `drift:${environment}:`,
      `environment ${environment} matches its snapshots again (slot ${slot})`,
    );
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
