import type { DeploymentRecord, RollbackItemState, TicketState } from '../catalog/index.js';
import { CairnError, isCairnError } from '../errors/index.js';
import type { Policy } from '../policy/index.js';
import { checkChangeTicket } from './change-tickets/index.js';
import type { ItemDrift } from './drift.js';
import { claimLease, freshId, type Lease } from './rollback-lease.js';
import { type PlannedItem, planRollback } from './rollback-plan.js';
import { diffFirst, dryRunChecks, restoreAndVerify, takeBaseline } from './rollback-steps.js';
import type { Session } from './session.js';

export { ROLLBACK_LEASE_MS } from './rollback-lease.js';

export interface RollbackInput {
  readonly deployment: string;
  readonly dryRun?: boolean;
  readonly actor?: string;
  readonly now?: Date;
  /** The change ticket for the rollback (default: the deployment's). */
  readonly change?: string;
  /**
   * Restore an item whose pre-deploy snapshot is missing from the newest snapshot taken before the
   * deployment started (`from: 'before-start'`). Without it such an item fails; automatic rollbacks never set it.
   */
  readonly allowOlder?: boolean;
}

export interface RollbackItem {
  readonly item: string;
  readonly snapshot: string; // full id; "" when there is none
  /** Where the snapshot came from: the pre-deploy bundle, the newest one before the start, or none. */
  readonly from: PlannedItem['from'];
  /** When the snapshot was taken (null when there is none). */
  readonly snapshotTime: string | null;
  readonly target: string;
  /** The live state against the pre-deploy snapshot, before anything was written. */
  readonly diff: ItemDrift;
  readonly state: RollbackItemState;
  /** How the item was (or will be) checked afterwards; see PlannedItem.verify. */
  readonly verify: 'live' | 'target';
  readonly error?: { readonly code: string; readonly message: string };
}

export interface RollbackResult {
  readonly rollback: string;
  readonly deployment: string;
  readonly environment: string;
  readonly dryRun: boolean;
  readonly status: 'planned' | 'completed' | 'failed';
  /** True when this run took over an interrupted or failed one of the same deployment. */
  readonly resumed: boolean;
  readonly ticket: TicketState | null;
  /** Dry run only: why the real rollback would be refused by the change-ticket rule. */
  readonly ticketError?: { readonly code: string; readonly message: string };
  readonly items: RollbackItem[];
  /**
   * After a completed rollback, the snapshots taken of the restored items (trigger `rollback`), so drift
   * compares against the state rolled back to; `error` when that snapshot run failed (the rollback stands).
   */
  readonly baseline?: {
    readonly snapshots: readonly string[];
    readonly error?: { readonly code: string; readonly message: string };
  };
}

/** What a rollback reports while it runs: the plan with every diff first, then each item as it settles. */
export type RollbackEvent =
  | { readonly kind: 'plan'; readonly result: RollbackResult }
  | { readonly kind: 'item'; readonly item: RollbackItem; readonly index: number; readonly total: number };

/**
 * Puts a deployment's environment back to its pre-deploy bundle (C7.4, C7.5): per item, the live state
 * is diffed against the snapshot first (no drift: nothing is written), then the snapshot is restored
 * into the item's target and checked afterwards. Every step is recorded in catalog.rollbacks before the
 * next one starts, so a rollback interrupted half-way is resumed by running it again: verified items are
 * skipped, the rest done again. A dry run shows the plan and the diffs and records nothing.
 */
export async function rollbackDeployment(
  session: Session,
  policy: Policy,
  input: RollbackInput,
  progress: (e: RollbackEvent) => void = () => {},
): Promise<RollbackResult> {
  const { catalog } = session;
  const deployment = await catalog.deployments.get(input.deployment);
  if (!deployment) {
    throw new CairnError(
      'CAIRN_E_NOT_FOUND',
      `no deployment ${input.deployment} (cairn deploy list shows the deployments)`,
      { deployment: input.deployment },
    );
  }
  const now = input.now ?? new Date();
  const dryRun = input.dryRun ?? false;
  const planned = await planRollback(session, policy, deployment);

  const ticketRequest = {
    action: 'rollback' as const,
    tiers: [...new Set(planned.flatMap((p) => (p.item ? [p.item.tier] : [])))],
    environment: deployment.environment,
    change: input.change ?? deployment.change,
    now,
  };
  let ticket: TicketState | null = null;
  let ticketError: RollbackResult['ticketError'];
  try {
    ticket = await checkChangeTicket(policy, ticketRequest);
  } catch (err) {
    if (!dryRun || !isCairnError(err, 'CAIRN_E_CHANGE_TICKET')) throw err;
    ticketError = { code: err.code, message: err.message };
  }

  const latest = dryRun ? undefined : await catalog.rollbacks.latestFor(deployment.id);
  const resume = latest && !latest.dryRun && latest.status !== 'completed' ? latest : undefined;
  const id = resume?.id ?? (await freshId(session, now));
  const allowOlder = input.allowOlder ?? false;

  if (dryRun) {
    const items: RollbackItem[] = [];
    for (const p of planned) items.push(await diffFirst(session, policy, p, allowOlder));
    const result: RollbackResult = {
      rollback: id,
      deployment: deployment.id,
      environment: deployment.environment,
      dryRun,
      resumed: resume !== undefined,
      ticket,
      ...(ticketError ? { ticketError } : {}),
      status: 'planned',
      items: await dryRunChecks(session, policy, planned, items),
    };
    progress({ kind: 'plan', result });
    return result;
  }

  const actor = input.actor ?? deployment.actor;
  if (!resume) {
    await catalog.rollbacks.create({
      id,
      deployment: deployment.id,
      status: 'running',
      startedAt: now.toISOString(),
      finishedAt: null,
      actor,
      dryRun: false,
      error: null,
    });
  }
  const lease = await claimLease(session, id, deployment.id, resume);
  try {
    return await runRollback(session, policy, {
      id,
      deployment,
      resumed: resume !== undefined,
      ticket,
      planned,
      allowOlder,
      change: input.change ?? deployment.change,
      lease,
      progress,
    });
  } finally {
    await catalog.rollbacks.release(id, lease.holder).catch(() => {});
  }
}

interface RunInput {
  readonly id: string;
  readonly deployment: DeploymentRecord;
  readonly resumed: boolean;
  readonly ticket: TicketState | null;
  readonly planned: readonly PlannedItem[];
  readonly allowOlder: boolean;
  readonly change: string | null;
  readonly lease: Lease;
  readonly progress: (e: RollbackEvent) => void;
}

async function runRollback(session: Session, policy: Policy, run: RunInput): Promise<RollbackResult> {
  const { catalog } = session;
  const { id, deployment, planned, progress } = run;
  // Every item is diffed again, also those an earlier run verified: the live state may have moved since.
  const items: RollbackItem[] = [];
  for (const p of planned) items.push(await diffFirst(session, policy, p, run.allowOlder));
  const base = {
    rollback: id,
    deployment: deployment.id,
    environment: deployment.environment,
    dryRun: false,
    resumed: run.resumed,
    ticket: run.ticket,
  };
  if (run.resumed) await catalog.rollbacks.setStatus(id, 'running', { finishedAt: null, error: null });
  await catalog.deployments.setStatus(deployment.id, 'rolling-back');
  const record = async (i: number, item: RollbackItem) => {
    await run.lease.renew();
    await catalog.rollbacks.setItem({
      rollback: id,
      item: item.item,
      position: i,
      snapshotId: item.snapshot || null,
      target: item.target,
      state: item.state,
      error: item.error ?? null,
      updatedAt: new Date().toISOString(),
    });
  };
  for (const [i, item] of items.entries()) await record(i, item);
  progress({ kind: 'plan', result: { ...base, status: 'planned', items: [...items] } });

  for (const [i, p] of planned.entries()) {
    if (items[i]!.state !== 'pending') {
      progress({ kind: 'item', item: items[i]!, index: i, total: items.length });
      continue;
    }
    items[i] = await restoreAndVerify(session, policy, p, items[i]!, (step) => record(i, step));
    await record(i, items[i]!);
    progress({ kind: 'item', item: items[i]!, index: i, total: items.length });
  }

  const failed = items.filter((i) => i.state === 'failed');
  const status = failed.length === 0 ? 'completed' : 'failed';
  await catalog.rollbacks.setStatus(id, status, {
    finishedAt: new Date().toISOString(),
    error: failed.length === 0 ? null : failed.map((f) => `${f.item}: ${f.error?.message ?? 'failed'}`).join('; '),
  });
  await catalog.deployments.setStatus(deployment.id, status === 'completed' ? 'rolled-back' : 'rollback-failed');
  if (status !== 'completed') return { ...base, status, items };
  return { ...base, status, items, baseline: await takeBaseline(session, policy, run, items) };
}
