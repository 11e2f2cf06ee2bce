import type { LockMode, Policy } from '../policy/index.js';
import { packKey, type Repository } from '../repo/index.js';

/**
 * What WORM a tier asks for, and which objects a snapshot needs. Shared by snapshot (writes the
 * locks), hold (sets legal holds), prune (keeps what is locked) and check --locks (verifies them).
 */

/** The tier's lock mode: its lock's; governance for a retention class without a lock; none without either. */
export function tierLockMode(policy: Policy, tierName: string | null | undefined): LockMode | undefined {
  const tier = tierName === null || tierName === undefined ? undefined : policy.tiers[tierName];
  if (!tier) return undefined;
  return tier.lock?.mode ?? (tier.retentionClass !== undefined ? 'governance' : undefined);
}

/** compliance > governance > none. */
export function strongerMode(a: LockMode | undefined, b: LockMode | undefined): LockMode | undefined {
  return a === 'compliance' || b === 'compliance' ? 'compliance' : (a ?? b);
}

/**
 * Pack keys holding a blob of the tree (trees and file blobs), memoised per tree id: snapshots of
 * one item share most subtrees, so walking every snapshot costs about one walk of what differs.
 */
export class NeededPacks {
  private readonly memo = new Map<string, ReadonlySet<string>>();

  constructor(private readonly repo: Repository) {}

  async ofTree(treeId: string, extraBlobs: Iterable<string> = []): Promise<Set<string>> {
    const out = new Set(await this.visit(treeId));
    for (const b of extraBlobs) this.add(out, b);
    return out;
  }

  /** The packs of these blobs (trees included), from the index alone: no tree is read. */
  ofBlobs(blobs: Iterable<string>): Set<string> {
    const out = new Set<string>();
    for (const b of blobs) this.add(out, b);
    return out;
  }

  private async visit(treeId: string): Promise<ReadonlySet<string>> {
    const known = this.memo.get(treeId);
    if (known) return known;
    const out = new Set<string>();
    this.add(out, treeId);
    const tree = await this.repo.loadTree(treeId);
    for (const e of tree.entries) {
      for (const b of e.blobs ?? []) this.add(out, b);
      if (e.type === 'dir' && e.tree) for (const k of await this.visit(e.tree)) out.add(k);
    }
    this.memo.set(treeId, out);
    return out;
  }

  private add(into: Set<string>, blob: string): void {
    const loc = this.repo.index.find(blob);
    if (loc) into.add(packKey(loc.pack));
  }
}
