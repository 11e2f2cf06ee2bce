import { Cron } from 'croner';
import {
  type AlertThresholds,
  effectiveSchedule,
  type MaintenanceWindow,
  nextWindowStart,
  type Policy,
  type Schedule,
  windowContains,
} from '../policy/index.js';

/**
 * What `cairn serve` runs on a schedule, worked out from the policy alone (no clock, no catalog):
 * the schedules, their slots (cron times in their timezone), when a slot is due (maintenance windows),
 * which slot to run after downtime (catch-up) and when a run is late.
 */
export interface PlannedSchedule {
  /**
   * `tier:<name>` (the tier's items that follow its schedule, one run), `item:<name>`, `drift:<environment>`,
   * `drill:<plan>` (a drill plan with a schedule). A tier schedule with maintenanceWindowsOnly is one schedule per environment of its items,
   * `tier:<name>@<environment>`, so that each environment's items run in that environment's windows.
   */
  readonly key: string;
  readonly kind: 'tier' | 'item' | 'drift' | 'drill';
  /** The tier, item, environment or drill plan name. */
  readonly name: string;
  /** The items a snapshot run takes, or a drill restores (none for drift). */
  readonly items: readonly string[];
  /**
   * The environment a drift run checks; the environment of a `tier:<name>@<environment>` schedule's
   * items; a drill plan's `environment`.
   */
  readonly environment?: string;
  readonly schedule: Schedule;
  /** The maintenance windows of the environments concerned; used only when schedule.maintenanceWindowsOnly. */
  readonly windows: readonly MaintenanceWindow[];
}

/** The schedules of the policy, sorted by key. */
export function planSchedules(policy: Policy): PlannedSchedule[] {
  const tiers = new Map<
    string,
    { tier: string; env?: string; schedule: Schedule; items: string[]; envs: Set<string> }
  >();
  const out: PlannedSchedule[] = [];
  const windowsOf = (envs: Iterable<string>) =>
    [...envs].flatMap((e) => policy.environments[e]?.maintenanceWindows ?? []);
  for (const item of policy.items) {
    const schedule = effectiveSchedule(policy, item);
    if (!schedule) continue;
    if (item.schedule) {
      out.push({
        key: `item:${item.name}`,
        kind: 'item',
        name: item.name,
        items: [item.name],
        schedule,
        windows: windowsOf(item.environment ? [item.environment] : []),
      });
      continue;
    }
    // Windowed: one schedule per environment, each in its own windows (not the union of all of them).
    const env = schedule.maintenanceWindowsOnly ? item.environment : undefined;
    const key = env === undefined ? `tier:${item.tier}` : `tier:${item.tier}@${env}`;
    const group = tiers.get(key) ?? {
      tier: item.tier,
      ...(env === undefined ? {} : { env }),
      schedule,
      items: [],
      envs: new Set<string>(),
    };
    group.items.push(item.name);
    if (item.environment) group.envs.add(item.environment);
    tiers.set(key, group);
  }
  for (const [key, g] of tiers) {
    out.push({
      key,
      kind: 'tier',
      name: g.tier,
      items: g.items,
      ...(g.env === undefined ? {} : { environment: g.env }),
      schedule: g.schedule,
      windows: windowsOf(g.envs),
    });
  }
  for (const env of Object.values(policy.environments)) {
    if (!env.driftSchedule) continue;
    out.push({
      key: `drift:${env.name}`,
      kind: 'drift',
      name: env.name,
      items: [],
      environment: env.name,
      schedule: env.driftSchedule,
      windows: env.maintenanceWindows,
    });
  }
  for (const plan of policy.drills ?? []) {
    if (!plan.schedule) continue;
    // The windows of the environments the drilled items live in (the plan's, else each item's).
    const envs = new Set<string>(plan.environment ? [plan.environment] : []);
    for (const name of plan.items) {
      const env = policy.items.find((i) => i.name === name)?.environment;
      if (env) envs.add(env);
    }
    out.push({
      key: `drill:${plan.name}`,
      kind: 'drill',
      name: plan.name,
      items: plan.items,
      ...(plan.environment ? { environment: plan.environment } : {}),
      schedule: plan.schedule,
      windows: windowsOf(envs),
    });
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** A 6-field cron (seconds first) fires more than once a minute: the scheduler then ticks every second. */
export function hasSeconds(schedule: Schedule): boolean {
  return schedule.cron.trim().split(/\s+/).length === 6;
}

const crons = new Map<string, Cron>();

function cronOf(schedule: Schedule): Cron {
  const key = `${schedule.timezone}\n${schedule.cron}`;
  let cron = crons.get(key);
  if (!cron) {
    cron = new Cron(schedule.cron, { timezone: schedule.timezone, paused: true });
    if (crons.size > 1000) crons.clear();
    crons.set(key, cron);
  }
  return cron;
}

/** The first slot strictly after `after`. */
export function nextSlot(schedule: Schedule, after: Date): Date | undefined {
  return cronOf(schedule).nextRun(after) ?? undefined;
}

/** The latest slot at or before `at`. */
export function latestSlot(schedule: Schedule, at: Date): Date | undefined {
  return cronOf(schedule).previousRuns(1, new Date(at.getTime() + 1))[0];
}

/** Slots in (after, until], at most `limit` of them. */
export function slotsBetween(schedule: Schedule, after: Date, until: Date, limit = 10_000): Date[] {
  const out: Date[] = [];
  for (let s = nextSlot(schedule, after); s && s <= until && out.length < limit; s = nextSlot(schedule, s)) out.push(s);
  return out;
}

/**
 * When the slot's run is due: the slot itself, or — with maintenanceWindowsOnly and the slot outside
 * every window of the environments concerned — the next opening of one of them. Without windows
 * there is nothing to wait for.
 */
export function dueAt(planned: PlannedSchedule, slot: Date): Date {
  const { schedule, windows } = planned;
  if (!schedule.maintenanceWindowsOnly || windows.length === 0) return slot;
  if (windows.some((w) => windowContains(w, slot))) return slot;
  return nextWindowStart(windows, slot) ?? slot;
}

/**
 * Whether a run of the schedule may start at `now`: always, except with maintenanceWindowsOnly (and
 * windows), when one of the windows must be open. A slot that was due inside a window that has closed
 * since (the server was down across it) waits for the next one.
 */
export function windowOpen(planned: PlannedSchedule, now: Date): boolean {
  const { schedule, windows } = planned;
  if (!schedule.maintenanceWindowsOnly || windows.length === 0) return true;
  return windows.some((w) => windowContains(w, now));
}

/** The latest recorded run of a schedule, as far as planning needs it. */
export interface LastRun {
  readonly slot: string;
  readonly startedAt: string | null;
  readonly status: string;
}

export interface DueRun {
  readonly slot: Date;
  /** The slot, or the window start it waits for (the next one when the slot's window closed before now). */
  readonly dueAt: Date;
  /** Whether it may start now (false: it waits for a maintenance window). */
  readonly ready: boolean;
  /** Slots between the last recorded run and this one that are not run (catch-up runs only the latest). */
  readonly skipped: number;
  readonly firstSkipped?: string;
  readonly lastSkipped?: string;
}

/**
 * The run due at `now`, if any: the latest slot at or before now that comes after the last recorded
 * run. After downtime that is one run, whatever the number of slots missed; those are counted as
 * skipped. A slot before the time the last run started is covered by that run (it waited for a
 * window or for the repository) and is not run again. No recorded run at all: the latest slot runs.
 * With maintenanceWindowsOnly it is ready only while a window is open (windowOpen).
 */
export function dueRun(planned: PlannedSchedule, last: LastRun | undefined, now: Date): DueRun | undefined {
  const slot = latestSlot(planned.schedule, now);
  if (!slot) return undefined;
  if (last) {
    const lastSlot = new Date(last.slot);
    if (slot <= lastSlot) return undefined;
    if (last.startedAt && last.status !== 'failed' && slot < new Date(last.startedAt)) return undefined;
  }
  let due = dueAt(planned, slot);
  // Due, but its window has closed meanwhile: due at the next window start instead.
  if (due <= now && !windowOpen(planned, now)) due = nextWindowStart(planned.windows, now) ?? due;
  const missed = last ? slotsBetween(planned.schedule, new Date(last.slot), new Date(slot.getTime() - 1)) : [];
  return {
    slot,
    dueAt: due,
    ready: due <= now,
    skipped: missed.length,
    ...(missed.length > 0 ? { firstSkipped: missed[0]!.toISOString(), lastSkipped: missed.at(-1)!.toISOString() } : {}),
  };
}

export interface Lateness {
  /** due + lateAfter. */
  readonly lateAt: Date;
  /** due + lateAfter + escalateAfter. */
  readonly escalateAt: Date;
  /** Not finished by lateAt. */
  readonly late: boolean;
  /** Still not finished by escalateAt. */
  readonly escalate: boolean;
}

/** Whether an unfinished run (not started, blocked, or still running) due at `due` is late at `now`. */
export function lateness(
  due: Date,
  finished: boolean,
  thresholds: Pick<AlertThresholds, 'lateAfterMs' | 'escalateAfterMs'>,
  now: Date,
): Lateness {
  const lateAt = new Date(due.getTime() + thresholds.lateAfterMs);
  const escalateAt = new Date(lateAt.getTime() + thresholds.escalateAfterMs);
  return { lateAt, escalateAt, late: !finished && now >= lateAt, escalate: !finished && now >= escalateAt };
}
