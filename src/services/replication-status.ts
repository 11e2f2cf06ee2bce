import type { Catalog } from '../catalog/index.js';
import type { Policy } from '../policy/index.js';
import type { Repository } from '../repo/index.js';
import type { ObjectInfo, Storage } from '../storage/index.js';
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
 * one listing of the replica's snapshots/ (nothing is opened there) compared with the primary's
 * catalog by the database: only a line per item comes back, whatever the number of snapshots.
 */
export async function replicationStatus(
  repo: Repository,
  catalog: Catalog,
  policy: Policy | undefined,
  to: Storage,
  now: Date = new Date(),
): Promise<ReplicationStatus> {
  await replicaConfig(repo.storage, to);
  const listed = await to.list('snapshots/');
  const figures = new Map((await catalog.replication.compare(idsOf(listed))).map((f) => [f.item, f]));
  const names = new Set([...(policy?.items ?? []).map((i) => i.name), ...figures.keys()]);
  const items: ItemLag[] = [];
  for (const item of [...names].sort((a, b) => a.localeCompare(b))) {
    const f = figures.get(item);
    const tier =
      policy?.items.find((i) => i.name === item)?.tier ??
      (f ? ((await catalog.latestSnapshot(item))?.tier ?? null) : null);
    const oldestMissing = f?.oldestMissing ?? null;
    items.push({
      item,
      tier,
      replicate: tier !== null && policy?.tiers[tier]?.replicate === true,
      snapshots: f?.snapshots ?? 0,
      replicated: f?.replicated ?? 0,
      behind: f ? f.snapshots - f.replicated : 0,
      newest: f?.newest ?? null,
      newestReplicated: f?.newestReplicated ?? null,
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

/** The snapshot ids of a listing of snapshots/, made one at a time as the catalog reads them. */
function* idsOf(listed: readonly ObjectInfo[]): Generator<string> {
  for (const o of listed) yield o.key.slice('snapshots/'.length);
}
