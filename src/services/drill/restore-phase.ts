import { performance } from 'node:perf_hooks';
import type { DrillGapFound, DrillResult, SnapshotRecord } from '../../catalog/index.js';
import { isCairnError } from '../../errors/index.js';
import type { Policy } from '../../policy/index.js';
import { mapLimit } from '../../repo/index.js';
import type { ProgressSink } from '../progress.js';
import { restoreSnapshot } from '../restore.js';
import type { Session } from '../session.js';
import { itemSla, stateTime } from './measure.js';
import { type RestoredState, recordRestored } from './restored-files.js';
import type { Sandbox } from './sandbox.js';

export type ItemOutcome = DrillResult['items'][number];

/** Items restored at once: configuration items are small, so this mostly overlaps storage reads. */
const RESTORE_CONCURRENCY = 4;

/**
 * Restores each item's newest complete snapshot into `<sandbox>/<item>/` with the restore service
 * (every file's SHA-256 checked), a few items at a time; the outcomes are in plan order. An item that
 * cannot be restored is a `restore-failed` gap; the others go on. No further item starts once
 * `signal` is aborted (one being restored finishes). With `recordState`, each restored item's files are
 * recorded as the restore left them (restored-files.ts), for the `baseline` validators.
 */
export async function restoreItems(
  session: Session,
  policy: Policy,
  o: {
    items: readonly string[];
    sandbox: Sandbox;
    startedAt: Date;
    signal: AbortSignal;
    progress: ProgressSink;
    recordState?: boolean;
  },
): Promise<{ items: ItemOutcome[]; gaps: DrillGapFound[]; states: Map<string, RestoredState> }> {
  const latest = await session.catalog.gate.latestComplete(o.items);
  // The index is loaded once for all items (restoreSnapshot would otherwise race to load it).
  if (latest.size > 0) await session.repo.loadIndex();
  const outcomes = await mapLimit(o.items, RESTORE_CONCURRENCY, async (item) => {
    if (o.signal.aborted) return undefined;
    return restoreOne(session, policy, item, latest.get(item), o);
  });
  const items: ItemOutcome[] = [];
  const gaps: DrillGapFound[] = [];
  const states = new Map<string, RestoredState>();
  for (const r of outcomes) {
    if (!r) continue;
    items.push(r.outcome);
    if (r.gap) gaps.push(r.gap);
    if (r.state) states.set(r.outcome.item, r.state);
  }
  return { items, gaps, states };
}

async function restoreOne(
  session: Session,
  policy: Policy,
  item: string,
  snapshot: SnapshotRecord | undefined,
  o: { sandbox: Sandbox; startedAt: Date; progress: ProgressSink; recordState?: boolean },
): Promise<{ outcome: ItemOutcome; gap?: DrillGapFound; state?: RestoredState }> {
  const sla = itemSla(policy, item);
  const base = { item, tier: sla.tier, rpoSlaMs: sla.rpoSlaMs, rtoSlaMs: sla.rtoSlaMs };
  if (!snapshot) {
    const error = `no complete snapshot of ${item} in the catalog: nothing to restore (take one with \`cairn snapshot --item ${item}\`)`;
    const outcome = {
      ...base,
      snapshotId: null,
      stateAt: null,
      rpoMs: null,
      restoreMs: 0,
      files: 0,
      bytes: 0,
      ok: false,
      error,
    };
    return { outcome, gap: { item, category: 'restore-failed', key: 'no-snapshot', message: error } };
  }
  const stateAt = stateTime(snapshot, await session.catalog.verificationsOf(snapshot.id));
  const rpoMs = Math.max(0, o.startedAt.getTime() - Date.parse(stateAt));
  const found = { ...base, snapshotId: snapshot.id, stateAt, rpoMs };
  const t0 = performance.now();
  try {
    const r = await restoreSnapshot(session.repo, snapshot, { target: o.sandbox.itemDir(item) }, o.progress);
    const restoreMs = Math.round(performance.now() - t0);
    if (r.failed.length === 0) {
      const outcome = { ...found, restoreMs, files: r.files, bytes: r.bytes, ok: true };
      if (!o.recordState) return { outcome };
      // Not recorded (unreadable): the baseline reads the files instead.
      const state = await recordRestored(session.repo, snapshot.tree, o.sandbox.itemDir(item)).catch(() => undefined);
      return state ? { outcome, state } : { outcome };
    }
    const shown = r.failed
      .slice(0, 3)
      .map((f) => `${f.path}: ${f.message}`)
      .join('; ');
    const error = `${r.failed.length} of ${r.files} file${r.files === 1 ? '' : 's'} of snapshot ${snapshot.id.slice(0, 12)} could not be restored: ${shown}`;
    return {
      outcome: { ...found, restoreMs, files: r.files, bytes: r.bytes, ok: false, error },
      gap: { item, category: 'restore-failed', key: 'restore', message: error },
    };
  } catch (err) {
    if (!isCairnError(err)) throw err;
    const error = `snapshot ${snapshot.id.slice(0, 12)} could not be restored: ${err.message}`;
    const restoreMs = Math.round(performance.now() - t0);
    return {
      outcome: { ...found, restoreMs, files: 0, bytes: 0, ok: false, error },
      gap: { item, category: 'restore-failed', key: 'restore', message: error },
    };
  }
}
