import type { Kysely } from 'kysely';
import { batches } from './batches.js';
import { snapshotFromRow } from './rows.js';
import type { CatalogDatabase } from './schema.js';
import type { SnapshotRecord } from './types.js';

/** A pre-deploy capture of one item for one release: a snapshot taken then, or a verification of one. */
export interface PreDeployCapture {
  readonly item: string;
  readonly snapshot: SnapshotRecord;
  /** The verification that recorded the state as unchanged; null when the snapshot itself was the capture. */
  readonly verification: string | null;
  /** When the capture ran (the verification's time, else the snapshot's). */
  readonly time: string;
}

/** What the release gate and drift ask of the catalog, each for many items at once. */
export interface GateQueries {
  /** Per item, the newest snapshot or verification taken with trigger pre-deploy and this release. */
  preDeployCaptures(items: readonly string[], release: string): Promise<Map<string, PreDeployCapture>>;
  /** Per item, its newest complete snapshot. */
  latestComplete(items: readonly string[]): Promise<Map<string, SnapshotRecord>>;
}

export class KyselyGateQueries implements GateQueries {
  readonly #db: Kysely<CatalogDatabase>;

  constructor(db: Kysely<CatalogDatabase>) {
    this.#db = db;
  }

  async preDeployCaptures(items: readonly string[], release: string): Promise<Map<string, PreDeployCapture>> {
    const found = new Map<string, PreDeployCapture>();
    const keep = (c: PreDeployCapture) => {
      const prev = found.get(c.item);
      if (!prev || prev.time < c.time || (prev.time === c.time && prev.verification === null)) found.set(c.item, c);
    };
    for (const batch of batches([...new Set(items)])) {
      const [own, verified] = await Promise.all([
        this.#db
          .selectFrom('snapshots')
          .selectAll()
          .where('item', 'in', batch)
          .where('trigger', '=', 'pre-deploy')
          .where('release', '=', release)
          .execute(),
        this.#db
          .selectFrom('verifications as v')
          .innerJoin('snapshots', 'snapshots.id', 'v.snapshot_id')
          .selectAll('snapshots')
          .select(['v.id as verification_id', 'v.time as verified_at'])
          .where('v.item', 'in', batch)
          .where('v.trigger', '=', 'pre-deploy')
          .where('v.release', '=', release)
          .execute(),
      ]);
      for (const row of own)
        keep({ item: row.item, snapshot: snapshotFromRow(row), verification: null, time: row.time });
      for (const row of verified) {
        const { verification_id, verified_at, ...snapshot } = row;
        keep({ item: row.item, snapshot: snapshotFromRow(snapshot), verification: verification_id, time: verified_at });
      }
    }
    return found;
  }

  async latestComplete(items: readonly string[]): Promise<Map<string, SnapshotRecord>> {
    const found = new Map<string, SnapshotRecord>();
    for (const batch of batches([...new Set(items)])) {
      const rows = await this.#db
        .selectFrom('snapshots as s')
        .selectAll('s')
        .where('s.item', 'in', batch)
        .where('s.status', '=', 'complete')
        .where((eb) =>
          eb(
            's.time',
            '=',
            eb
              .selectFrom('snapshots as n')
              .select((n) => n.fn.max('n.time').as('latest'))
              .whereRef('n.item', '=', 's.item')
              .where('n.status', '=', 'complete'),
          ),
        )
        .orderBy('s.id', 'desc')
        .execute();
      for (const row of rows) if (!found.has(row.item)) found.set(row.item, snapshotFromRow(row));
    }
    return found;
  }
}
