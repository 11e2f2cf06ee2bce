import { isCairnError } from '../../errors/index.js';
import { runCanary } from '../../services/index.js';
import { newReplicaId, type ReplicaLoop, UNFINISHED_RUN } from './replica-loop.js';
import type { WireContext } from './wire-context.js';

/** The schedule_runs key the canary's slots are claimed under (not a policy schedule: `cairn schedules` omits it). */
export const CANARY_KEY = 'canary';

export interface CanaryLoopOptions {
  /** The canary's folder (its source files and each round's restore). */
  readonly dir: string;
  readonly onError: (what: string, err: unknown) => void;
  /** How often to look again while the policy has `canary: false` (default 15 s). */
  readonly idleMs?: number;
}

/** stop() stops the loop and waits for the round in flight. */
export type CanaryLoop = ReplicaLoop;

/**
 * The canary of `cairn serve` (C8.6): one round per `canary.every` slot (slot = the time rounded down
 * to a multiple of it), run by the one replica whose claim of the slot in the catalog won (as the
 * scheduler claims its slots), so replicas sharing a PostgreSQL catalog run each slot once. A slot is
 * skipped while another replica's round is still going (one round at a time); a slot that finds the
 * repository locked exclusively (prune, forget) is recorded skipped, without a round or an alert.
 * The policy is read again before each slot: `canary: false` stops the rounds, a new `every` applies
 * from the next slot.
 */
export function startCanary(ctx: WireContext, opts: CanaryLoopOptions): CanaryLoop {
  const replica = newReplicaId();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<void> = Promise.resolve();
  let handled: string | undefined;

  const slotOnce = async (): Promise<number> => {
    const policy = await ctx.policy();
    const { enabled, everyMs } = policy.canary;
    if (!enabled) return opts.idleMs ?? 15_000;
    const now = Date.now();
    const slotMs = Math.floor(now / everyMs) * everyMs;
    const untilNext = () => Math.max(0, slotMs + everyMs - Date.now()) + 5;
    const slot = new Date(slotMs).toISOString();
    if (handled === slot) return untilNext();
    handled = slot;
    const last = await ctx.catalog.schedules.lastRun(CANARY_KEY);
    // Another round still going (this replica's cannot be: rounds here are sequential); one claimed
    // longer ago than ten rounds (or an hour) is taken for a replica that stopped mid-round.
    const stale = Math.max(10 * everyMs, 3_600_000);
    if (last && UNFINISHED_RUN.has(last.status) && Date.parse(last.claimedAt) > now - stale) return untilNext();
    if (!(await ctx.catalog.schedules.claim(CANARY_KEY, slot, replica, { dueAt: slot }))) return untilNext();
    await ctx.catalog.schedules.markStarted(CANARY_KEY, slot, replica);
    try {
      const run = await ctx.withRepository((repo) =>
        runCanary({ repo, catalog: ctx.catalog, close: async () => {} }, policy, ctx.log, {
          dir: opts.dir,
          alerts: ctx.alerts,
          onWarning: opts.onError,
        }),
      );
      const details = { run: run.id, latencyMs: run.latencyMs, ...(run.error ? { error: run.error } : {}) };
      await ctx.catalog.schedules.markFinished(CANARY_KEY, slot, replica, run.ok ? 'ok' : 'failed', details);
    } catch (err) {
      const locked = isCairnError(err, 'CAIRN_E_REPO_LOCKED');
      const message = err instanceof Error ? err.message : String(err);
      await ctx.catalog.schedules.markFinished(CANARY_KEY, slot, replica, locked ? 'skipped' : 'failed', {
        error: message,
      });
      if (!locked) opts.onError('canary round', err);
    }
    return untilNext();
  };

  const loop = () => {
    round = slotOnce()
      .catch((err: unknown) => {
        opts.onError('canary', err);
        return 15_000;
      })
      .then((delay) => {
        if (!stopped) timer = setTimeout(loop, delay);
      });
  };
  loop();
  return {
    replica,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await round;
    },
  };
}
