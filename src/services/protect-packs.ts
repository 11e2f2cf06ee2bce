import type { ObjectLocks, RecordedLock } from '../catalog/index.js';
import { isCairnError } from '../errors/index.js';
import type { LockMode } from '../policy/index.js';
import { mapLimit, packKey, type Repository } from '../repo/index.js';
import { strongerMode } from './worm.js';

export interface ProtectOptions {
  /** Other objects the new record leans on (a verification's snapshot object). */
  readonly alsoKeys?: readonly string[];
  /** Packs this snapshot has just written with exactly this lock: they need no look (S3: no HEAD each). */
  readonly written?: readonly string[];
  /**
   * The catalog's record of locks (a lower bound of the storage's): a pack it shows covered is not
   * asked about; one it shows locked but too short is extended without a look first; what is set or
   * seen here is recorded.
   */
  readonly locks?: ObjectLocks;
}

/**
 * WORM covers what a snapshot needs, not only what it wrote: packs reused through deduplication
 * (written earlier, by another item or a shorter-lived tier) get their retention extended to the
 * new snapshot's and their mode raised to its tier's — never shortened, never lowered. Runs before
 * the snapshot object is written, so a committed snapshot is never less protected than its tier says.
 * `packs`: the pack keys the snapshot needs (NeededPacks). Returns how many objects were extended.
 */
export async function protectPacks(
  repo: Repository,
  packs: Iterable<string>,
  until: Date,
  mode: LockMode = 'governance',
  opts: ProtectOptions = {},
): Promise<number> {
  // A date already past (a retention class of 0d) protects nothing; S3 would refuse it.
  if (until.getTime() <= Date.now()) return 0;
  const keys = new Set(packs);
  for (const k of opts.alsoKeys ?? []) keys.add(k);
  const fresh = (opts.written ?? []).map(packKey);
  for (const k of fresh) keys.delete(k);
  const location = repo.storage.location;
  // Servers keep retain-until dates to the second: what is recorded never claims more than that.
  const held = new Date(Math.floor(until.getTime() / 1000) * 1000);
  const recorded = opts.locks ? await opts.locks.get(location, [...keys]) : new Map<string, RecordedLock>();
  const learned: Array<{ key: string; retainUntil: Date; mode: LockMode }> = fresh.map((key) => ({
    key,
    retainUntil: held,
    mode,
  }));
  let extended = 0;
  // Independent objects: looked at (and extended) several at a time, as a round trip each on S3.
  await mapLimit([...keys], 8, async (key) => {
    const known = recorded.get(key);
    if (known && covers(known, held, mode)) return;
    if (known && known.retainUntil.getTime() > Date.now()) {
      // Locked, so still there (locks only grow): extend without a look; the storage never shortens.
      try {
        await repo.storage.extendRetention(key, until, mode);
      } catch (err) {
        if (isCairnError(err, 'CAIRN_E_NOT_FOUND')) return;
        throw err;
      }
      extended++;
      learned.push({ key, retainUntil: held, mode: strongerMode(mode, known.mode) ?? mode });
      return;
    }
    const info = await repo.storage.stat(key);
    if (!info) return;
    const shorter = !info.retainUntil || info.retainUntil.getTime() < until.getTime();
    const weaker = mode === 'compliance' && info.mode !== 'compliance';
    if (shorter || weaker) {
      await repo.storage.extendRetention(key, until, mode);
      extended++;
      learned.push({ key, retainUntil: held, mode: strongerMode(mode, info.mode) ?? mode });
    } else if (info.retainUntil) {
      learned.push({ key, retainUntil: info.retainUntil, mode: info.mode ?? 'governance' });
    }
  });
  if (opts.locks && learned.length > 0) await opts.locks.raise(location, learned);
  return extended;
}

/** The recorded lock already holds until `until` (to the second) in `mode` or stronger. */
function covers(known: RecordedLock, until: Date, mode: LockMode): boolean {
  return known.retainUntil.getTime() >= until.getTime() && (mode !== 'compliance' || known.mode === 'compliance');
}
