import { isCairnError } from '../errors/index.js';
import { mapLimit, type PackRecord, packIdOfKey, packKey, type Repository } from '../repo/index.js';
import type { ObjectInfo } from '../storage/index.js';
import { noProgress, type ProgressSink } from './progress.js';
import { flattenTree, reachableTrees } from './tree-walk.js';

export interface PruneRequest {
  readonly dryRun?: boolean;
  /** Repack a pack when more than this share of its bytes is unused (restic's --max-unused). */
  readonly maxUnused?: number;
  readonly now?: Date;
}

export interface PruneResult {
  readonly dryRun: boolean;
  readonly packsDeleted: number;
  readonly packsRepacked: number;
  readonly orphanPacks: number;
  readonly bytesFreed: number;
  readonly blobsKept: number;
  readonly indexesReplaced: number;
  /** Packs with unused data kept because they are locked (until retainUntil) or under legal hold. */
  readonly retained: ReadonlyArray<RetainedPack>;
}

export interface RetainedPack {
  readonly pack: string;
  readonly retainUntil?: string;
  readonly legalHold?: boolean;
}

interface Lock {
  readonly retainUntil?: Date | undefined;
  readonly legalHold?: boolean | undefined;
}

function lockOf(o: ObjectInfo): Lock {
  return { retainUntil: o.retainUntil, legalHold: o.legalHold };
}

interface Plan {
  readonly remove: PackRecord[];
  readonly repack: PackRecord[];
  readonly keep: PackRecord[];
  /** Pack ids in storage that no index names. */
  readonly orphans: string[];
  readonly retained: RetainedPack[];
  /** Whether this pack's copy of a blob is the one kept. */
  readonly live: (pack: string, blob: string) => boolean;
}

/**
 * Removes data no snapshot needs, under the exclusive lock. Crash-safe order (docs/FORMAT.md):
 * repacked blobs are written and indexed first, then one new index naming every surviving pack,
 * then the old index files go, and only then the packs. Packs under WORM retention or legal hold
 * stay, and prune never asks the storage to delete one (on S3 it asks for their locks first).
 */
export async function prune(
  repo: Repository,
  request: PruneRequest,
  progress: ProgressSink = noProgress,
): Promise<PruneResult> {
  const lock = await repo.lock(true, 'prune');
  try {
    return await pruneLocked(repo, request, progress);
  } finally {
    await lock.release();
  }
}

async function pruneLocked(repo: Repository, request: PruneRequest, progress: ProgressSink): Promise<PruneResult> {
  const now = (request.now ?? new Date()).getTime();
  const maxUnused = request.maxUnused ?? 0.5;
  // Repacked blobs come from packs no lock or hold covers: their new packs are written unlocked,
  // whatever the last snapshot of this (long-lived, in a server) repository set.
  repo.retainUntil = undefined;
  repo.lockMode = undefined;
  await repo.loadIndex();
  const used = new Set<string>();
  for (const id of await repo.listIds('snapshots')) {
    const s = await repo.loadSnapshot(id);
    await reachableTrees(repo, s.tree, used);
    for (const { entry } of await flattenTree(repo, s.tree)) for (const b of entry.blobs ?? []) used.add(b);
  }
  const stored = await repo.storage.list('packs/');
  const sizes = new Map(stored.map((o) => [packIdOfKey(o.key), o.size]));
  const locks = new Map<string, Lock>();
  if (repo.storage.listsRetention) for (const o of stored) locks.set(packIdOfKey(o.key), lockOf(o));
  // Where list() says nothing of locks (S3), the packs prune plans to delete or repack, and only those,
  // are asked one by one; a locked or held one is kept. Keeping one can move a blob's live copy into it
  // and make another pack a candidate, so plan again until every candidate's lock is known.
  let plan = planPrune(repo, used, sizes, locks, now, maxUnused);
  for (;;) {
    const unknown = [...plan.remove, ...plan.repack].map((p) => p.id).concat(plan.orphans);
    const ask = unknown.filter((id) => !locks.has(id));
    if (ask.length === 0) break;
    const infos = await mapLimit(ask, 8, (id) => repo.storage.stat(packKey(id)));
    for (const [i, id] of ask.entries()) {
      const info = infos[i];
      locks.set(id, info ? lockOf(info) : {});
    }
    plan = planPrune(repo, used, sizes, locks, now, maxUnused);
  }
  const { remove, repack, keep, retained, live } = plan;
  const orphans = plan.orphans.map((id) => ({ key: packKey(id), size: sizes.get(id)! }));
  const bytesFreed =
    remove.reduce((n, p) => n + p.size, 0) +
    repack.reduce((n, p) => n + p.size, 0) +
    orphans.reduce((n, o) => n + o.size, 0);
  const base = {
    packsDeleted: remove.length,
    packsRepacked: repack.length,
    orphanPacks: orphans.length,
    blobsKept: used.size,
    retained,
  };
  if (request.dryRun) return { ...base, dryRun: true, bytesFreed, indexesReplaced: 0 };

  // 1. Live blobs of sparse packs move to new packs (written and indexed by flush).
  let moved = 0;
  for (const pack of repack) {
    for (const seg of pack.segments) {
      const plain = await repo.readSegment(pack.id, seg, false);
      for (const [id, type, off, len] of seg.blobs) {
        if (live(pack.id, id)) await repo.rewriteBlob(type, plain.subarray(off, off + len), id);
      }
    }
    progress({ phase: 'prune', files: ++moved, totalFiles: repack.length, bytes: 0 });
  }
  const oldIndexes = [...repo.index.files];
  const { packs: fresh } = await repo.flush();
  // 2. One index naming every surviving pack, then 3. the old index files go.
  const newIndex = await repo.writeIndex([...keep, ...fresh]);
  const replaced = [...oldIndexes, ...repo.index.files].filter((k) => k !== newIndex);
  for (const key of new Set(replaced)) await deleteIfPresent(repo, key);
  // 4. Packs last: a crash before here leaves only unindexed packs, which the next prune removes.
  await mapLimit(
    [...remove.map((p) => packKey(p.id)), ...repack.map((p) => packKey(p.id)), ...orphans.map((o) => o.key)],
    4,
    (key) => deleteIfPresent(repo, key),
  );
  return { ...base, dryRun: false, bytesFreed, indexesReplaced: new Set(replaced).size };
}

/** Sorts indexed packs into remove, repack and keep, and finds orphans, given what is known of locks. */
function planPrune(
  repo: Repository,
  used: ReadonlySet<string>,
  sizes: ReadonlyMap<string, number>,
  locks: ReadonlyMap<string, Lock>,
  now: number,
  maxUnused: number,
): Plan {
  const isRetained = (id: string) => {
    const lock = locks.get(id);
    return lock !== undefined && (lock.legalHold === true || (lock.retainUntil?.getTime() ?? 0) > now);
  };
  const retained: RetainedPack[] = [];
  const remove: PackRecord[] = [];
  const repack: PackRecord[] = [];
  const keep: PackRecord[] = [];
  // Indexed but gone from storage: dropped from the new index.
  const present = [...repo.index.packs.values()].filter((p) => sizes.has(p.id));
  // A blob in several packs (an interrupted prune repacked it, then ran again) is live in one of them
  // only: a retained pack's copy if any, else that of the most used pack; other copies are unused.
  const share = (p: PackRecord) => {
    let usedBytes = 0;
    let total = 0;
    for (const seg of p.segments) {
      for (const [id, , , len] of seg.blobs) {
        total += len;
        if (used.has(id)) usedBytes += len;
      }
    }
    return total === 0 ? 0 : usedBytes / total;
  };
  const shares = new Map(present.map((p) => [p.id, share(p)]));
  present.sort((a, b) => Number(isRetained(b.id)) - Number(isRetained(a.id)) || shares.get(b.id)! - shares.get(a.id)!);
  const home = new Map<string, string>(); // live blob -> the pack whose copy is kept
  for (const p of present)
    for (const seg of p.segments) for (const [id] of seg.blobs) if (used.has(id) && !home.has(id)) home.set(id, p.id);
  const live = (pack: string, blob: string) => home.get(blob) === pack;
  for (const pack of present) {
    let usedBytes = 0;
    let total = 0;
    for (const seg of pack.segments) {
      for (const [id, , , len] of seg.blobs) {
        total += len;
        if (live(pack.id, id)) usedBytes += len;
      }
    }
    const unused = total === 0 ? 1 : 1 - usedBytes / total;
    if (unused === 0 || isRetained(pack.id)) {
      if (unused > 0) retained.push(describeLock(pack.id, locks.get(pack.id)!, now));
      keep.push(pack);
    } else if (usedBytes === 0) remove.push(pack);
    else if (unused > maxUnused) repack.push(pack);
    else keep.push(pack);
  }
  const orphans = [...sizes.keys()].filter((id) => !repo.index.packs.has(id) && !isRetained(id));
  for (const id of sizes.keys()) {
    if (!repo.index.packs.has(id) && isRetained(id)) retained.push(describeLock(id, locks.get(id)!, now));
  }
  return { remove, repack, keep, orphans, retained, live };
}

function describeLock(pack: string, lock: Lock, now: number): RetainedPack {
  const until = lock.retainUntil && lock.retainUntil.getTime() > now ? lock.retainUntil.toISOString() : undefined;
  return { pack, ...(until ? { retainUntil: until } : {}), ...(lock.legalHold ? { legalHold: true } : {}) };
}

async function deleteIfPresent(repo: Repository, key: string): Promise<void> {
  try {
    await repo.storage.delete(key);
  } catch (err) {
    if (!isCairnError(err, 'CAIRN_E_NOT_FOUND')) throw err;
  }
}
