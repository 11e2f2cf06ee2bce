import { isCairnError } from '../errors/index.js';
import { type PackRecord, packIdOfKey, type Tree } from '../repo/index.js';

/**
 * Which items' snapshots need which stored bytes. Every byte of every pack is given to exactly one
 * blob: a blob gets its share of its segment's sealed length (segments are compressed and sealed as
 * a whole, so a blob has no stored length of its own), by plaintext length, and its share of the
 * pack's header and trailer, by that. Rounding is cumulative, so a pack's shares add up to its size
 * and the figures add up to the repository's pack bytes (docs/STATS.md).
 */

/** The few things the attribution needs of a Repository. */
export interface StoredSource {
  loadIndex(): Promise<void>;
  readonly index: {
    readonly packs: ReadonlyMap<string, PackRecord>;
    /** Where the copy that reads use lives: only that copy counts as needed. */
    find(id: string): { readonly pack: string } | undefined;
  };
  loadTree(id: string): Promise<Tree>;
  readonly storage: { list(prefix: string): Promise<ReadonlyArray<{ readonly key: string; readonly size: number }>> };
}

export interface StoredShare {
  /** Bytes of blobs only this item needs. */
  unique: number;
  /** Bytes of blobs it needs together with another item: counted in each of them. */
  shared: number;
}

export interface RepositoryBytes {
  readonly packs: number;
  /** Σ of the pack objects' sizes in storage: the four parts below add up to it. */
  readonly packBytes: number;
  readonly uniqueToItems: number;
  readonly sharedBetweenItems: number;
  /** In indexed packs but needed by no snapshot (or a second copy): `prune` frees it, unless retained. */
  readonly unreferenced: number;
  /** Packs no index file names (an interrupted write): `prune` deletes them. */
  readonly unindexed: number;
  /** Indexed packs that storage does not have (`cairn check` names them); not in packBytes. */
  readonly missingPacks: number;
  /** Blobs or trees snapshots name that the index lacks or that cannot be read (`cairn check`). */
  readonly missingBlobs: number;
}

export interface StoredFigures {
  readonly items: ReadonlyMap<string, StoredShare>;
  readonly repository: RepositoryBytes;
  /** Bytes of blobs that any of these items needs together with another item, each counted once. */
  sharedAmong(items: ReadonlySet<string>): number;
}

/** A blob's needers: one item's index, or several (in walk order, no repeats). */
type Owners = number | number[];

/** Walks every root tree of every item (`rootsOf`), then shares out the pack bytes. */
export async function storedFigures(
  repo: StoredSource,
  items: readonly string[],
  rootsOf: (item: string) => Promise<readonly string[]>,
  onItem: (item: string, done: number) => void = () => undefined,
): Promise<StoredFigures> {
  await repo.loadIndex();
  const owners = new Map<string, Owners>();
  const missing = new Set<string>();
  for (const [i, item] of items.entries()) {
    await walkItem(repo, i, await rootsOf(item), owners, missing);
    onItem(item, i + 1);
  }
  return shareOut(repo, items, owners, missing, await repo.storage.list('packs/'));
}

async function walkItem(
  repo: StoredSource,
  owner: number,
  roots: readonly string[],
  owners: Map<string, Owners>,
  missing: Set<string>,
): Promise<void> {
  const need = (blob: string) => {
    const current = owners.get(blob);
    if (current === undefined) owners.set(blob, owner);
    else if (typeof current === 'number') {
      if (current !== owner) owners.set(blob, [current, owner]);
    } else if (current[current.length - 1] !== owner) current.push(owner);
    if (!repo.index.find(blob)) missing.add(blob);
  };
  const seen = new Set<string>();
  const visit = async (treeId: string): Promise<void> => {
    if (seen.has(treeId)) return;
    seen.add(treeId);
    need(treeId);
    let tree: Tree;
    try {
      tree = await repo.loadTree(treeId);
    } catch (err) {
      // A damaged repository still gets its figures; `cairn check` says what is wrong.
      if (isCairnError(err, 'CAIRN_E_INTEGRITY') || isCairnError(err, 'CAIRN_E_REPO_FORMAT')) {
        missing.add(treeId);
        return;
      }
      throw err;
    }
    for (const entry of tree.entries) {
      for (const blob of entry.blobs ?? []) need(blob);
      if (entry.type === 'dir' && entry.tree) await visit(entry.tree);
    }
  };
  for (const root of roots) await visit(root);
}

function shareOut(
  repo: StoredSource,
  items: readonly string[],
  owners: ReadonlyMap<string, Owners>,
  missing: ReadonlySet<string>,
  listed: ReadonlyArray<{ readonly key: string; readonly size: number }>,
): StoredFigures {
  const byItem = items.map(() => ({ unique: 0, shared: 0 }));
  const sharedBlobs: Array<{ owners: number[]; bytes: number }> = [];
  let uniqueToItems = 0;
  let sharedBetweenItems = 0;
  let unreferenced = 0;
  let missingPacks = 0;
  let packs = 0;
  const present = new Map(listed.map((o) => [packIdOfKey(o.key), o.size]));

  for (const pack of repo.index.packs.values()) {
    if (!present.has(pack.id)) {
      missingPacks++;
      continue;
    }
    packs++;
    const shares = blobShares(pack);
    unreferenced += shares.unassigned;
    for (const [blob, bytes] of shares.blobs) {
      const o = repo.index.find(blob)?.pack === pack.id ? owners.get(blob) : undefined;
      if (o === undefined) unreferenced += bytes;
      else if (typeof o === 'number') {
        uniqueToItems += bytes;
        byItem[o]!.unique += bytes;
      } else {
        sharedBetweenItems += bytes;
        sharedBlobs.push({ owners: o, bytes });
        for (const i of o) byItem[i]!.shared += bytes;
      }
    }
  }
  const indexed = new Set(repo.index.packs.keys());
  const unindexedPacks = listed.filter((o) => !indexed.has(packIdOfKey(o.key)));
  return {
    items: new Map(items.map((item, i) => [item, byItem[i]!])),
    repository: {
      packs: packs + unindexedPacks.length,
      packBytes: listed.reduce((n, o) => n + o.size, 0),
      uniqueToItems,
      sharedBetweenItems,
      unreferenced,
      unindexed: unindexedPacks.reduce((n, o) => n + o.size, 0),
      missingPacks,
      missingBlobs: missing.size,
    },
    sharedAmong(selected) {
      const wanted = new Set(items.flatMap((item, i) => (selected.has(item) ? [i] : [])));
      return sharedBlobs.reduce((n, b) => (b.owners.some((i) => wanted.has(i)) ? n + b.bytes : n), 0);
    },
  };
}

/**
 * Every blob entry of a pack with its whole-byte share of the pack, in pack order. `unassigned` is
 * what no blob can take: a pack without segments, or a header that claims more than the pack holds.
 */
export function blobShares(pack: PackRecord): { blobs: Array<[string, number]>; unassigned: number } {
  const blobs: Array<[string, number]> = [];
  for (const seg of pack.segments) {
    const plain = seg.blobs.reduce((n, b) => n + b[3], 0);
    let cumulative = 0;
    let given = 0;
    for (const b of seg.blobs) {
      // By plaintext length; blobs of no length (empty files) share by count.
      cumulative += plain > 0 ? b[3] : 1;
      const upTo = mulDiv(seg.len, cumulative, plain > 0 ? plain : seg.blobs.length);
      blobs.push([b[0], upTo - given]);
      given = upTo;
    }
  }
  const sealed = blobs.reduce((n, [, bytes]) => n + bytes, 0);
  const overhead = pack.size - sealed;
  if (sealed === 0 || overhead < 0) return { blobs, unassigned: Math.max(0, pack.size - sealed) };
  let cumulative = 0;
  let given = 0;
  for (const entry of blobs) {
    cumulative += entry[1];
    const upTo = mulDiv(overhead, cumulative, sealed);
    entry[1] += upTo - given;
    given = upTo;
  }
  return { blobs, unassigned: 0 };
}

/** floor(a × b / c) exactly, for non-negative integers whose product may pass 2^53. */
function mulDiv(a: number, b: number, c: number): number {
  const product = a * b;
  if (Number.isSafeInteger(product)) return Math.floor(product / c);
  return Number((BigInt(a) * BigInt(b)) / BigInt(c));
}
