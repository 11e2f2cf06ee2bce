import type { ExpressionBuilder, Kysely } from 'kysely';
import { CairnError } from '../errors/index.js';
import { batches } from './batches.js';
import { snapshotFromRow, verificationFromRow } from './rows.js';
import { prefixRange, type RunCriterion, runCriteria } from './run-criteria.js';
import type { CatalogDatabase } from './schema.js';
import type { SnapshotFilter, SnapshotHit, SnapshotRecord, VerificationRecord } from './types.js';

type Db = Kysely<CatalogDatabase>;

const shortestPrefix = 4;
const shownCandidates = 10;

export async function getSnapshot(db: Db, idOrPrefix: string): Promise<SnapshotRecord | undefined> {
  const prefix = idOrPrefix.trim().toLowerCase();
  if (!/^[0-9a-f]*$/.test(prefix) || prefix.length < shortestPrefix || prefix.length > 64) {
    throw new CairnError(
      'CAIRN_E_USAGE',
      `${JSON.stringify(idOrPrefix)} is not a snapshot id: ` +
        `give the id or at least its first ${shortestPrefix} hex characters`,
      { id: idOrPrefix },
    );
  }
  const [from, to] = prefixRange(prefix);
  const rows = await db
    .selectFrom('snapshots')
    .selectAll()
    .where('id', '>=', from)
    .where('id', '<', to)
    .orderBy('id')
    .limit(shownCandidates + 1)
    .execute();
  const [first, ...others] = rows;
  if (first === undefined) return undefined;
  if (others.length === 0) return snapshotFromRow(first);
  const candidates = rows.slice(0, shownCandidates).map((row) => row.id);
  const more = rows.length > shownCandidates ? ` and more` : '';
  throw new CairnError(
    'CAIRN_E_AMBIGUOUS',
    `snapshot prefix ${prefix} matches several snapshots: ${candidates.join(', ')}${more}; give more characters`,
    { prefix, candidates },
  );
}

export async function findSnapshots(db: Db, filter: SnapshotFilter): Promise<SnapshotHit[]> {
  const run = runCriteria(filter);
  const limit = checkedLimit(filter.limit);
  if (filter.ids?.length === 0 || filter.item?.length === 0) return [];

  let query = db.selectFrom('snapshots').selectAll('snapshots');
  if (filter.ids) query = query.where('snapshots.id', 'in', [...filter.ids]);
  if (filter.item) query = query.where('snapshots.item', 'in', [...filter.item]);
  if (filter.tier !== undefined) query = query.where('snapshots.tier', '=', filter.tier);
  if (filter.status !== undefined) query = query.where('snapshots.status', '=', filter.status);
  if (run.length > 0) {
    query = query.where((eb) =>
      eb.or([
        eb.and(run.map((c) => eb(`snapshots.${c.column}`, c.op, c.value))),
        eb.exists(
          eb
            .selectFrom('verifications')
            .select('verifications.id')
            .whereRef('verifications.snapshot_id', '=', 'snapshots.id')
            .where((v) => verificationMatches(v, run)),
        ),
      ]),
    );
  }
  query = query.orderBy('snapshots.time', 'desc').orderBy('snapshots.id', 'desc');
  if (limit !== undefined) query = query.limit(limit);
  const rows = await query.execute();

  const matched = await verificationsFor(
    db,
    rows.map((row) => row.id),
    run,
  );
  return rows.map((row) => ({ ...snapshotFromRow(row), verifications: matched.get(row.id) ?? [] }));
}

export async function latestSnapshot(db: Db, item: string): Promise<SnapshotRecord | undefined> {
  const row = await db
    .selectFrom('snapshots')
    .selectAll()
    .where('item', '=', item)
    .orderBy('time', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row && snapshotFromRow(row);
}

export async function verificationsOf(db: Db, snapshotId: string): Promise<VerificationRecord[]> {
  return (await verificationsFor(db, [snapshotId], [])).get(snapshotId) ?? [];
}

/** The verifications of these snapshots that meet every run criterion, newest first, by snapshot. */
async function verificationsFor(
  db: Db,
  snapshotIds: readonly string[],
  run: readonly RunCriterion[],
): Promise<Map<string, VerificationRecord[]>> {
  const bySnapshot = new Map<string, VerificationRecord[]>();
  for (const ids of batches(snapshotIds)) {
    let query = db.selectFrom('verifications').selectAll().where('snapshot_id', 'in', ids);
    if (run.length > 0) query = query.where((v) => verificationMatches(v, run));
    const rows = await query.orderBy('time', 'desc').orderBy('id', 'desc').execute();
    for (const row of rows) {
      const list = bySnapshot.get(row.snapshot_id) ?? [];
      list.push(verificationFromRow(row));
      bySnapshot.set(row.snapshot_id, list);
    }
  }
  return bySnapshot;
}

function verificationMatches(eb: ExpressionBuilder<CatalogDatabase, 'verifications'>, run: readonly RunCriterion[]) {
  return eb.and(run.map((c) => eb(`verifications.${c.column}`, c.op, c.value)));
}

function checkedLimit(limit: number | undefined): number | undefined {
  if (limit === undefined) return undefined;
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new CairnError('CAIRN_E_USAGE', `limit must be a positive whole number, not ${limit}`, { limit });
  }
  return limit;
}
