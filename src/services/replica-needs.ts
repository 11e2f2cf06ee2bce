import { CairnError } from '../errors/index.js';
import type { Repository } from '../repo/index.js';

/**
 * Which packs a snapshot needs on a replica before the snapshot may be copied there: the packs of
 * its trees and of its files' blobs, from the primary's index. A tree shared by many snapshots (the
 * usual case: most folders do not change) is read once per run.
 */
export class PackNeeds {
  readonly #trees = new Map<string, ReadonlySet<string>>();
  readonly #snapshots = new Map<string, ReadonlySet<string>>();

  constructor(private readonly repo: Repository) {}

  /**
   * Makes the in-memory index cover every index file listed now: the one a snapshot command loaded
   * misses index files other hosts wrote since.
   */
  async loadIndex(indexKeys: readonly string[]): Promise<void> {
    await this.repo.loadIndex();
    for (const key of indexKeys) {
      if (this.repo.index.files.has(key)) continue;
      for (const pack of await this.repo.readIndexFile(key)) this.repo.index.addPack(pack);
      this.repo.index.files.add(key);
    }
  }

  /** Packs the snapshot `id` needs; fails (CAIRN_E_INTEGRITY) when it cannot be read or names an unindexed blob. */
  async ofSnapshot(id: string): Promise<ReadonlySet<string>> {
    let packs = this.#snapshots.get(id);
    if (!packs) {
      const snapshot = await this.repo.loadSnapshot(id);
      packs = await this.#ofTree(snapshot.tree);
      this.#snapshots.set(id, packs);
    }
    return packs;
  }

  async #ofTree(treeId: string): Promise<ReadonlySet<string>> {
    const known = this.#trees.get(treeId);
    if (known) return known;
    const packs = new Set<string>([this.#packOf(treeId)]);
    const tree = await this.repo.loadTree(treeId);
    for (const entry of tree.entries) {
      for (const blob of entry.blobs ?? []) packs.add(this.#packOf(blob));
      if (entry.type === 'dir' && entry.tree) for (const p of await this.#ofTree(entry.tree)) packs.add(p);
    }
    this.#trees.set(treeId, packs);
    return packs;
  }

  #packOf(blob: string): string {
    const loc = this.repo.index.find(blob);
    if (!loc) {
      throw new CairnError('CAIRN_E_INTEGRITY', `blob ${blob.slice(0, 12)} is in no index file of the repository`, {
        blob,
      });
    }
    return loc.pack;
  }
}
