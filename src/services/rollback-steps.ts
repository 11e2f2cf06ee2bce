import { lstat, unlink } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import type { DeploymentRecord, TicketState } from '../catalog/index.js';
import { isCairnError } from '../errors/index.js';
import type { Policy } from '../policy/index.js';
import { compareLive, type DriftChange, type ItemDrift } from './drift.js';
import { restoreToTarget } from './restore-target.js';
import type { RollbackItem, RollbackResult } from './rollback.js';
import type { PlannedItem } from './rollback-plan.js';
import type { Session } from './session.js';
import { takeSnapshots } from './snapshot.js';

/** What the baseline snapshot needs to know of the run. */
interface BaselineRun {
  readonly deployment: DeploymentRecord;
  readonly change: string | null;
  readonly ticket: TicketState | null;
}

/**
 * The state rolled back to, captured (trigger `rollback`): without it the newest snapshot of each item
 * stays the post-deploy one, and drift would report every rolled-back item as drifted.
 */
export async function takeBaseline(
  session: Session,
  policy: Policy,
  run: BaselineRun,
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
export async function diffFirst(
  session: Session,
  policy: Policy,
  p: PlannedItem,
  allowOlder: boolean,
): Promise<RollbackItem> {
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
export async function dryRunChecks(
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

export async function restoreAndVerify(
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
