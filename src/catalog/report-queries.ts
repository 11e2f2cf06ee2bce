import { type Kysely, sql } from 'kysely';
import type { AuditEventRecord, AuditResult } from './audit-types.js';
import { prefixRange } from './run-criteria.js';
import type { CatalogDatabase } from './schema.js';

/**
 * What the monthly report (services/report) asks of the catalog: the month's snapshots, captures and
 * audit events, filtered and counted by the database over the month's time range. The report's
 * `verify` computes the same facts from repository objects and signed checkpoints, so the filters are
 * defined once here (REPORT_EVENTS, isReportEvent) and used by both.
 */
export interface ReportQueries {
  /** Every snapshot taken before `until`, oldest first (few columns: 100,000 rows stay cheap). */
  snapshots(until: string): Promise<ReportSnapshotRow[]>;
  /**
   * Verifications taken in [since, until), and for each (item, environment) the newest one taken
   * before `since` (on equal times the largest id), oldest first.
   */
  verifications(since: string, until: string): Promise<ReportVerificationRow[]>;
  /** Per snapshot, the time of its newest verification before `until` (a verification extends its retention). */
  latestVerifications(until: string): Promise<Array<{ snapshotId: string; time: string }>>;
  /** The audit events in [since, until) that the report reads (isReportEvent), whole, oldest first. */
  events(since: string, until: string): Promise<AuditEventRecord[]>;
  /** The first and last seq of the events in [since, until), and how many there are. */
  eventBounds(since: string, until: string): Promise<{ first: number; last: number; count: number } | undefined>;
  /** The chain's links after `afterSeq`, oldest first, at most `limit`: enough to check it without reading events. */
  chainLinks(afterSeq: number, limit: number): Promise<Array<{ seq: number; prevHash: string; hash: string }>>;
  /**
   * The chain's links in (after.seq, toSeq] checked by the database: the first seq that is missing or
   * whose prevHash is not the hash before it (after.hash for the first), or undefined when every link
   * holds; and the catalog's hashes at the seqs asked for (`at`).
   */
  chainBreak(
    after: { seq: number; hash: string },
    toSeq: number,
    at: readonly number[],
  ): Promise<{ broken?: { seq: number; missing: boolean }; hashes: Map<number, string> }>;
  /** Every audit event in [since, until), counted by action and result, with each group's first and last seq. */
  eventCounts(since: string, until: string): Promise<EventCount[]>;
}

export interface ReportSnapshotRow {
  readonly id: string;
  readonly item: string;
  readonly environment: string | null;
  readonly tier: string | null;
  readonly time: string;
  readonly status: string;
  readonly retainUntil: string | null;
}

export interface ReportVerificationRow {
  readonly id: string;
  readonly snapshotId: string;
  readonly item: string;
  readonly environment: string | null;
  readonly time: string;
}

export interface EventCount {
  readonly action: string;
  readonly result: string;
  readonly count: number;
  readonly first: number;
  readonly last: number;
}

/** The fields of an audit event the report reads. */
export interface ReportEventRow {
  readonly seq: number;
  readonly time: string;
  readonly identity: string;
  readonly action: string;
  readonly target: string | null;
  readonly result: AuditResult;
  readonly approvalId: string | null;
  readonly details: Readonly<Record<string, unknown>>;
}

/** The audit events a monthly report reads: by exact action, by action family, by result, or tied to an approval. */
export const REPORT_EVENTS = Object.freeze({
  actions: Object.freeze([
    'forget',
    'snapshot.forget',
    'snapshot.delete',
    'hold.remove',
    'holds.add',
    'holds.remove',
    'key.remove',
    'approvals.grant',
    'approvals.deny',
    'approvals.cancel',
    'schedule.late',
    'schedule.escalation',
    'schedule.failed',
  ]),
  families: Object.freeze(['alert.', 'anomaly.', 'drill.']),
  results: Object.freeze(['failed', 'denied', 'requested'] as const),
});

export function isReportEvent(e: {
  readonly action: string;
  readonly result: string;
  readonly approvalId: string | null;
}): boolean {
  return (
    REPORT_EVENTS.actions.includes(e.action) ||
    REPORT_EVENTS.families.some((f) => e.action.startsWith(f)) ||
    (REPORT_EVENTS.results as readonly string[]).includes(e.result) ||
    e.approvalId !== null
  );
}

type Db = Kysely<CatalogDatabase>;

export class KyselyReportQueries implements ReportQueries {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async snapshots(until: string): Promise<ReportSnapshotRow[]> {
    const rows = await this.#db
      .selectFrom('snapshots')
      .select(['id', 'item', 'environment', 'tier', 'time', 'status', 'retain_until'])
      .where('time', '<', until)
      .orderBy('time')
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      item: r.item,
      environment: r.environment,
      tier: r.tier,
      time: r.time,
      status: r.status,
      retainUntil: r.retain_until,
    }));
  }

  async verifications(since: string, until: string): Promise<ReportVerificationRow[]> {
    const columns = ['id', 'snapshot_id', 'item', 'environment', 'time'] as const;
    const inMonth = await this.#db
      .selectFrom('verifications')
      .select(columns)
      .where('time', '>=', since)
      .where('time', '<', until)
      .execute();
    // The newest before the month per (item, environment): a max() per group, then those rows.
    const newest = await this.#db
      .selectFrom('verifications')
      .select((eb) => ['item', 'environment', eb.fn.max('time').as('time')])
      .where('time', '<', since)
      .groupBy(['item', 'environment'])
      .execute();
    const before = new Map<string, (typeof inMonth)[number]>();
    for (const n of newest) {
      let q = this.#db
        .selectFrom('verifications')
        .select(columns)
        .where('item', '=', n.item)
        .where('time', '=', String(n.time));
      q = n.environment === null ? q.where('environment', 'is', null) : q.where('environment', '=', n.environment);
      for (const r of await q.execute()) {
        const key = `${r.item}\u0000${r.environment ?? ''}`;
        const seen = before.get(key);
        if (!seen || r.id > seen.id) before.set(key, r);
      }
    }
    return [...before.values(), ...inMonth]
      .map((r) => ({ id: r.id, snapshotId: r.snapshot_id, item: r.item, environment: r.environment, time: r.time }))
      .sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.id < b.id ? -1 : 1));
  }

  async latestVerifications(until: string): Promise<Array<{ snapshotId: string; time: string }>> {
    const rows = await this.#db
      .selectFrom('verifications')
      .select((eb) => ['snapshot_id', eb.fn.max('time').as('time')])
      .where('time', '<', until)
      .groupBy('snapshot_id')
      .execute();
    return rows.map((r) => ({ snapshotId: r.snapshot_id, time: String(r.time) }));
  }

  async events(since: string, until: string): Promise<AuditEventRecord[]> {
    const rows = await this.#db
      .selectFrom('audit_events')
      .selectAll()
      .where('time', '>=', since)
      .where('time', '<', until)
      .where((eb) =>
        eb.or([
          eb('action', 'in', [...REPORT_EVENTS.actions]),
          ...REPORT_EVENTS.families.map((f) => {
            const [from, to] = prefixRange(f);
            return eb.and([eb('action', '>=', from), eb('action', '<', to)]);
          }),
          eb('result', 'in', [...REPORT_EVENTS.results]),
          eb('approval_id', 'is not', null),
        ]),
      )
      .orderBy('seq')
      .execute();
    return rows.map((r) => ({
      seq: Number(r.seq),
      id: r.id,
      time: r.time,
      identity: r.identity,
      roles: parseJson(r.roles, (v): v is string[] => Array.isArray(v), [r.roles]),
      ip: r.ip,
      userAgent: r.user_agent,
      action: r.action,
      target: r.target,
      result: r.result as AuditResult,
      changeId: r.change_id,
      approvalId: r.approval_id,
      details: parseJson(r.details, isObject, { unparseable: r.details }),
      prevHash: r.prev_hash,
      hash: r.hash,
    }));
  }

  async eventBounds(since: string, until: string): Promise<{ first: number; last: number; count: number } | undefined> {
    const row = await this.#db
      .selectFrom('audit_events')
      .select((eb) => [
        eb.fn.min('seq').as('first'),
        eb.fn.max('seq').as('last'),
        eb.fn.countAll<number | string>().as('n'),
      ])
      .where('time', '>=', since)
      .where('time', '<', until)
      .executeTakeFirst();
    if (!row || Number(row.n) === 0) return undefined;
    return { first: Number(row.first), last: Number(row.last), count: Number(row.n) };
  }

  async chainLinks(afterSeq: number, limit: number): Promise<Array<{ seq: number; prevHash: string; hash: string }>> {
    const rows = await this.#db
      .selectFrom('audit_events')
      .select(['seq', 'prev_hash', 'hash'])
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ seq: Number(r.seq), prevHash: r.prev_hash, hash: r.hash }));
  }

  async chainBreak(
    after: { seq: number; hash: string },
    toSeq: number,
    at: readonly number[],
  ): Promise<{ broken?: { seq: number; missing: boolean }; hashes: Map<number, string> }> {
    const hashes = new Map<number, string>();
    for (const part of chunks(at, 500)) {
      const rows = await this.#db.selectFrom('audit_events').select(['seq', 'hash']).where('seq', 'in', part).execute();
      for (const r of rows) hashes.set(Number(r.seq), r.hash);
    }
    if (toSeq <= after.seq) return { hashes };
    const first = await this.#db
      .selectFrom('audit_events')
      .select(['prev_hash'])
      .where('seq', '=', after.seq + 1)
      .executeTakeFirst();
    if (!first) return { broken: { seq: after.seq + 1, missing: true }, hashes };
    if (first.prev_hash !== after.hash) return { broken: { seq: after.seq + 1, missing: false }, hashes };
    // One pass over the links; a gap is found by counting (seq is the primary key, without gaps when whole).
    const link = await sql<{ seq: number | string }>`
      SELECT b.seq AS seq FROM audit_events b JOIN audit_events a ON a.seq = b.seq - 1
      WHERE b.seq > ${after.seq + 1} AND b.seq <= ${toSeq} AND a.hash <> b.prev_hash ORDER BY b.seq LIMIT 1`.execute(
      this.#db,
    );
    const unlinked = link.rows[0] ? Number(link.rows[0].seq) : undefined;
    const missing = await this.#firstMissing(after.seq + 1, unlinked ?? toSeq);
    if (missing !== undefined) return { broken: { seq: missing, missing: true }, hashes };
    if (unlinked !== undefined) return { broken: { seq: unlinked, missing: false }, hashes };
    return { hashes };
  }

  /** The first seq in [from, to] with no event, by halving the range on counts (cheap on the primary key). */
  async #firstMissing(from: number, to: number): Promise<number | undefined> {
    const count = async (lo: number, hi: number) => {
      const row = await this.#db
        .selectFrom('audit_events')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('seq', '>=', lo)
        .where('seq', '<=', hi)
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    };
    if (to < from || (await count(from, to)) === to - from + 1) return undefined;
    let lo = from;
    let hi = to;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if ((await count(lo, mid)) < mid - lo + 1) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  async eventCounts(since: string, until: string): Promise<EventCount[]> {
    const rows = await this.#db
      .selectFrom('audit_events')
      .select((eb) => [
        'action',
        'result',
        eb.fn.countAll<number | string>().as('n'),
        eb.fn.min('seq').as('first'),
        eb.fn.max('seq').as('last'),
      ])
      .where('time', '>=', since)
      .where('time', '<', until)
      .groupBy(['action', 'result'])
      .orderBy('action')
      .orderBy('result')
      .execute();
    return rows.map((r) => ({
      action: r.action,
      result: r.result,
      count: Number(r.n),
      first: Number(r.first),
      last: Number(r.last),
    }));
  }
}

function chunks<T>(values: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < values.length; i += size) out.push(values.slice(i, i + size));
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Tolerates rows edited into invalid JSON, as the audit store does: the report must still name them. */
function parseJson<T>(text: string, valid: (v: unknown) => v is T, fallback: T): T {
  try {
    const v: unknown = JSON.parse(text);
    return valid(v) ? v : fallback;
  } catch {
    return fallback;
  }
}
