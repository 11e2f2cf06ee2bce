import type { CairnError } from '../errors/index.js';
import type { BlobLocation, SegmentRecord } from '../repo/index.js';

/**
 * How a restore reads packs: the files to write are cut into batches of consecutive segments, and
 * each batch is read with one `readSegments` per pack, so a pack costs a few large ranged reads
 * instead of one request per segment. What a batch holds is what restore keeps in memory.
 */

/** Plaintext one batch may hold; restore reads the next batch while it writes one, so twice this at most. */
export const BATCH_PLAIN_BYTES = 32 * 1024 * 1024;

/** Something restore writes from the blobs at `locs` (a segment's small files, or one large file). */
export interface ReadUnit<T> {
  readonly item: T;
  readonly locs: readonly BlobLocation[];
}

/** The read restore needs from the repository. */
export interface SegmentSource {
  readSegments(pack: string, segs: readonly SegmentRecord[]): Promise<Array<Buffer | CairnError>>;
}

/** Each segment's plaintext, or why it could not be read; keyed by segmentKey. */
export type SegmentsRead = ReadonlyMap<string, Buffer | CairnError>;

export function segmentKey(pack: string, seg: SegmentRecord): string {
  return `${pack}:${seg.off}`;
}

/**
 * Units in pack order (by their first blob), cut into batches of at most `budget` bytes of segment
 * plaintext; a unit bigger than that is a batch of its own. A segment two units share counts once.
 */
export function batchUnits<T>(units: readonly ReadUnit<T>[], budget = BATCH_PLAIN_BYTES): ReadUnit<T>[][] {
  const sorted = [...units].sort((a, b) => compareLoc(a.locs[0], b.locs[0]));
  const batches: ReadUnit<T>[][] = [];
  let batch: ReadUnit<T>[] = [];
  let seen = new Set<string>();
  let bytes = 0;
  for (const unit of sorted) {
    let add = unseenBytes(unit, seen);
    if (batch.length > 0 && bytes + add > budget) {
      batches.push(batch);
      batch = [];
      seen = new Set();
      bytes = 0;
      add = unseenBytes(unit, seen);
    }
    batch.push(unit);
    bytes += add;
    for (const l of unit.locs) seen.add(segmentKey(l.pack, l.segment));
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** Reads every segment a batch needs: one readSegments per pack, each segment once. */
export async function readBatch<T>(repo: SegmentSource, batch: readonly ReadUnit<T>[]): Promise<SegmentsRead> {
  const byPack = new Map<string, Map<number, SegmentRecord>>();
  for (const unit of batch) {
    for (const l of unit.locs) {
      const segs = byPack.get(l.pack) ?? new Map<number, SegmentRecord>();
      segs.set(l.segment.off, l.segment);
      byPack.set(l.pack, segs);
    }
  }
  const out = new Map<string, Buffer | CairnError>();
  for (const [pack, segMap] of byPack) {
    const segs = [...segMap.values()];
    const got = await repo.readSegments(pack, segs);
    for (const [i, seg] of segs.entries()) out.set(segmentKey(pack, seg), got[i]!);
  }
  return out;
}

function unseenBytes<T>(unit: ReadUnit<T>, seen: ReadonlySet<string>): number {
  const raw = new Map<string, number>();
  for (const l of unit.locs) {
    const k = segmentKey(l.pack, l.segment);
    if (!seen.has(k)) raw.set(k, l.segment.raw);
  }
  let n = 0;
  for (const r of raw.values()) n += r;
  return n;
}

function compareLoc(a: BlobLocation | undefined, b: BlobLocation | undefined): number {
  if (!a || !b) return a ? 1 : b ? -1 : 0;
  return a.pack < b.pack ? -1 : a.pack > b.pack ? 1 : a.segment.off - b.segment.off;
}
