import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { batches } from './batches.js';
import { isoTime } from './rows.js';
import type { CatalogDatabase } from './schema.js';

/** One difference between an item's live state and its snapshot (services/drift.ts's ItemDrift change). */
export interface DriftChangeRecord {
  readonly path: string;
  readonly kind: 'added' | 'removed' | 'modified';
  readonly detail?: readonly string[];
}

/** The outcome of one drift check of one item. */
export interface DriftCheckRecord {
  readonly id: string;
  readonly environment: string;
  readonly item: string;
  readonly checkedAt: string; // ISO
  /** The snapshot compared with; null when the item was never captured. */
  readonly snapshotId: string | null;
  readonly drifted: boolean;
  /** Files that differ only in ignored keys or lines. */
  readonly ignored: number;
  readonly changes: readonly DriftChangeRecord[];
  readonly error: { readonly code: string; readonly message: string } | null;
}

/** The record of `cairn drift` runs: what each check found, and the latest check of each item. */
export interface DriftChecks {
  /** Records checks; an id is made for those without one. */
  record(checks: ReadonlyArray<Omit<DriftCheckRecord, 'id'> & { id?: string }>): Promise<DriftCheckRecord[]>;
  /** The newest check of each item of the environment, by item name. */
  latestPerItem(environment: string): Promise<DriftCheckRecord[]>;
}

interface DriftChecksTable {
  id: string;
  environment: string;
  item: string;
  checked_at: string;
  snapshot_id: string | null;
  drifted: number;
  ignored: number;
  changes: string;
  error: string | null;
}

type Db = Kysely<CatalogDatabase & { drift_checks: DriftChecksTable }>;

export class KyselyDriftChecks implements DriftChecks {
  readonly #db: Db;

  constructor(db: Kysely<CatalogDatabase>) {
    this.#db = db.withTables<{ drift_checks: DriftChecksTable }>();
  }

  async record(checks: ReadonlyArray<Omit<DriftCheckRecord, 'id'> & { id?: string }>): Promise<DriftCheckRecord[]> {
    const records = checks.map((c) => ({
      ...c,
      id: c.id ?? randomUUID(),
      checkedAt: isoTime(c.checkedAt, 'checkedAt'),
    }));
    const rows: DriftChecksTable[] = records.map((r) => ({
      id: r.id,
      environment: r.environment,
      item: r.item,
      checked_at: r.checkedAt,
      snapshot_id: r.snapshotId,
      drifted: r.drifted ? 1 : 0,
      ignored: r.ignored,
      changes: JSON.stringify(r.changes),
      error: r.error ? JSON.stringify(r.error) : null,
    }));
    await this.#db.transaction().execute(async (trx) => {
      for (const batch of batches(rows)) await trx.insertInto('drift_checks').values(batch).execute();
    });
    return records;
  }

  async latestPerItem(environment: string): Promise<DriftCheckRecord[]> {
    const rows = await this.#db
      .selectFrom('drift_checks as d')
      .selectAll('d')
      .where('d.environment', '=', environment)
      .where((eb) =>
        eb(
          'd.checked_at',
          '=',
          eb
            .selectFrom('drift_checks as n')
            .select((n) => n.fn.max('n.checked_at').as('latest'))
            .whereRef('n.environment', '=', 'd.environment')
            .whereRef('n.item', '=', 'd.item'),
        ),
      )
      .orderBy('d.item')
      .orderBy('d.id')
      .execute();
    // Two checks of one item at the same millisecond: the first by id stands for both.
    const byItem = new Map<string, DriftCheckRecord>();
    for (const r of rows) if (!byItem.has(r.item)) byItem.set(r.item, fromRow(r));
    return [...byItem.values()];
  }
}

function fromRow(r: DriftChecksTable): DriftCheckRecord {
  return {
    id: r.id,
    environment: r.environment,
    item: r.item,
    checkedAt: r.checked_at,
    snapshotId: r.snapshot_id,
    drifted: Number(r.drifted) === 1,
    ignored: Number(r.ignored),
    changes: JSON.parse(r.changes) as DriftChangeRecord[],
    error: r.error ? (JSON.parse(r.error) as { code: string; message: string }) : null,
  };
}
