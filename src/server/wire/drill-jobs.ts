import type { AlertRecord, DrillRecord, GapRecord } from '../../catalog/index.js';
import { isCairnError } from '../../errors/index.js';
import type { Policy } from '../../policy/index.js';
import { drillOverdue, type PlannedSchedule, runDrill } from '../../services/index.js';
import { type AlertRaiser, SCHEDULER_IDENTITY } from './alert-loop.js';
import type { JobOutcome } from './scheduler-jobs.js';
import type { WireContext } from './wire-context.js';

/**
 * A scheduled drill (`drill:<plan>`): runDrill with trigger `scheduled` as system:scheduler. The run
 * is ok when the drill finished (passed, or awaiting sign-off) and failed when it failed, which
 * raises `drill-failed` (one incident per plan, resolved by the next drill that does not fail) with
 * the failing validators and the gaps found. Each gap this drill opened raises `drill-gap`; each gap
 * it closed resolves its alert. A finished drill resolves the plan's `drill-overdue` alerts.
 */
export async function drillJob(
  ctx: WireContext,
  policy: Policy,
  planned: PlannedSchedule,
  slot: string,
  alerts: AlertRaiser,
  signal: AbortSignal,
): Promise<JobOutcome> {
  const plan = planned.name;
  const failedKey = `drill-failed:${plan}`; // one incident per plan
  const raiseFailed = (summary: string, details: Record<string, unknown>) =>
    alerts.raise({
      kind: 'drill-failed',
      severity: 'critical',
      key: planned.key,
      slot,
      dedupKey: failedKey,
      summary,
      details,
    });
  let record: DrillRecord;
  try {
    record = await ctx.withRepository((repo) => {
      signal.throwIfAborted();
      const session = { repo, catalog: ctx.catalog, close: async () => {} };
      return runDrill(session, policy, ctx.log, { plan, trigger: 'scheduled', actor: SCHEDULER_IDENTITY, signal });
    });
  } catch (err) {
    // Not run at all (the repository or the plan locked: tried again; the claim lost: nothing to say).
    if (signal.aborted || isCairnError(err, 'CAIRN_E_REPO_LOCKED')) throw err;
    const message = err instanceof Error ? err.message : String(err);
    raiseFailed(`scheduled drill ${plan} could not run: ${message.slice(0, 300)}`, {
      plan,
      error: message.slice(0, 2000),
    });
    throw err;
  }
  signal.throwIfAborted();
  const result = record.result;
  const failedValidators = (result?.validators ?? [])
    .filter((v) => !v.ok)
    .map((v) => ({
      index: v.index,
      kind: v.kind,
      item: v.item,
      label: v.label,
      ...(v.exitCode !== undefined ? { exitCode: v.exitCode } : {}),
      ...(v.timedOut ? { timedOut: true } : {}),
      ...(v.error ? { error: v.error } : {}),
    }));
  const gaps = (result?.gaps ?? []).map((g) => ({
    item: g.item,
    category: g.category,
    key: g.key,
    message: g.message,
  }));
  const failedItems = (result?.items ?? []).filter((i) => !i.ok).map((i) => ({ item: i.item, error: i.error ?? null }));
  if (record.status === 'failed') {
    const why = [
      ...(result?.error ? [result.error] : []),
      ...failedItems.map((i) => `restore of ${i.item} failed${i.error ? `: ${i.error}` : ''}`),
      ...failedValidators.map((v) => `validator ${v.label} on ${v.item} ${v.timedOut ? 'timed out' : 'failed'}`),
    ];
    const found = gaps.length > 0 ? `; ${gaps.length} gap(s) found` : '';
    raiseFailed(
      `drill ${plan} (${record.id}) failed: ${why.join('; ').slice(0, 400) || 'see the drill record'}${found}`,
      {
        plan,
        drill: record.id,
        failedValidators,
        failedItems,
        gaps,
        ...(result?.error ? { error: result.error } : {}),
      },
    );
  } else {
    alerts.resolve(failedKey, `drill ${record.id} of ${plan} finished ${record.status}`);
  }
  await gapAlerts(ctx, planned, slot, record, alerts);
  alerts.resolvePrefix(`drill-overdue:${plan}@`, `drill ${record.id} of ${plan} finished ${record.status}`);
  return {
    status: record.status === 'failed' ? 'failed' : 'ok',
    details: {
      drill: record.id,
      drillStatus: record.status,
      rtoMs: record.rtoMs,
      rpoMs: record.rpoMs,
      withinSla: record.withinSla,
      failedValidators: failedValidators.length,
      gaps: gaps.length,
    },
  };
}

/**
 * A drill of the plan is running already (a manual one): the scheduled slot waits and is tried again.
 * runDrill refuses it with CAIRN_E_REPO_LOCKED naming the running drill in `details.drill`.
 */
export function drillLocked(err: unknown): err is Error {
  return isCairnError(err, 'CAIRN_E_REPO_LOCKED') && typeof err.details?.drill === 'string';
}

/** `drill-gap:<item>:<category>:<gap id>`: one alert per gap record (a gap closed and found again is a new one). */
const gapKey = (g: GapRecord) => `drill-gap:${g.item}:${g.category}:${g.id}`;

async function gapAlerts(
  ctx: WireContext,
  planned: PlannedSchedule,
  slot: string,
  record: DrillRecord,
  alerts: AlertRaiser,
): Promise<void> {
  for (const item of record.result?.items.map((i) => i.item) ?? planned.items) {
    for (const g of await ctx.catalog.drills.gaps({ item })) {
      if (g.firstDrill === record.id && g.closedAt === null) {
        alerts.raise({
          kind: 'drill-gap',
          severity: 'warning',
          key: planned.key,
          slot,
          dedupKey: gapKey(g),
          summary: `drill ${planned.name} found a ${g.category} gap in ${g.item}: ${g.message.slice(0, 300)}`,
          details: {
            plan: planned.name,
            drill: record.id,
            gap: g.id,
            item: g.item,
            category: g.category,
            key: g.key,
            message: g.message,
          },
        });
      } else if (g.closedByDrill === record.id) {
        alerts.resolve(gapKey(g), `drill ${record.id} of ${planned.name} no longer finds it`);
      }
    }
  }
}

/**
 * `drill-overdue` for drill schedules: once per (plan, slot) — dedup `drill-overdue:<plan>@<slot>`,
 * and not again once such an alert exists in the catalog in any state (several replicas: the
 * catalog's upsert on the dedup key makes one alert of two raises). A plan no longer overdue (a drill
 * finished, by hand or scheduled) has its overdue alerts resolved.
 */
export class DrillOverdueWatch {
  readonly #raised = new Set<string>();

  async check(
    ctx: WireContext,
    policy: Policy,
    plans: readonly PlannedSchedule[],
    alerts: AlertRaiser,
    now: Date,
  ): Promise<void> {
    const drills = plans.filter((p) => p.kind === 'drill');
    if (drills.length === 0) return;
    let open: AlertRecord[] | undefined;
    const openAlerts = async (): Promise<AlertRecord[]> => {
      const list =
        open ??
        (await ctx.catalog.alerts.list({ state: ['open', 'acknowledged'] })).filter((a) =>
          a.dedupKey.startsWith('drill-overdue:'),
        );
      open = list;
      return list;
    };
    for (const p of drills) {
      const plan = policy.drills.find((d) => d.name === p.name);
      if (!plan) continue;
      const overdue = await drillOverdue(ctx.catalog, p, plan.overdueAfterMs, now);
      if (!overdue) {
        const prefix = `drill-overdue:${plan.name}@`;
        if ((await openAlerts()).some((a) => a.dedupKey.startsWith(prefix))) {
          alerts.resolvePrefix(prefix, `a drill of ${plan.name} finished`);
          open = undefined;
        }
        continue;
      }
      const dedupKey = `drill-overdue:${plan.name}@${overdue.slot}`;
      if (this.#raised.has(dedupKey)) continue;
      this.#raised.add(dedupKey);
      if (this.#raised.size > 10_000) this.#raised.clear();
      const existing = await ctx.catalog.alerts.list({ since: new Date(overdue.slot) });
      if (existing.some((a) => a.dedupKey === dedupKey)) continue; // raised before (another replica, a restart)
      alerts.raise({
        kind: 'drill-overdue',
        severity: 'warning',
        key: p.key,
        slot: overdue.slot,
        dedupKey,
        summary: `drill ${plan.name} is overdue: no drill finished since its slot ${overdue.slot} (due ${overdue.dueAt}, overdue after ${plan.overdueAfterMs / 1000} s)`,
        details: { plan: plan.name, dueAt: overdue.dueAt, overdueAt: overdue.overdueAt, items: plan.items },
      });
    }
  }
}
