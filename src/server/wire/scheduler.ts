import type { ScheduleRunRecord } from '../../catalog/index.js';
import type { Policy } from '../../policy/index.js';
import { dueRun, hasSeconds, lateness, type PlannedSchedule, planSchedules, windowOpen } from '../../services/index.js';
import { AlertRaiser } from './alert-loop.js';
import { DrillOverdueWatch } from './drill-jobs.js';
import { envNumber, newReplicaId, type ReplicaLoop, UNFINISHED_RUN } from './replica-loop.js';
import { type JobOutcome, runScheduledJob } from './scheduler-jobs.js';
import type { WireContext } from './wire-context.js';

export interface SchedulerOptions {
  /** Time between ticks; default CAIRN_SCHEDULER_TICK_MS, else 1 s when a schedule has seconds, else 15 s. */
  readonly tickMs?: number;
  /** A claim not renewed for this long may be taken over by another replica (default 10 minutes). */
  readonly leaseMs?: number;
  /** Unused: alerts go through ctx.alerts (the AlertCenter), which reads the sinks' *Env variables. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly onError: (what: string, err: unknown) => void;
}

/** stop() stops ticking and waits for the runs, and the alerts raised and their deliveries, in flight. */
export type Scheduler = ReplicaLoop;

/**
 * The schedules of `cairn serve`: every tick, for each schedule of the policy in force, the slot due
 * now is claimed in the catalog (INSERT … ON CONFLICT DO NOTHING on (key, slot)) and run by the one
 * replica whose claim won. One run per schedule at a time: a slot that falls while the previous run
 * is unfinished waits for it, and after downtime only the latest missed slot runs. A run that finds
 * the repository locked stays claimed and is tried again; a claim whose holder stopped renewing it
 * (lease) is taken over by another replica; a run whose heartbeat finds its claim gone is aborted. A
 * run whose end this replica failed to record is run again by it. With maintenanceWindowsOnly a run
 * starts only while a window is open. Late and escalated runs alert once across replicas (CAS), also
 * this replica's own run in flight and a run that starts after its late time. Drill schedules
 * (`drill:<plan>`) run the drill plan; instead of late alerts they have drill-overdue (drill-jobs.ts).
 * Alerts go through the AlertCenter (ctx.alerts): a schedule that runs ok again resolves its
 * schedule-failed alert, and a late run that finishes resolves its late and escalation alerts.
 */
export function startScheduler(ctx: WireContext, opts: SchedulerOptions): Scheduler {
  const replica = newReplicaId();
  const leaseMs = opts.leaseMs ?? envNumber('CAIRN_SCHEDULER_LEASE_MS') ?? 10 * 60_000;
  const fixedTick = opts.tickMs ?? envNumber('CAIRN_SCHEDULER_TICK_MS');
  const running = new Map<string, Promise<void>>();
  let current: Policy | undefined;
  const alerts = new AlertRaiser(ctx, opts.onError);
  const overdue = new DrillOverdueWatch();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> = Promise.resolve();

  const tick = async (): Promise<number> => {
    const policy = await ctx.policy();
    current = policy;
    const plans = planSchedules(policy);
    for (const p of plans) {
      if (stopped) break;
      await tickSchedule(p, policy).catch((err: unknown) => opts.onError(`schedule ${p.key}`, err));
    }
    if (!stopped) {
      await overdue
        .check(ctx, policy, plans, alerts, new Date())
        .catch((err: unknown) => opts.onError('overdue drills', err));
    }
    return fixedTick ?? (plans.some((p) => hasSeconds(p.schedule)) ? 1000 : 15_000);
  };

  const tickSchedule = async (p: PlannedSchedule, policy: Policy): Promise<void> => {
    // Read before the catalog: a run is only launched by this (sequential) tick, so none starts meanwhile.
    const inFlight = running.has(p.key);
    const now = new Date();
    const last = await ctx.catalog.schedules.lastRun(p.key);
    if (last && UNFINISHED_RUN.has(last.status)) {
      await checkLate(p, last, policy, now); // this replica's own run in flight too
      if (inFlight) return; // its heartbeat keeps the claim
      // With maintenanceWindowsOnly a run starts only while a window is open: a blocked retry too.
      if (!windowOpen(p, now)) return;
      if (last.claimedBy === replica) {
        if (last.status === 'claimed') {
          launch(p, last.slot); // blocked before: try again
        } else if (await ctx.catalog.schedules.takeOver(p.key, last.slot, replica, last.claimedAt, now)) {
          // Marked running by this replica but not in flight: recording its end failed (a catalog
          // error). Run it again, as a takeover of its own claim.
          launch(p, last.slot);
        }
        return;
      }
      if (now.getTime() - Date.parse(last.claimedAt) >= leaseMs) {
        if (await ctx.catalog.schedules.takeOver(p.key, last.slot, replica, last.claimedAt, now)) {
          launch(p, last.slot);
        }
      }
      return;
    }
    if (inFlight) return; // finished meanwhile: the next slot at the next tick
    const due = dueRun(p, last, now);
    if (!due?.ready) return;
    const details =
      due.skipped > 0
        ? { skipped: due.skipped, firstSkipped: due.firstSkipped, lastSkipped: due.lastSkipped }
        : undefined;
    const slot = due.slot.toISOString();
    const won = await ctx.catalog.schedules.claim(p.key, slot, replica, {
      dueAt: due.dueAt.toISOString(),
      at: now,
      ...(details ? { details } : {}),
    });
    if (won) launch(p, slot);
  };

  /** `startedAt`: the run has just started, at that time (a catch-up run may start after its late time). */
  const checkLate = async (p: PlannedSchedule, run: ScheduleRunRecord, policy: Policy, now: Date, startedAt?: Date) => {
    if (p.kind === 'drill') return; // a drill is overdue after its plan's overdueAfter instead
    const l = lateness(new Date(run.dueAt), false, policy.alerts, now);
    const what = p.kind === 'drift' ? `drift check of ${p.name}` : `snapshot run ${p.key} (${p.items.join(', ')})`;
    const state = startedAt
      ? `started only at ${startedAt.toISOString()}`
      : run.status === 'running'
        ? 'still running'
        : 'not started';
    const blocked = typeof run.details?.blocked === 'string' ? `: ${run.details.blocked}` : '';
    const details = {
      dueAt: run.dueAt,
      status: run.status,
      claimedBy: run.claimedBy,
      ...(blocked ? { blocked: run.details?.blocked } : {}),
    };
    if (l.late && !run.lateAlertedAt && (await ctx.catalog.schedules.markLateAlerted(p.key, run.slot, now))) {
      alerts.raise({
        kind: 'schedule-late',
        severity: 'warning',
        key: p.key,
        slot: run.slot,
        summary: `${what} due ${run.dueAt} is late: ${state} after ${policy.alerts.lateAfterMs / 1000} s${blocked}`,
        details: {
          ...details,
          lateAt: l.lateAt.toISOString(),
          ...(startedAt ? { startedAt: startedAt.toISOString() } : {}),
        },
      });
    }
    if (startedAt) return; // escalation is for a run still unfinished at escalateAt
    if (l.escalate && !run.escalatedAt && (await ctx.catalog.schedules.markEscalated(p.key, run.slot, now))) {
      const lateKey = `schedule-late:${p.key}@${run.slot}`;
      alerts.raise(
        {
          kind: 'schedule-escalation',
          severity: 'critical',
          key: p.key,
          slot: run.slot,
          summary: `${what} due ${run.dueAt} is still ${state} at ${l.escalateAt.toISOString()}${blocked}`,
          details: { ...details, escalateAt: l.escalateAt.toISOString() },
        },
        // This is the late alert's escalation: the AlertCenter does not escalate that one again.
        async () => {
          const late = await ctx.catalog.alerts.byDedupKey(lateKey);
          if (late) await ctx.catalog.alerts.markEscalated(late.id, now.toISOString());
        },
      );
    }
  };

  const launch = (p: PlannedSchedule, slot: string): void => {
    const job = runSlot(p, slot)
      .catch((err: unknown) => opts.onError(`schedule ${p.key} slot ${slot}`, err))
      .finally(() => running.delete(p.key));
    running.set(p.key, job);
  };

  const runSlot = async (p: PlannedSchedule, slot: string): Promise<void> => {
    const { schedules } = ctx.catalog;
    const claimed = await schedules.get(p.key, slot);
    const startedAt = new Date();
    if (!claimed || !(await schedules.markStarted(p.key, slot, replica, startedAt))) return;
    const policy = current ?? (await ctx.policy());
    // Started after due + lateAfter (a catch-up run, a retry): late, though it may finish before a tick sees it.
    await checkLate(p, { ...claimed, status: 'running' }, policy, startedAt, startedAt).catch((err: unknown) =>
      opts.onError(`schedule ${p.key} late check`, err),
    );
    // Another replica took the slot over (our lease lapsed): stop, so that one slot never runs twice.
    const lost = new AbortController();
    const beat = setInterval(
      () =>
        void schedules
          .heartbeat(p.key, slot, replica)
          .then((held) => {
            if (!held) lost.abort(new Error(`schedule ${p.key} slot ${slot}: claim lost to another replica`));
          })
          .catch((err: unknown) => opts.onError('schedule heartbeat', err)),
      Math.max(1000, Math.floor(leaseMs / 3)),
    );
    beat.unref();
    let outcome: JobOutcome;
    try {
      outcome = await runScheduledJob(ctx, policy, p, slot, alerts, lost.signal);
    } finally {
      clearInterval(beat);
    }
    if (outcome.status === 'aborted' || lost.signal.aborted) return; // the holder now records and alerts
    const base = { ...(claimed.details ?? {}) };
    delete base.blocked;
    if (outcome.status === 'blocked') {
      const attempts = (typeof base.attempts === 'number' ? base.attempts : 0) + 1;
      await schedules.markBlocked(p.key, slot, replica, { ...base, attempts, blocked: outcome.reason });
      return;
    }
    const details = { ...base, ...outcome.details };
    if (!(await schedules.markFinished(p.key, slot, replica, outcome.status, details))) return; // taken over meanwhile
    await ctx.log
      .record({
        identity: 'system:scheduler',
        action: 'schedule.run',
        result: outcome.status === 'ok' ? 'ok' : 'failed',
        target: p.key,
        details: { slot, replica, ...details },
      })
      .catch((err: unknown) => opts.onError('audit of a schedule run', err));
    if (outcome.status === 'failed') await failureAlert(p, slot, policy, details);
    else alerts.resolve(`schedule-failed:${p.key}`, `${p.key} ran ok (slot ${slot})`);
    // A late run that finished: its late and escalation alerts (raised by any replica) are resolved.
    const ended = await schedules.get(p.key, slot);
    const reason = `${p.key} slot ${slot} finished ${outcome.status}`;
    if (ended?.lateAlertedAt) alerts.resolve(`schedule-late:${p.key}@${slot}`, reason);
    if (ended?.escalatedAt) alerts.resolve(`schedule-escalation:${p.key}@${slot}`, reason);
  };

  /**
   * schedule-failed when this run makes `alerts.consecutiveFailures` failed runs in a row: once per
   * streak (the run before the streak was not failed, or there was none), not again at every further
   * failure; a run that does not fail ends the streak.
   */
  const failureAlert = async (p: PlannedSchedule, slot: string, policy: Policy, details: Record<string, unknown>) => {
    if (p.kind === 'drill') return; // drill-failed says it (drill-jobs.ts)
    const threshold = Math.max(1, policy.alerts.consecutiveFailures);
    const recent = (await ctx.catalog.schedules.list(p.key, threshold + 1)).filter((r) => r.slot <= slot);
    const streak = recent.findIndex((r) => r.status !== 'failed');
    const inARow = streak === -1 ? recent.length : streak;
    if (inARow !== threshold) return;
    alerts.raise({
      kind: 'schedule-failed',
      severity: 'critical',
      key: p.key,
      slot,
      // One incident per schedule: resolved when the schedule runs ok again.
      dedupKey: `schedule-failed:${p.key}`,
      summary: `${p.key} failed ${inARow} times in a row (slot ${slot})`,
      details: { failures: inARow, ...details },
    });
  };

  const loop = () => {
    ticking = tick()
      .catch((err: unknown) => {
        opts.onError('scheduler tick', err);
        return fixedTick ?? 15_000;
      })
      .then((next) => {
        if (!stopped) timer = setTimeout(loop, next);
      });
  };
  loop();

  return {
    replica,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await ticking;
      await Promise.allSettled([...running.values()]);
      await alerts.settle();
    },
  };
}
