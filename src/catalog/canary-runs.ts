import type { ColumnType, Kysely } from 'kysely';
import { CairnError } from '../errors/index.js';
import { checkedLimit } from './monitoring-support.js';
import type { CanaryRun, CanaryRuns } from './monitoring-types.js';
import { isoTime } from './rows.js';
import type { CatalogDatabase } from './schema.js';

interface CanaryRunsTable {
  id: string;
  started_at: string;
  finished_at: string;
  ok: number;
  latency_ms: ColumnType<number | string, number, number>;
  phases: string; // JSON object of ms
  snapshot_id: string | null;
  error: string | null;
}

type Db = Kysely<CatalogDatabase & { canary_runs: CanaryRunsTable }>;

/** The rounds of `cairn serve`'s canary (C8.6): how long each took, phase by phase, and whether it passed. */
export class KyselyCanaryRuns implements CanaryRuns {
  readonly #db: Db;

  constructor(db: Kysely<CatalogDatabase>) {
    this.#db = db.withTables<{ canary_runs: CanaryRunsTable }>();
  }

  async insert(r: CanaryRun): Promise<void> {
    const inserted = await this.#db
      .insertInto('canary_runs')
      .values({
        id: r.id,
        started_at: isoTime(r.startedAt, 'startedAt'),
        finished_at: isoTime(r.finishedAt, 'finishedAt'),
        ok: r.ok ? 1 : 0,
        latency_ms: Math.round(r.latencyMs),
        phases: JSON.stringify(r.phases),
        snapshot_id: r.snapshotId,
        error: r.error,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) {
      throw new CairnError('CAIRN_E_EXISTS', `canary run ${r.id} exists already`, { id: r.id });
    }
  }

  async list(limit = 100): Promise<CanaryRun[]> {
    const rows = await this.#db
      .selectFrom('canary_runs')
      .selectAll()
      .orderBy('started_at', 'desc')
      .orderBy('id', 'desc')
      .limit(checkedLimit(limit))
      .execute();
    return rows.map((r) => ({
      id: r.id,
      startedAt: r.started_at,
      finishedAt: r.finished_at,
      ok: Number(r.ok) === 1,
      latencyMs: Number(r.latency_ms),
      phases: JSON.parse(r.phases) as Record<string, number>,
      snapshotId: r.snapshot_id,
      error: r.error,
    }));
  }
}
