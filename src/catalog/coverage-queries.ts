import { type Kysely, sql } from 'kysely';
import type { CoverageQueries, LatestCapture } from './monitoring-types.js';
import type { CatalogDatabase } from './schema.js';

/**
 * What coverage (C8.2) asks of the catalog: per (item, environment), the newest complete snapshot and
 * the newest capture of it, a snapshot or a verification that the state was unchanged.
 *
 * Each side is one GROUP BY the database answers from a covering index (0013-monitoring.ts) without
 * reading a table row: max(time || ' ' || id) is the newest run of the group with its id, because
 * times are fixed-width ISO text (ties go to the greater id). Verifications need no join to their
 * snapshot: one is only ever recorded against a complete snapshot (services/snapshot.ts), and a
 * forgotten snapshot takes its verifications with it.
 */
export class KyselyCoverageQueries implements CoverageQueries {
  readonly #db: Kysely<CatalogDatabase>;

  constructor(db: Kysely<CatalogDatabase>) {
    this.#db = db;
  }

  async latestCaptures(): Promise<LatestCapture[]> {
    const q = newestPerGroup(this.#db);
    const [snapshots, verifications] = await Promise.all([q.snapshots.execute(), q.verifications.execute()]);
    const key = (r: { item: string; environment: string | null }) => JSON.stringify([r.item, r.environment]);
    const verified = new Map(verifications.map((r) => [key(r), split(r.newest)]));
    const out: LatestCapture[] = [];
    for (const row of snapshots) {
      const s = split(row.newest);
      const v = verified.get(key(row));
      const byVerification = v !== undefined && v.time > s.time;
      out.push({
        item: row.item,
        environment: row.environment,
        snapshotId: s.id,
        snapshotAt: s.time,
        captureId: byVerification ? v.id : s.id,
        captureAt: byVerification ? v.time : s.time,
        captureKind: byVerification ? 'verification' : 'snapshot',
      });
    }
    return out.sort(
      (a, b) =>
        compare(a.item, b.item) ||
        compare(a.environment ?? '', b.environment ?? '') ||
        compare(a.snapshotId, b.snapshotId),
    );
  }
}

/** The two GROUP BY queries (exported so a test can check their plans use the covering indexes). */
export function newestPerGroup(db: Kysely<CatalogDatabase>) {
  const newest = sql<string>`max(${sql.ref('time')} || ' ' || ${sql.ref('id')})`.as('newest');
  return {
    snapshots: db
      .selectFrom('snapshots')
      .select(['item', 'environment', newest])
      .where(sql<boolean>`status = 'complete'`) // a literal, so the partial index applies
      .groupBy(['item', 'environment']),
    verifications: db
      .selectFrom('verifications')
      .select(['item', 'environment', newest])
      .groupBy(['item', 'environment']),
  };
}

function split(newest: string): { time: string; id: string } {
  const at = newest.indexOf(' ');
  return { time: newest.slice(0, at), id: newest.slice(at + 1) };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
