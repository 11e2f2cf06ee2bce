import type { LockMode } from '../policy/index.js';
import { mapLimit, packKey, type Repository } from '../repo/index.js';
import { NeededPacks } from './worm.js';

/**
 * WORM covers what a snapshot needs, not only what it wrote: packs reused through deduplication
 * (written earlier, by another item or a shorter-lived tier) get their retention extended to the
 * new snapshot's and their mode raised to its tier's — never shortened, never lowered. Runs before
 * the snapshot object is written, so a committed snapshot is never less protected than its tier says.
 * `alsoKeys`: other objects the new record leans on (a verification's snapshot object). `written`: packs
 * this snapshot has just written with exactly this lock, which need no look (S3: no HEAD each).
 */
export async function protectPacks(
  repo: Repository,
  rootTree: string,
  fileBlobs: Iterable<string>,
  until: Date,
  mode: LockMode = 'governance',
  alsoKeys: readonly string[] = [],
  written: readonly string[] = [],
): Promise<number> {
  // A date already past (a retention class of 0d) protects nothing; S3 would refuse it.
  if (until.getTime() <= Date.now()) return 0;
  const keys = await new NeededPacks(repo).ofTree(rootTree, fileBlobs);
  for (const k of alsoKeys) keys.add(k);
  for (const id of written) keys.delete(packKey(id));
  let extended = 0;
  // Independent objects: looked at (and extended) several at a time, as a round trip each on S3.
  await mapLimit([...keys], 8, async (key) => {
    const info = await repo.storage.stat(key);
    if (!info) return;
    const shorter = !info.retainUntil || info.retainUntil.getTime() < until.getTime();
    const weaker = mode === 'compliance' && info.mode !== 'compliance';
    if (shorter || weaker) {
      await repo.storage.extendRetention(key, until, mode);
      extended++;
    }
  });
  return extended;
}
