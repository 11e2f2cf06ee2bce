import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { AuditLog } from '../../audit/index.js';
import type { DrillGapFound, DrillRecord, DrillResult, DrillStatus } from '../../catalog/index.js';
import { CairnError } from '../../errors/index.js';
import { type DrillPlan, formatDuration, type Policy } from '../../policy/index.js';
import { noProgress, type ProgressSink } from '../progress.js';
import type { Session } from '../session.js';
import { finishDetails } from './drill-audit.js';
import { scanRestored } from './gaps-scan.js';
import { isolationAvailable } from './isolation.js';
import { measure } from './measure.js';
import { restoreItems } from './restore-phase.js';
import { openSandbox } from './sandbox.js';
import { needsRestoredState, runValidators, startFence } from './validate-phase.js';

export interface DrillRunOptions {
  plan: string;
  trigger?: 'manual' | 'scheduled';
  actor: string;
  /** C5.4: restore into this folder (new or empty) and keep it. */
  staging?: string;
  signal?: AbortSignal;
  progress?: ProgressSink;
  now?: () => Date;
}

/** What runDrill records beyond the contract's DrillResult: certificate expiry warnings, isolation notes. */
export type DrillResultWithWarnings = DrillResult & { readonly warnings: readonly string[] };

export function drillPlan(policy: Policy, name: string): DrillPlan {
  const plan = policy.drills.find((p) => p.name === name);
  if (plan) return plan;
  const names = policy.drills.map((p) => p.name);
  throw new CairnError(
    'CAIRN_E_USAGE',
    `no drill plan ${name} in ${policy.file}; plans: ${names.length > 0 ? names.join(', ') : '(none: add one under drills:)'}`,
    { plan: name },
  );
}

/**
 * A recovery drill (C5.1–C5.5): restores the plan's items into a sandbox, runs its validators, scans
 * the restored files for expired certificates and credentials, measures RTO and RPO against the tiers'
 * SLAs, and records the drill, its gaps and two audit events (drill.start, drill.finish). The sandbox is
 * deleted whatever happens, unless it is a staging folder. A failing drill is a result, not an error.
 */
export async function runDrill(
  session: Session,
  policy: Policy,
  log: AuditLog,
  o: DrillRunOptions,
): Promise<DrillRecord> {
  const plan = drillPlan(policy, o.plan);
  // Two requests at once in one process (the server) would both pass the catalog check below.
  const running = startingHere.get(plan.name);
  if (running) {
    throw new CairnError(
      'CAIRN_E_REPO_LOCKED',
      `drill plan ${plan.name} is running already (${running === 'starting' ? 'starting' : `drill ${running}`} in this process); wait for it to finish`,
      { plan: plan.name, drill: running },
    );
  }
  startingHere.set(plan.name, 'starting');
  try {
    return await runPlan(session, policy, log, plan, o);
  } finally {
    startingHere.delete(plan.name);
  }
}

/** The plans with a drill running in this process: the drill's id once it has one. */
const startingHere = new Map<string, string>();

async function runPlan(
  session: Session,
  policy: Policy,
  log: AuditLog,
  plan: DrillPlan,
  o: DrillRunOptions,
): Promise<DrillRecord> {
  const now = o.now ?? (() => new Date());
  const progress = o.progress ?? noProgress;
  const kind = o.staging !== undefined ? 'staging' : 'drill';
  // The isolation probe (once per process) runs meanwhile.
  const probe = isolationAvailable();
  await refuseConcurrent(session, policy, log, { plan, actor: o.actor, at: now() });
  const isolation = await probe;
  const sandbox = await openSandbox(o.staging);
  const startedAt = now();
  const t0 = performance.now();
  const record: DrillRecord = {
    id: `dr-${randomBytes(10).toString('hex')}`,
    plan: plan.name,
    kind,
    environment: plan.environment ?? null,
    trigger: o.trigger ?? 'manual',
    actor: o.actor,
    startedAt: startedAt.toISOString(),
    finishedAt: null,
    status: 'running',
    rtoMs: null,
    restoreMs: null,
    validateMs: null,
    rpoMs: null,
    rtoSlaMs: null,
    rpoSlaMs: null,
    withinSla: null,
    signoffRequired: [...plan.signoff],
    result: null,
  };
  const audit = (action: string, result: 'ok' | 'failed', details: Record<string, unknown>) =>
    log.record({ identity: o.actor, action, target: plan.name, result, details });
  try {
    await audit('drill.start', 'ok', {
      drill: record.id,
      plan: plan.name,
      kind,
      trigger: record.trigger,
      items: plan.items,
      isolated: isolation.available,
      ...(o.staging !== undefined ? { staging: sandbox.path } : {}),
    });
    await session.catalog.drills.insert(record);
    startingHere.set(plan.name, record.id);
  } catch (err) {
    await sandbox.cleanup();
    throw err;
  }

  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), plan.timeoutMs);
  const signal = o.signal ? AbortSignal.any([timeout.signal, o.signal]) : timeout.signal;
  const warnings: string[] = isolation.available
    ? []
    : [
        `validators ran without isolation (${isolation.reason}): they could write outside the sandbox and use the network`,
      ];
  const gaps: DrillGapFound[] = [];
  let items: DrillResult['items'] = [];
  let validators: DrillResult['validators'] = [];
  let error: string | undefined;
  let restoreMs = 0;
  let cleaned = false;
  // Set up while the items are restored: one fence for all the `run` validators.
  const fence = startFence(plan, sandbox, isolation.available);
  try {
    const restored = await restoreItems(session, policy, {
      items: plan.items,
      sandbox,
      startedAt,
      signal,
      progress,
      recordState: needsRestoredState(plan),
    });
    items = restored.items;
    gaps.push(...restored.gaps);
    restoreMs = Math.round(performance.now() - t0);
    const ok = new Set(items.filter((i) => i.ok).map((i) => i.item));
    const validated = await runValidators(session, policy, {
      plan,
      restored: ok,
      sandbox,
      isolate: isolation.available,
      ...(fence ? { fence } : {}),
      restoredState: restored.states,
      signal,
      progress,
    });
    validators = validated.validators;
    gaps.push(...validated.gaps);
    for (const item of ok) {
      if (signal.aborted) break;
      const scan = await scanRestored(item, sandbox.itemDir(item), now());
      gaps.push(...scan.gaps);
      warnings.push(...scan.warnings);
    }
  } catch (err) {
    error = `the drill stopped: ${err instanceof Error ? err.message : String(err)}`;
  } finally {
    clearTimeout(timer);
    // Closed once set up, without waiting for it (a drill stopped early need not).
    void fence?.then((f) => (f instanceof Error ? undefined : f.close()));
    cleaned = await sandbox.cleanup();
  }
  if (signal.aborted && error === undefined) {
    error = timeout.signal.aborted
      ? `the drill did not finish within its timeout (${formatDuration(plan.timeoutMs)}) and was stopped`
      : 'the drill was cancelled';
  }
  const rtoMs = Math.round(performance.now() - t0);
  const complete = error === undefined && items.length === plan.items.length && items.every((i) => i.ok);
  const measured = measure(rtoMs, items, complete);
  gaps.push(...measured.gaps);
  const failed = error !== undefined || gaps.length > 0 || !complete || validators.some((v) => !v.ok);
  const status: DrillStatus = failed ? 'failed' : plan.signoff.length > 0 ? 'awaiting-signoff' : 'passed';
  const result: DrillResultWithWarnings = {
    items,
    validators,
    gaps,
    sandbox: { path: sandbox.path, isolated: isolation.available, cleaned: sandbox.kept ? false : cleaned },
    ...(error !== undefined ? { error } : {}),
    warnings,
  };
  const finished: DrillRecord = {
    ...record,
    finishedAt: now().toISOString(),
    status,
    rtoMs,
    restoreMs,
    validateMs: Math.max(0, rtoMs - restoreMs),
    rpoMs: measured.rpoMs,
    rtoSlaMs: measured.rtoSlaMs,
    rpoSlaMs: measured.rpoSlaMs,
    withinSla: measured.withinSla,
    result,
  };
  const {
    id,
    plan: _p,
    kind: _k,
    environment: _e,
    trigger: _t,
    actor: _a,
    startedAt: _s,
    signoffRequired: _r,
    ...f
  } = finished;
  await session.catalog.drills.finish(id, f);
  // Gaps not found again are closed only for items checked to the end: an item that could not be
  // restored, or a drill that was stopped, says nothing about the gaps found before.
  const checked = error === undefined ? items.filter((i) => i.ok).map((i) => i.item) : [];
  await session.catalog.drills.recordGaps(id, checked, gaps, finished.finishedAt!);
  await audit('drill.finish', status === 'failed' ? 'failed' : 'ok', finishDetails(finished));
  if (kind === 'staging') {
    await audit('staging.restore', status === 'failed' ? 'failed' : 'ok', {
      drill: id,
      plan: plan.name,
      staging: sandbox.path,
      items: items.map((i) => ({ item: i.item, snapshot: i.snapshotId, ok: i.ok })),
    });
  }
  return (await session.catalog.drills.get(id)) ?? finished;
}

/** A process that stopped mid-drill leaves it 'running': after its timeout (and a minute) it is failed as abandoned. */
const ABANDONED_AFTER_MS = 60_000;
/** The timeout of a plan no longer in the policy (the default plan timeout). */
const DEFAULT_TIMEOUT_MS = 30 * 60_000;

/**
 * One drill of a plan at a time: another running one (not yet past its timeout) refuses this one with
 * CAIRN_E_REPO_LOCKED naming it. Running drills of any plan past their timeout (and a minute) were
 * left by a process that stopped (killed, crashed): each is recorded as failed (abandoned), with a
 * drill.finish event, so that nothing stays 'running' for ever once any drill runs again.
 */
async function refuseConcurrent(
  session: Session,
  policy: Policy,
  log: AuditLog,
  o: { plan: DrillPlan; actor: string; at: Date },
): Promise<void> {
  const { plan, at } = o;
  for (const d of await session.catalog.drills.list({ status: 'running' })) {
    const age = at.getTime() - Date.parse(d.startedAt);
    const timeoutMs = policy.drills.find((p) => p.name === d.plan)?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (age < timeoutMs + ABANDONED_AFTER_MS) {
      if (d.plan !== plan.name) continue;
      throw new CairnError(
        'CAIRN_E_REPO_LOCKED',
        `drill plan ${plan.name} is running already (drill ${d.id}, started ${d.startedAt} by ${d.actor}); wait for it to finish`,
        { plan: plan.name, drill: d.id },
      );
    }
    const error = `abandoned: the process running it stopped before it finished (started ${d.startedAt})`;
    const finished = {
      finishedAt: at.toISOString(),
      status: 'failed' as const,
      rtoMs: null,
      restoreMs: null,
      validateMs: null,
      rpoMs: null,
      rtoSlaMs: null,
      rpoSlaMs: null,
      withinSla: null,
      result: { items: [], validators: [], gaps: [], sandbox: { path: '', isolated: false, cleaned: false }, error },
    };
    if (!(await session.catalog.drills.finish(d.id, finished))) continue;
    await log.record({
      identity: o.actor,
      action: 'drill.finish',
      target: d.plan,
      result: 'failed',
      details: { ...finishDetails({ ...d, ...finished }), abandoned: true, startedBy: d.actor },
    });
  }
}
