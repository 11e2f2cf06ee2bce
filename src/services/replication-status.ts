import type { Catalog } from '../catalog/index.js';
import type { Policy } from '../policy/index.js';
import type { Repository } from '../repo/index.js';
import type { Storage } from '../storage/index.js';
import { replicaConfig } from './replica-identity.js';

export interface ItemLag {
  readonly item: string;
  readonly tier: string | null;
  /** The item's tier has `replicate: true`: it should never be behind for long. */
  readonly replicate: boolean;
  readonly snapshots: number;
  readonly replicated: number;
  /** Snapshots of the item the replica does not have. */
  readonly behind: number;
  readonly newest: string | null;
  readonly newestReplicated: string | null;
  /** The oldest snapshot the replica lacks, and how long ago it was taken (0 when none is missing). */
  readonly oldestMissing: string | null;
  readonly lagMs: number;
}

export interface ReplicationStatus {
  readonly from: string;
  readonly to: string;
  readonly items: readonly ItemLag[];
  readonly behind: number;
  /** Items whose tier replicates after every snapshot and that are behind: `--status` exits 1 for them. */
  readonly late: readonly string[];
}

/**
 * `cairn replicate --status`: per item, how many snapshots the replica lacks and since when, from
 * the primary's catalog and one listing of the replica's snapshots/ (nothing is opened there).
 */
export async function replicationStatus(
  repo: Repository,
  catalog: Catalog,
  policy: Policy | undefined,
  to: Storage,
  now: Date = new Date(),
): Promise<ReplicationStatus> {
  await replicaConfig(repo.storage, to);
  const replicated = new Set((await to.list('snapshots/')).map((o) => o.key.slice('snapshots/'.length)));
  const byItem = new Map<string, Array<{ id: string; time: string; tier: string | null }>>();
  for (const i of policy?.items ?? []) byItem.set(i.name, []);
  for (const s of await catalog.findSnapshots({})) {
    const list = byItem.get(s.item) ?? [];
    list.push({ id: s.id, time: s.time, tier: s.tier });
    byItem.set(s.item, list);
  }
  const items: ItemLag[] = [];
  for (const [item, snapshots] of [...byItem].sort(([a], [b]) => a.localeCompare(b))) {
    snapshots.sort((a, b) => a.time.localeCompare(b.time));
    const tier = policy?.items.find((i) => i.name === item)?.tier ?? snapshots.at(-1)?.tier ?? null;
    const missing = snapshots.filter((s) => !replicated.has(s.id));
    const there = snapshots.filter((s) => replicated.has(s.id));
    const oldestMissing = missing[0]?.time ?? null;
    items.push({
      item,
      tier,
      replicate: tier !== null && policy?.tiers[tier]?.replicate === true,
      snapshots: snapshots.length,
      replicated: there.length,
      behind: missing.length,
      newest: snapshots.at(-1)?.time ?? null,
      newestReplicated: there.at(-1)?.time ?? null,
      oldestMissing,
      lagMs: oldestMissing ? Math.max(0, now.getTime() - Date.parse(oldestMissing)) : 0,
    });
  }
  return {
    from: repo.storage.location,
    to: to.location,
    items,
    behind: items.reduce((n, i) => n + i.behind, 0),
    late: items.filter((i) => i.replicate && i.behind > 0).map((i) => i.item),
  };
}
