import type { Catalog, ScheduleRunRecord } from '../catalog/index.js';
import type { Policy } from '../policy/index.js';
import { dueAt, dueRun, lateness, latestSlot, nextSlot, type PlannedSchedule, planSchedules } from './schedule-plan.js';

/** One schedule as `cairn schedules` shows it. */
export interface ScheduleView {
  readonly key: string;
  readonly kind: PlannedSchedule['kind'];
  readonly name: string;
  readonly items: readonly string[];
  readonly environment: string | null;
  readonly cron: string;
  readonly timezone: string;
  readonly maintenanceWindowsOnly: boolean;
  /** The next slot after now, and when it is due (later when it waits for a maintenance window). */
  readonly next: { readonly slot: string; readonly dueAt: string } | null;
  /** The latest recorded run (any status). */
  readonly last: ScheduleRunRecord | null;
  /** When the latest successful run finished. */
  readonly lastSuccess: string | null;
  /** The current slot has not finished by due + alerts.lateAfter. */
  readonly late: boolean;
  /** … nor by due + lateAfter + escalateAfter. */
  readonly escalated: boolean;
  /** Drill schedules only: no drill of the plan finished within overdueAfter of its latest due slot. */
  readonly overdue?: DrillOverdue | null;
  /** How many finished runs failed in a row, newest first (0 when the latest finished run was ok). */
  readonly failures: number;
  /** The one-word state: escalated, late, failed (the latest finished run failed), overdue or ok. */
  readonly state: ScheduleState;
}

export type ScheduleState = 'escalated' | 'late' | 'failed' | 'overdue' | 'ok';

/** A drill plan's slot that passed its overdue time with no drill of the plan finished since. */
export interface DrillOverdue {
  readonly slot: string;
  readonly dueAt: string;
  /** dueAt + the plan's overdueAfter. */
  readonly overdueAt: string;
}

export interface SchedulesReport {
  readonly checkedAt: string;
  readonly schedules: readonly ScheduleView[];
}

/** The policy's schedules with their next slot, last run and late flags, from the catalog's schedule runs. */
export async function scheduleStatus(catalog: Catalog, policy: Policy, now = new Date()): Promise<SchedulesReport> {
  const schedules: ScheduleView[] = [];
  for (const p of planSchedules(policy)) {
    const last = (await catalog.schedules.lastRun(p.key)) ?? null;
    const success = await catalog.schedules.lastSuccess(p.key);
    const failures = failuresInARow(await catalog.schedules.list(p.key, 100));
    const next = nextSlot(p.schedule, now);
    // The slot that should be running now: the unfinished latest run, or a due slot nobody claimed.
    let current: { due: Date } | undefined;
    if (last && (last.status === 'claimed' || last.status === 'running')) current = { due: new Date(last.dueAt) };
    else {
      const due = dueRun(p, last ?? undefined, now);
      if (due?.ready) current = { due: due.dueAt };
    }
    const l = current && p.kind !== 'drill' ? lateness(current.due, false, policy.alerts, now) : undefined;
    const plan = p.kind === 'drill' ? policy.drills.find((d) => d.name === p.name) : undefined;
    const overdue = plan ? ((await drillOverdue(catalog, p, plan.overdueAfterMs, now)) ?? null) : undefined;
    schedules.push({
      key: p.key,
      kind: p.kind,
      name: p.name,
      items: p.items,
      environment: p.environment ?? null,
      cron: p.schedule.cron,
      timezone: p.schedule.timezone,
      maintenanceWindowsOnly: p.schedule.maintenanceWindowsOnly,
      next: next ? { slot: next.toISOString(), dueAt: dueAt(p, next).toISOString() } : null,
      last,
      lastSuccess: success?.finishedAt ?? null,
      late: l?.late ?? false,
      escalated: l?.escalate ?? false,
      ...(overdue !== undefined ? { overdue } : {}),
      failures,
      state: l?.escalate ? 'escalated' : l?.late ? 'late' : failures > 0 ? 'failed' : overdue ? 'overdue' : 'ok',
    });
  }
  return { checkedAt: now.toISOString(), schedules };
}

/** The finished runs (ok or failed; unfinished and skipped slots do not count) that failed, newest first, up to the first ok. */
export function failuresInARow(runs: readonly Pick<ScheduleRunRecord, 'status'>[]): number {
  let n = 0;
  for (const r of runs) {
    if (r.status === 'ok') break;
    if (r.status === 'failed') n++;
  }
  return n;
}

/**
 * Whether a drill schedule is overdue at `now`: its latest slot whose due time (the slot, or the
 * maintenance window it waits for) plus `overdueAfterMs` has passed, with no drill of the plan
 * (scheduled or by hand) finished since that slot. A drill still running does not count.
 */
export async function drillOverdue(
  catalog: Catalog,
  planned: PlannedSchedule,
  overdueAfterMs: number,
  now = new Date(),
): Promise<DrillOverdue | undefined> {
  const slot = latestSlot(planned.schedule, new Date(now.getTime() - overdueAfterMs));
  if (!slot) return undefined;
  const due = dueAt(planned, slot);
  const overdueAt = new Date(due.getTime() + overdueAfterMs);
  if (overdueAt > now) return undefined;
  const drills = await catalog.drills.list({ plan: planned.name, since: slot });
  if (drills.some((d) => d.status !== 'running')) return undefined;
  return { slot: slot.toISOString(), dueAt: due.toISOString(), overdueAt: overdueAt.toISOString() };
}
