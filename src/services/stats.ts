import type { Catalog, DayFigures, ItemFigures } from '../catalog/index.js';
import { CairnError } from '../errors/index.js';
import type { Policy } from '../policy/index.js';
import { noProgress, type ProgressSink } from './progress.js';
import { daysBetween, growth, type Horizon, horizonOf, type Period } from './stats-projection.js';
import { type RepositoryBytes, type StoredSource, storedFigures } from './stats-stored.js';

/**
 * `cairn stats` (C2.6): per item and tier, logical size (catalog), stored size after dedup and
 * compression (repository index), churn per day (catalog) and the stored size projected under the
 * retention policy. The model and its inputs: docs/STATS.md.
 */

export interface StatsRequest {
  readonly policy?: Policy | undefined;
  /** Only these items (the figures of shared data still look at every item). */
  readonly items?: readonly string[] | undefined;
  readonly tier?: string | undefined;
  readonly projection: Period;
  readonly window: Period;
  readonly now?: Date | undefined;
}

export interface Churn {
  /** Stored bytes added by snapshots with a parent in the window, and snapshots taken in it. */
  readonly addedBytes: number;
  readonly snapshots: number;
  readonly bytesPerDay: number;
  readonly snapshotsPerDay: number;
}

export interface ItemStats {
  readonly item: string;
  readonly tier: string | null;
  readonly inPolicy: boolean;
  readonly snapshots: number;
  readonly oldest: string | null;
  readonly newest: string | null;
  readonly logical: { readonly latest: number; readonly retained: number };
  readonly stored: { readonly unique: number; readonly shared: number };
  /** `days`: the part of the window the item's history covers (at least one day). */
  readonly churn: Churn & { readonly days: number };
  readonly projection: Horizon & {
    readonly historyDays: number;
    readonly growthBytes: number;
    /** stored.unique + stored.shared + growthBytes */
    readonly storedBytes: number;
  };
}

export interface GroupStats {
  readonly snapshots: number;
  readonly logical: { readonly latest: number; readonly retained: number };
  readonly stored: { readonly unique: number; readonly shared: number };
  readonly churn: Churn;
  readonly projection: { readonly growthBytes: number; readonly storedBytes: number };
}

export interface TierStats extends GroupStats {
  readonly tier: string | null;
  readonly items: readonly string[];
}

export interface StatsReport {
  readonly time: string;
  readonly window: { readonly period: string; readonly days: number; readonly since: string };
  readonly projection: { readonly period: string; readonly days: number; readonly model: string };
  readonly items: readonly ItemStats[];
  readonly tiers: readonly TierStats[];
  /**
   * The selected items. Every group (tier, total) counts a blob its items share once: stored.unique is
   * the sum of its items', stored.shared the blobs its items need together with any other item.
   */
  readonly total: GroupStats & { readonly items: number };
  readonly repository: RepositoryBytes;
  /** Per UTC day of the window, for the selected items. */
  readonly days: readonly DayFigures[];
}

export const PROJECTION_MODEL =
  'storedBytes = stored.unique + stored.shared + bytesPerDay × (min(historyDays + days, horizonDays) − min(historyDays, horizonDays)); ' +
  'horizonDays = max(lockDays, keepDays), null = kept forever';

export async function repositoryStats(
  repo: StoredSource,
  catalog: Pick<Catalog, 'stats'>,
  request: StatsRequest,
  progress: ProgressSink = noProgress,
): Promise<StatsReport> {
  const now = request.now ?? new Date();
  const since = new Date(now.getTime() - request.window.days * 86_400_000).toISOString();
  const figures = new Map((await catalog.stats.itemFigures({ since })).map((f) => [f.item, f]));
  const policyItems = new Map((request.policy?.items ?? []).map((i) => [i.name, i]));
  const all = [...new Set([...policyItems.keys(), ...figures.keys()])].sort();
  const tierOf = (item: string) => policyItems.get(item)?.tier ?? figures.get(item)?.tier ?? null;
  const selected = select(all, tierOf, request);

  const walked = [...figures.keys()].sort();
  const stored = await storedFigures(
    repo,
    walked,
    (item) => catalog.stats.rootTrees(item),
    (item, done) => progress({ phase: 'stats', item, files: done, totalFiles: walked.length, bytes: 0 }),
  );
  const items = selected.map((item) =>
    itemStats(item, tierOf(item), policyItems.has(item), figures.get(item), stored.items.get(item), request, now),
  );
  const filtered = request.items !== undefined || request.tier !== undefined;
  const group = (members: readonly ItemStats[]) =>
    sum(members, {
      unique: members.reduce((n, i) => n + i.stored.unique, 0),
      shared: stored.sharedAmong(new Set(members.map((i) => i.item))),
    });
  return {
    time: now.toISOString(),
    window: { period: request.window.text, days: request.window.days, since },
    projection: { period: request.projection.text, days: request.projection.days, model: PROJECTION_MODEL },
    items,
    tiers: tierStats(items, group),
    total: { items: items.length, ...group(items) },
    repository: stored.repository,
    days: await catalog.stats.dailyFigures({ since, ...(filtered ? { items: selected } : {}) }),
  };
}

/** The items asked for; an item or tier nobody knows is a usage error, not an empty answer. */
function select(all: readonly string[], tierOf: (item: string) => string | null, request: StatsRequest): string[] {
  for (const name of request.items ?? []) {
    if (!all.includes(name)) {
      throw new CairnError(
        'CAIRN_E_USAGE',
        `--item ${JSON.stringify(name)}: no such item in the policy or the catalog` +
          (all.length > 0 ? ` (items: ${listed(all)})` : ' (there are no items yet)'),
        { item: name },
      );
    }
  }
  const { tier } = request;
  if (tier !== undefined) {
    const known = new Set([...Object.keys(request.policy?.tiers ?? {}), ...all.flatMap((i) => tierOf(i) ?? [])]);
    if (!known.has(tier)) {
      throw new CairnError(
        'CAIRN_E_USAGE',
        `--tier ${JSON.stringify(tier)}: no such tier in the policy or the catalog` +
          (known.size > 0 ? ` (tiers: ${listed([...known].sort())})` : ''),
        { tier },
      );
    }
  }
  return all.filter(
    (item) =>
      (request.items === undefined || request.items.includes(item)) && (tier === undefined || tierOf(item) === tier),
  );
}

/** A list for a message: the first twenty names, then how many more. */
function listed(names: readonly string[]): string {
  return names.length > 20 ? `${names.slice(0, 20).join(', ')} and ${names.length - 20} more` : names.join(', ');
}

function itemStats(
  item: string,
  tier: string | null,
  inPolicy: boolean,
  f: ItemFigures | undefined,
  stored: { unique: number; shared: number } | undefined,
  request: StatsRequest,
  now: Date,
): ItemStats {
  const historyDays = f ? Math.max(0, daysBetween(f.oldest, now)) : 0;
  // A young item's churn is averaged over the days it has existed, never less than one.
  const days = f ? Math.max(1, Math.min(request.window.days, historyDays)) : request.window.days;
  const churn = {
    days,
    addedBytes: f?.windowAddedBytes ?? 0,
    snapshots: f?.windowSnapshots ?? 0,
    bytesPerDay: (f?.windowAddedBytes ?? 0) / days,
    snapshotsPerDay: (f?.windowSnapshots ?? 0) / days,
  };
  const gapDays = churn.snapshots > 0 ? days / churn.snapshots : Number.POSITIVE_INFINITY;
  const horizon = horizonOf(inPolicy ? request.policy : undefined, tier, gapDays);
  const growthBytes = growth({
    churnBytesPerDay: churn.bytesPerDay,
    historyDays,
    periodDays: request.projection.days,
    horizonDays: horizon.horizonDays,
  });
  const unique = stored?.unique ?? 0;
  const shared = stored?.shared ?? 0;
  return {
    item,
    tier,
    inPolicy,
    snapshots: f?.snapshots ?? 0,
    oldest: f?.oldest ?? null,
    newest: f?.newest ?? null,
    logical: { latest: f?.latestBytes ?? 0, retained: f?.logicalBytes ?? 0 },
    stored: { unique, shared },
    churn,
    projection: { ...horizon, historyDays, growthBytes, storedBytes: unique + shared + growthBytes },
  };
}

function tierStats(items: readonly ItemStats[], group: (members: readonly ItemStats[]) => GroupStats): TierStats[] {
  const byTier = new Map<string | null, ItemStats[]>();
  for (const i of items) byTier.set(i.tier, [...(byTier.get(i.tier) ?? []), i]);
  return [...byTier.entries()]
    .sort(([a], [b]) => (a === null ? 1 : b === null ? -1 : a < b ? -1 : a > b ? 1 : 0))
    .map(([tier, members]) => ({
      tier,
      items: members.map((i) => i.item),
      ...group(members),
    }));
}

/** Figures of a group of items whose stored bytes are known as a whole (shared blobs counted once). */
function sum(items: readonly ItemStats[], stored: { unique: number; shared: number }): GroupStats {
  const add = (f: (i: ItemStats) => number) => items.reduce((n, i) => n + f(i), 0);
  const growthBytes = add((i) => i.projection.growthBytes);
  return {
    snapshots: add((i) => i.snapshots),
    logical: { latest: add((i) => i.logical.latest), retained: add((i) => i.logical.retained) },
    stored: { unique: stored.unique, shared: stored.shared },
    churn: {
      addedBytes: add((i) => i.churn.addedBytes),
      snapshots: add((i) => i.churn.snapshots),
      bytesPerDay: add((i) => i.churn.bytesPerDay),
      snapshotsPerDay: add((i) => i.churn.snapshotsPerDay),
    },
    projection: { growthBytes, storedBytes: stored.unique + stored.shared + growthBytes },
  };
}
