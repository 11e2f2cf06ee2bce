import type { Expression, ExpressionBuilder, Kysely, SelectQueryBuilder, SqlBool } from 'kysely';
import { CairnError } from '../errors/index.js';
import { batches } from './batches.js';
import { snapshotFromRow, verificationFromRow } from './rows.js';
import { prefixRange, type RunColumn, type RunCriterion, runCriteria } from './run-criteria.js';
import type { CatalogDatabase } from './schema.js';
import type { SnapshotFilter, SnapshotHit, SnapshotRecord, VerificationRecord } from './types.js';

type Db = Kysely<CatalogDatabase>;
type Ranked = SelectQueryBuilder<CatalogDatabase, 'snapshots', { id: string; time: string }>;
type Where = (eb: ExpressionBuilder<CatalogDatabase, 'snapshots'>) => Expression<SqlBool>;

const shortestPrefix = 4;
const shownCandidates = 10;
/** Run columns that an index narrows to a handful of runs: one release, commit, change or deployment. */
const narrowing: ReadonlySet<RunColumn> = new Set(['release', 'commit', 'change', 'deployment']);
/** How many snapshots newer than a time window's newest hits are worth checking one by one (see newest). */
const recentEnough = 2000;

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

/**
 * Which side a search starts from is chosen here, not left to the database: the obvious single query,
 * `own run matches OR EXISTS (a matching verification)`, defeats every index on a run column, and both
 * SQLite and PostgreSQL then read all snapshots (1-5 s at a million; BENCHMARKS.md, catalog search).
 */
export async function findSnapshots(db: Db, filter: SnapshotFilter): Promise<SnapshotHit[]> {
  const run = runCriteria(filter);
  const limit = checkedLimit(filter.limit);
  if (filter.ids?.length === 0 || filter.item?.length === 0) return [];

  let query = db
    .selectFrom('snapshots')
    .selectAll('snapshots')
    .where((eb) => snapshotMatches(eb, filter));
  if (run.length > 0) {
    query = query.where(limit === undefined ? every(db, filter, run) : await newest(db, filter, run, limit));
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

/**
 * Every match. Given ids or items (and no narrowing run criterion) there are few snapshots, and each is
 * checked; otherwise snapshots and verifications are searched apart, each through its index if it has one.
 */
function every(db: Db, filter: SnapshotFilter, run: readonly RunCriterion[]): Where {
  if (!run.some((c) => narrowing.has(c.column)) && (filter.ids || filter.item)) return (eb) => ownOrVerified(eb, run);
  const ids = ownIds(db, filter, run)
    .select('snapshots.id')
    .union(
      db
        .selectFrom('verifications')
        .select('verifications.snapshot_id as id')
        .where((eb) => verificationMatches(eb, run)),
    );
  return (eb) => eb('snapshots.id', 'in', ids);
}

/**
 * A condition that holds for the newest `limit` matches, and for at most `limit` others.
 *
 * Without a narrowing run criterion, checking snapshots newest first until `limit` match is right:
 * matches are dense, or the given ids or items leave few snapshots. A time window alone is the hard
 * case: a snapshot found through a verification in the window may be of any age, so that side must
 * read every verification in the window (14,000 in 30 days at a million snapshots). When few
 * snapshots are newer than the window's `limit`-th newest own match, checking just those is cheaper,
 * and exact: no older snapshot can make the list.
 */
async function newest(db: Db, filter: SnapshotFilter, run: readonly RunCriterion[], limit: number): Promise<Where> {
  const own = ownIds(db, filter, run).select(['snapshots.id', 'snapshots.time']);
  if (!run.some((c) => narrowing.has(c.column))) {
    if (filter.ids || filter.item || !run.some((c) => c.column === 'time')) return (eb) => ownOrVerified(eb, run);
    const cutoff = await ranked(own, limit)
      .offset(limit - 1)
      .executeTakeFirst();
    if (cutoff !== undefined && (await fewSince(db, filter, cutoff.time))) {
      return (eb) => eb.and([eb('snapshots.time', '>=', cutoff.time), ownOrVerified(eb, run)]);
    }
  }
  // Materialized: asked for the newest few of this join, PostgreSQL walks the snapshots newest first and
  // probes each for a matching verification, a full scan when the matches are years old (1.4 s).
  const ids = db
    .with(
      (cte) => cte('verified').materialized(),
      (db) =>
        db
          .selectFrom('verifications')
          .innerJoin('snapshots', 'snapshots.id', 'verifications.snapshot_id')
          .where((eb) => eb.and([snapshotMatches(eb, filter), verificationMatches(eb, run)]))
          .select(['snapshots.id', 'snapshots.time'])
          // A snapshot with several matching verifications takes one place among the newest, not several.
          .distinct(),
    )
    .selectFrom(ranked(own, limit).as('own'))
    .select('own.id')
    .union((db) =>
      db
        .selectFrom((db) =>
          db
            .selectFrom('verified')
            .select('verified.id')
            .orderBy('verified.time', 'desc')
            .orderBy('verified.id', 'desc')
            .limit(limit)
            .as('newest'),
        )
        .select('newest.id'),
    );
  return (eb) => eb('snapshots.id', 'in', ids);
}

function ranked(query: Ranked, limit: number): Ranked {
  return query.orderBy('snapshots.time', 'desc').orderBy('snapshots.id', 'desc').limit(limit);
}

/** Whether fewer than `recentEnough` snapshots that meet the snapshot criteria are at or after `time`. */
async function fewSince(db: Db, filter: SnapshotFilter, time: string): Promise<boolean> {
  const { count } = await db
    .selectFrom((eb) =>
      eb
        .selectFrom('snapshots')
        .select('snapshots.id')
        .where((eb) => eb.and([snapshotMatches(eb, filter), eb('snapshots.time', '>=', time)]))
        .limit(recentEnough)
        .as('newer'),
    )
    .select((eb) => eb.fn.countAll<number | string>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(count) < recentEnough;
}

/** Snapshots whose own run matches. */
function ownIds(db: Db, filter: SnapshotFilter, run: readonly RunCriterion[]) {
  return db
    .selectFrom('snapshots')
    .where((eb) =>
      eb.and([snapshotMatches(eb, filter), ...run.map((c) => eb(`snapshots.${c.column}`, c.op, c.value))]),
    );
}

/** The criteria that only a snapshot has: which snapshots, of which items, tier and status. */
function snapshotMatches(eb: ExpressionBuilder<CatalogDatabase, 'snapshots'>, filter: SnapshotFilter) {
  const all = [];
  if (filter.ids) all.push(eb('snapshots.id', 'in', [...filter.ids]));
  if (filter.item) all.push(eb('snapshots.item', 'in', [...filter.item]));
  if (filter.tier !== undefined) all.push(eb('snapshots.tier', '=', filter.tier));
  if (filter.status !== undefined) all.push(eb('snapshots.status', '=', filter.status));
  return eb.and(all);
}

/** The snapshot's own run matches, or one of its verifications' does: right for few snapshots only. */
function ownOrVerified(eb: ExpressionBuilder<CatalogDatabase, 'snapshots'>, run: readonly RunCriterion[]) {
  return eb.or([
    eb.and(run.map((c) => eb(`snapshots.${c.column}`, c.op, c.value))),
    eb.exists(
      eb
        .selectFrom('verifications')
        .select('verifications.id')
        .whereRef('verifications.snapshot_id', '=', 'snapshots.id')
        .where((v) => verificationMatches(v, run)),
    ),
  ]);
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
