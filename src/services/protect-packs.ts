import type { Repository } from '../repo/index.js';
import { packKey } from '../repo/index.js';
import { reachableTrees } from './tree-walk.js';

/**
 * WORM covers what a snapshot needs, not only what it wrote: packs reused through deduplication
 * (written earlier, by another item or a shorter-lived tier) get their retention extended to the
 * new snapshot's — never shortened. Runs before the snapshot object is written, so a committed
 * snapshot is never less protected than its tier says.
 */
export async function protectPacks(
  repo: Repository,
  rootTree: string,
  fileBlobs: Iterable<string>,
  until: Date,
): Promise<number> {
  const blobs = new Set<string>();
  await reachableTrees(repo, rootTree, blobs);
  for (const b of fileBlobs) blobs.add(b);
  const packs = new Set<string>();
  for (const b of blobs) {
    const loc = repo.index.find(b);
    if (loc) packs.add(loc.pack);
  }
  let extended = 0;
  for (const pack of packs) {
    const key = packKey(pack);
    const info = await repo.storage.stat(key);
    if (!info) continue;
    if (!info.retainUntil || info.retainUntil.getTime() < until.getTime()) {
      await repo.storage.extendRetention(key, until);
      extended++;
    }
  }
  return extended;
}
