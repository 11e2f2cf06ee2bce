import type { Catalog } from '../../catalog/index.js';
import type { CatalogMetrics } from '../backend.js';

/**
 * The gauges /metrics reads from the catalog on each scrape: snapshots by item and status (counted by
 * the database), and per item the size of its newest snapshot and the time of its newest snapshot or
 * verification (one indexed lookup per item), so a scrape costs the same at a million snapshots.
 */
export async function catalogMetrics(catalog: Catalog): Promise<CatalogMetrics> {
  const snapshots = await catalog.snapshotCounts();
  const names = new Set([...(await catalog.listItems()).map((i) => i.name), ...snapshots.map((s) => s.item)]);
  const items = [];
  for (const item of [...names].sort()) {
    const latest = await catalog.latestSnapshot(item);
    const verified = latest ? (await catalog.verificationsOf(latest.id)).map((v) => v.time) : [];
    const lastSuccess = [latest?.time ?? '', ...verified].sort().at(-1) || null;
    items.push({ item, lastSnapshotBytes: latest?.bytes ?? null, lastSuccess });
  }
  return { snapshots, items };
}
