import type { Kysely } from 'kysely';
import type { CatalogDatabase } from './schema.js';

/** Snapshots per item and status, counted by the database (the /metrics gauges read this on every scrape). */
export async function snapshotCounts(
  db: Kysely<CatalogDatabase>,
): Promise<Array<{ item: string; status: string; count: number }>> {
  const rows = await db
    .selectFrom('snapshots')
    .select(['item', 'status', (eb) => eb.fn.countAll<number | string>().as('count')])
    .groupBy(['item', 'status'])
    .orderBy('item')
    .orderBy('status')
    .execute();
  return rows.map((r) => ({ item: r.item, status: r.status, count: Number(r.count) }));
}

/** Every snapshot and verification id the catalog holds (catalog sync compares them with the repository's). */
export async function knownIds(db: Kysely<CatalogDatabase>): Promise<{ snapshots: string[]; verifications: string[] }> {
  const snapshots = await db.selectFrom('snapshots').select('id').execute();
  const verifications = await db.selectFrom('verifications').select('id').execute();
  return { snapshots: snapshots.map((r) => r.id), verifications: verifications.map((r) => r.id) };
}
