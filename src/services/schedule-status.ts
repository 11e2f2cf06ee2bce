import type { Catalog, ScheduleRunRecord } from '../catalog/index.js';
import type { Policy } from '../policy/index.js';
import { dueAt, dueRun, lateness, nextSlot, planSchedules } from './schedule-plan.js';

/** One schedule as `cairn schedules` shows it. */
export interface ScheduleView {
  readonly key: string;
  readonly kind: 'tier' | 'item' | 'drift';
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
    const next = nextSlot(p.schedule, now);
    // The slot that should be running now: the unfinished latest run, or a due slot nobody claimed.
    let current: { due: Date } | undefined;
    if (last && (last.status === 'claimed' || last.status === 'running')) current = { due: new Date(last.dueAt) };
    else {
      const due = dueRun(p, last ?? undefined, now);
      if (due?.ready) current = { due: due.dueAt };
    }
    const l = current ? lateness(current.due, false, policy.alerts, now) : undefined;
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
    });
  }
  return { checkedAt: now.toISOString(), schedules };
}
