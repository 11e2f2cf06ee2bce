import { randomBytes } from 'node:crypto';
import { lstat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { resolve, sep } from 'node:path';
import type { DeploymentRecord, RollbackItemState, RollbackRun, TicketState } from '../catalog/index.js';
import { CairnError, isCairnError } from '../errors/index.js';
import type { Policy } from '../policy/index.js';
import { checkChangeTicket } from './change-tickets/index.js';
import { compareLive, type DriftChange, type ItemDrift } from './drift.js';
import { restoreToTarget } from './restore-target.js';
import { type PlannedItem, planRollback } from './rollback-plan.js';
import type { Session } from './session.js';
import { takeSnapshots } from './snapshot.js';

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

/**
 * The state rolled back to, captured (trigger `rollback`): without it the newest snapshot of each item
 * stays the post-deploy one, and drift would report every rolled-back item as drifted.
 */
async function takeBaseline(
  session: Session,
  policy: Policy,
  run: RunInput,
  items: readonly RollbackItem[],
): Promise<NonNullable<RollbackResult['baseline']>> {
  const names = items.filter((i) => i.state === 'verified' || i.state === 'unchanged').map((i) => i.item);
  if (names.length === 0) return { snapshots: [] };
  try {
    const results = await takeSnapshots(session, policy, {
      items: names,
      run: { trigger: 'rollback', deployment: run.deployment.id, ...(run.change ? { change: run.change } : {}) },
      ...(run.ticket ? { ticket: run.ticket } : {}),
    });
    const failed = results.filter((r) => r.status === 'failed');
    const snapshots = results.flatMap((r) => (r.id ? [r.id] : []));
    if (failed.length === 0) return { snapshots };
    return {
      snapshots,
      error: {
        code: 'CAIRN_E_SOURCE',
        message: `the snapshot after the rollback failed for ${failed.map((f) => f.item).join(', ')}; drift compares those with their previous snapshot`,
      },
    };
  } catch (err) {
    return { snapshots: [], error: errorOf(err) };
  }
}

/** Who runs a rollback: a compare-and-set lease in the catalog, renewed at every recorded step. */
interface Lease {
  readonly holder: string;
  renew(): Promise<void>;
}

/** How long a lease lasts without a recorded step; a run that stops recording is taken over after it. */
export const ROLLBACK_LEASE_MS = 10 * 60_000;

async function claimLease(
  session: Session,
  id: string,
  deployment: string,
  resume: RollbackRun | undefined,
): Promise<Lease> {
  const rollbacks = session.catalog.rollbacks;
  const holder = `${hostname()} ${process.pid} ${randomBytes(4).toString('hex')}`;
  const until = () => new Date(Date.now() + ROLLBACK_LEASE_MS).toISOString();
  const dead = resume?.leaseHolder && holderIsDead(resume.leaseHolder) ? resume.leaseHolder : undefined;
  const claim = await rollbacks.claim(id, holder, until(), new Date().toISOString(), dead);
  if (!claim.claimed) throw busy(id, deployment, claim.holder, claim.until);
  if (!resume) {
    // Two fresh runs of one deployment may both have been created; one that sees another running gives way.
    const rival = (await rollbacks.leasedFor(deployment, new Date().toISOString())).find((r) => r.id !== id);
    if (rival) {
      await rollbacks.setStatus(id, 'failed', {
        finishedAt: new Date().toISOString(),
        error: `gave way to rollback ${rival.id}, which was running`,
      });
      await rollbacks.release(id, holder);
      throw busy(rival.id, deployment, rival.holder, rival.until);
    }
  }
  return {
    holder,
    async renew() {
      if (!(await rollbacks.renew(id, holder, until()))) {
        const now = await rollbacks.get(id);
        throw busy(id, deployment, now?.leaseHolder ?? null, now?.leaseUntil ?? null);
      }
    },
  };
}

function busy(id: string, deployment: string, holder: string | null, until: string | null): CairnError {
  return new CairnError(
    'CAIRN_E_REPO_LOCKED',
    `rollback ${id} of deployment ${deployment} is being run by ${holder ?? 'another process'}` +
      `${until ? ` (lease until ${until})` : ''}; wait for it to finish, then run the rollback again`,
    { rollback: id, deployment, holder, until },
  );
}

/** A holder "host pid token" on this host whose process is gone. */
function holderIsDead(holder: string): boolean {
  const [host, pid] = holder.split(' ');
  if (host !== hostname() || !pid || !/^\d+$/.test(pid)) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function noDiff(p: PlannedItem): ItemDrift {
  return { item: p.name, snapshot: p.snapshot?.id ?? null, drifted: false, changes: [], ignored: 0, readFiles: 0 };
}

function errorOf(err: unknown): { code: string; message: string } {
  if (isCairnError(err)) return { code: err.code, message: err.message };
  return { code: 'CAIRN_E_CHECK_FAILED', message: err instanceof Error ? err.message : String(err) };
}

/**
 * The item's live state against its pre-deploy snapshot. An item with no pre-deploy snapshot, only an
 * older one (`before-start`), fails unless the caller allowed older snapshots.
 */
async function diffFirst(session: Session, policy: Policy, p: PlannedItem, allowOlder: boolean): Promise<RollbackItem> {
  const base = {
    item: p.name,
    snapshot: p.snapshot?.id ?? '',
    from: p.from,
    snapshotTime: p.snapshot?.time ?? null,
    target: p.target,
    verify: p.verify,
  };
  if (p.problem) return { ...base, diff: noDiff(p), state: 'failed', error: p.problem };
  if (p.from === 'before-start' && !allowOlder) {
    return {
      ...base,
      diff: noDiff(p),
      state: 'failed',
      error: {
        code: 'CAIRN_E_NOT_FOUND',
        message:
          `item ${p.name} has no pre-deploy snapshot; the newest one before the deployment is ` +
          `${p.snapshot!.id.slice(0, 12)} of ${p.snapshot!.time}: run the rollback with --allow-older ` +
          '(API: allowOlder) to restore that one',
      },
    };
  }
  let diff: ItemDrift;
  try {
    diff = await compareLive(session, policy, p.item!, p.snapshot!);
  } catch (err) {
    diff = { ...noDiff(p), error: errorOf(err) };
  }
  // Only a live source that reads what the target holds can say that nothing needs writing.
  const unchanged = p.verify === 'live' && !diff.error && !diff.drifted;
  return { ...base, diff, state: unchanged ? 'unchanged' : 'pending' };
}

/** A dry run asks each target to check the restore without writing (a snapshot with several files for an HTTP target fails here). */
async function dryRunChecks(
  session: Session,
  policy: Policy,
  planned: readonly PlannedItem[],
  items: readonly RollbackItem[],
): Promise<RollbackItem[]> {
  const out: RollbackItem[] = [];
  for (const [i, item] of items.entries()) {
    const p = planned[i]!;
    if (item.state !== 'pending') {
      out.push(item);
      continue;
    }
    try {
      await restoreToTarget(session, policy, p.item!, p.snapshot!, { dryRun: true });
      out.push(item);
    } catch (err) {
      out.push({ ...item, state: 'failed', error: errorOf(err) });
    }
  }
  return out;
}

async function restoreAndVerify(
  session: Session,
  policy: Policy,
  p: PlannedItem,
  item: RollbackItem,
  record: (step: RollbackItem) => Promise<void>,
): Promise<RollbackItem> {
  try {
    await restoreToTarget(session, policy, p.item!, p.snapshot!);
  } catch (err) {
    return { ...item, state: 'failed', error: errorOf(err) };
  }
  const restored: RollbackItem = { ...item, state: 'restored' };
  await record(restored);
  if (p.verify === 'target') return { ...restored, state: 'verified' };
  let after = await readBack(session, policy, p);
  const target = p.item!.restore;
  const added = after.changes.filter((c) => c.kind === 'added');
  if (!after.error && target?.kind === 'directory' && added.length > 0) {
    // The folder is the item's source: files the deployment added are not part of the pre-deploy state.
    try {
      await removeAdded(target.path, added);
    } catch (err) {
      const e = errorOf(err);
      return {
        ...restored,
        state: 'failed',
        error: {
          code: e.code,
          message: `${p.name} was restored into ${p.target}, but a file the deployment added could not be removed: ${e.message}`,
        },
      };
    }
    after = await readBack(session, policy, p);
  }
  if (after.error) {
    return {
      ...restored,
      state: 'failed',
      error: {
        code: after.error.code,
        message: `${p.name} was restored into ${p.target} but could not be read back to verify it: ${after.error.message}`,
      },
    };
  }
  if (after.drifted) {
    const paths = after.changes.slice(0, 5).map((c) => `${c.kind} ${c.path}`);
    return {
      ...restored,
      state: 'failed',
      error: {
        code: 'CAIRN_E_CHECK_FAILED',
        message: `${p.name} was restored into ${p.target} but its live state still differs from snapshot ${p.snapshot!.id.slice(0, 12)}: ${paths.join(', ')}${after.changes.length > 5 ? ', …' : ''}`,
      },
    };
  }
  return { ...restored, state: 'verified' };
}

async function readBack(session: Session, policy: Policy, p: PlannedItem): Promise<ItemDrift> {
  try {
    return await compareLive(session, policy, p.item!, p.snapshot!);
  } catch (err) {
    return { ...noDiff(p), error: errorOf(err) };
  }
}

/** Removes files (and symlinks) the live folder has and the snapshot has not; never outside `root`. */
async function removeAdded(root: string, added: readonly DriftChange[]): Promise<void> {
  const base = resolve(root);
  for (const c of added) {
    const full = resolve(base, c.path);
    if (!full.startsWith(base + sep)) continue;
    const st = await lstat(full).catch(() => undefined);
    if (st && !st.isDirectory()) await unlink(full);
  }
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** `R-<yyyymmdd>-<6 random base32>`, not taken yet. */
async function freshId(session: Session, now: Date): Promise<string> {
  const day = now.toISOString().slice(0, 10).replaceAll('-', '');
  for (;;) {
    const id = `R-${day}-${[...randomBytes(6)].map((b) => BASE32[b % 32]).join('')}`;
    if (!(await session.catalog.rollbacks.get(id))) return id;
  }
}
