import { performance } from 'node:perf_hooks';
import type { DrillGapFound, DrillResult } from '../../catalog/index.js';
import { isCairnError } from '../../errors/index.js';
import type { Policy } from '../../policy/index.js';
import type { ProgressSink } from '../progress.js';
import { restoreSnapshot } from '../restore.js';
import type { Session } from '../session.js';
import { itemSla, stateTime } from './measure.js';
import type { Sandbox } from './sandbox.js';

export type ItemOutcome = DrillResult['items'][number];

/**
 * Restores each item's newest complete snapshot into `<sandbox>/<item>/` with the restore service
 * (every file's SHA-256 checked). An item that cannot be restored is a `restore-failed` gap; the
 * others go on. Stops between items when `signal` is aborted.
 */
export async function restoreItems(
  session: Session,
  policy: Policy,
  o: { items: readonly string[]; sandbox: Sandbox; startedAt: Date; signal: AbortSignal; progress: ProgressSink },
): Promise<{ items: ItemOutcome[]; gaps: DrillGapFound[] }> {
  const latest = await session.catalog.gate.latestComplete(o.items);
  const items: ItemOutcome[] = [];
  const gaps: DrillGapFound[] = [];
  for (const item of o.items) {
    if (o.signal.aborted) break;
    const sla = itemSla(policy, item);
    const base = { item, tier: sla.tier, rpoSlaMs: sla.rpoSlaMs, rtoSlaMs: sla.rtoSlaMs };
    const snapshot = latest.get(item);
    if (!snapshot) {
      const error = `no complete snapshot of ${item} in the catalog: nothing to restore`;
      items.push({
        ...base,
        snapshotId: null,
        stateAt: null,
        rpoMs: null,
        restoreMs: 0,
        files: 0,
        bytes: 0,
        ok: false,
        error,
      });
      gaps.push({ item, category: 'restore-failed', key: 'no-snapshot', message: error });
      continue;
    }
    const stateAt = stateTime(snapshot, await session.catalog.verificationsOf(snapshot.id));
    const rpoMs = Math.max(0, o.startedAt.getTime() - Date.parse(stateAt));
    const found = { ...base, snapshotId: snapshot.id, stateAt, rpoMs };
    const t0 = performance.now();
    try {
      const r = await restoreSnapshot(session.repo, snapshot, { target: o.sandbox.itemDir(item) }, o.progress);
      const restoreMs = Math.round(performance.now() - t0);
      if (r.failed.length > 0) {
        const shown = r.failed
          .slice(0, 3)
          .map((f) => `${f.path}: ${f.message}`)
          .join('; ');
        const error = `${r.failed.length} of ${r.files} files of snapshot ${snapshot.id.slice(0, 12)} could not be restored: ${shown}`;
        items.push({ ...found, restoreMs, files: r.files, bytes: r.bytes, ok: false, error });
        gaps.push({ item, category: 'restore-failed', key: 'restore', message: error });
      } else {
        items.push({ ...found, restoreMs, files: r.files, bytes: r.bytes, ok: true });
      }
    } catch (err) {
      if (!isCairnError(err)) throw err;
      const error = `snapshot ${snapshot.id.slice(0, 12)} could not be restored: ${err.message}`;
      const restoreMs = Math.round(performance.now() - t0);
      items.push({ ...found, restoreMs, files: 0, bytes: 0, ok: false, error });
      gaps.push({ item, category: 'restore-failed', key: 'restore', message: error });
    }
  }
  return { items, gaps };
}
