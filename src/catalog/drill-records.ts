import type { ColumnType, Kysely, Selectable } from 'kysely';
import { CairnError } from '../errors/index.js';
import { gapsOf, recordGaps } from './drill-gaps.js';
import { checkedLimit, isoDate, num, rowByIdOrPrefix } from './monitoring-support.js';
import type {
  DrillFilter,
  DrillFinish,
  DrillGapFound,
  DrillRecord,
  DrillRecords,
  DrillResult,
  DrillSignoff,
  DrillStatus,
  GapRecord,
} from './monitoring-types.js';
import { isoTime } from './rows.js';
import type { CatalogDatabase } from './schema.js';

type Int8OrNull = ColumnType<number | string | null, number | null, number | null>;

interface DrillsTable {
  id: string;
  plan: string;
  kind: string;
  environment: string | null;
  trigger: string;
  actor: string;
  started_at: string;
  finished_at: string | null;
  status: string;
  rto_ms: Int8OrNull;
  restore_ms: Int8OrNull;
  validate_ms: Int8OrNull;
  rpo_ms: Int8OrNull;
  rto_sla_ms: Int8OrNull;
  rpo_sla_ms: Int8OrNull;
  within_sla: number | null;
  signoff_required: string;
  result: string | null;
}

interface DrillSignoffsTable {
  drill_id: string;
  team: string;
  subject: string;
  at: string;
}

type Tables = { drills: DrillsTable; drill_signoffs: DrillSignoffsTable };

/** The record of recovery drills (C5.1–C5.6): runs, their sign-offs, and the gaps they found. */
export class KyselyDrillRecords implements DrillRecords {
  readonly #db: Kysely<CatalogDatabase & Tables>;
  readonly #catalogDb: Kysely<CatalogDatabase>;

  constructor(db: Kysely<CatalogDatabase>) {
    this.#catalogDb = db;
    this.#db = db.withTables<Tables>();
  }

  async insert(r: DrillRecord): Promise<void> {
    const row = {
      id: r.id,
      plan: r.plan,
      kind: r.kind,
      environment: r.environment,
      trigger: r.trigger,
      actor: r.actor,
      started_at: isoTime(r.startedAt, 'startedAt'),
      status: r.status,
      signoff_required: JSON.stringify(r.signoffRequired),
      ...finishColumns(r),
    };
    // No conflict target: a running drill of the same plan (drills_running_plan_uq) refuses it too.
    const inserted = await this.#db
      .insertInto('drills')
      .values(row)
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return;
    const same = await this.#db.selectFrom('drills').select('id').where('id', '=', r.id).executeTakeFirst();
    if (same) throw new CairnError('CAIRN_E_EXISTS', `drill ${r.id} exists already`, { id: r.id });
    const running = await this.#db
      .selectFrom('drills')
      .select(['id', 'started_at', 'actor'])
      .where('plan', '=', r.plan)
      .where('status', '=', 'running')
      .executeTakeFirst();
    throw new CairnError(
      'CAIRN_E_REPO_LOCKED',
      `drill plan ${r.plan} is running already${running ? ` (drill ${running.id}, started ${running.started_at} by ${running.actor})` : ''}; wait for it to finish`,
      { plan: r.plan, ...(running ? { drill: running.id } : {}) },
    );
  }

  async finish(id: string, f: DrillFinish): Promise<boolean> {
    const r = await this.#db
      .updateTable('drills')
      .set({ status: f.status, ...finishColumns(f) })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async get(idOrPrefix: string): Promise<DrillRecord | undefined> {
    const row = await rowByIdOrPrefix(this.#db, 'drills', 'drill', idOrPrefix);
    return row ? fromRow(row) : undefined;
  }

  async list(f: DrillFilter = {}): Promise<DrillRecord[]> {
    let q = this.#db.selectFrom('drills').selectAll();
    if (f.plan !== undefined) q = q.where('plan', '=', f.plan);
    if (f.status !== undefined) q = q.where('status', '=', f.status);
    if (f.since !== undefined) q = q.where('started_at', '>=', isoDate(f.since, 'since'));
    if (f.until !== undefined) q = q.where('started_at', '<', isoDate(f.until, 'until'));
    q = q.orderBy('started_at', 'desc').orderBy('id', 'desc');
    if (f.limit !== undefined) q = q.limit(checkedLimit(f.limit));
    return (await q.execute()).map(fromRow);
  }

  async latestPerPlan(): Promise<DrillRecord[]> {
    const rows = await this.#db
      .selectFrom('drills as d')
      .selectAll('d')
      .where((eb) =>
        eb(
          'd.started_at',
          '=',
          eb
            .selectFrom('drills as n')
            .select((n) => n.fn.max('n.started_at').as('latest'))
            .whereRef('n.plan', '=', 'd.plan'),
        ),
      )
      .orderBy('d.plan')
      .orderBy('d.id', 'desc')
      .execute();
    // Two drills of one plan started in the same millisecond: the greater id stands for both.
    const byPlan = new Map<string, DrillRecord>();
    for (const r of rows) if (!byPlan.has(r.plan)) byPlan.set(r.plan, fromRow(r));
    return [...byPlan.values()];
  }

  async setStatus(id: string, from: DrillStatus, to: DrillStatus): Promise<boolean> {
    const r = await this.#db
      .updateTable('drills')
      .set({ status: to })
      .where('id', '=', id)
      .where('status', '=', from)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async addSignoff(s: DrillSignoff): Promise<'ok' | 'team-signed' | 'subject-signed'> {
    // No conflict target: either key refuses the row. Sign-offs are never removed, so what refused it
    // is still there to be looked up afterwards, whichever replica inserted it.
    const inserted = await this.#db
      .insertInto('drill_signoffs')
      .values({ drill_id: s.drillId, team: s.team, subject: s.subject, at: isoTime(s.at, 'at') })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return 'ok';
    const team = await this.#db
      .selectFrom('drill_signoffs')
      .select('team')
      .where('drill_id', '=', s.drillId)
      .where('team', '=', s.team)
      .executeTakeFirst();
    return team ? 'team-signed' : 'subject-signed';
  }

  async signoffs(drillId: string): Promise<DrillSignoff[]> {
    const rows = await this.#db
      .selectFrom('drill_signoffs')
      .selectAll()
      .where('drill_id', '=', drillId)
      .orderBy('at')
      .orderBy('team')
      .execute();
    return rows.map((r) => ({ drillId: r.drill_id, team: r.team, subject: r.subject, at: r.at }));
  }

  async recordGaps(
    drillId: string,
    items: readonly string[],
    found: readonly DrillGapFound[],
    at: string,
  ): Promise<{ opened: GapRecord[]; closed: GapRecord[] }> {
    return recordGaps(this.#catalogDb, drillId, items, found, isoTime(at, 'at'));
  }

  async gaps(f: { item?: string; open?: boolean } = {}): Promise<GapRecord[]> {
    return gapsOf(this.#catalogDb, f);
  }
}

function finishColumns(f: DrillFinish) {
  return {
    finished_at: f.finishedAt === null ? null : isoTime(f.finishedAt, 'finishedAt'),
    rto_ms: f.rtoMs,
    restore_ms: f.restoreMs,
    validate_ms: f.validateMs,
    rpo_ms: f.rpoMs,
    rto_sla_ms: f.rtoSlaMs,
    rpo_sla_ms: f.rpoSlaMs,
    within_sla: f.withinSla === null ? null : f.withinSla ? 1 : 0,
    result: f.result === null ? null : JSON.stringify(f.result),
  };
}

function fromRow(r: Selectable<DrillsTable>): DrillRecord {
  return {
    id: r.id,
    plan: r.plan,
    kind: r.kind as DrillRecord['kind'],
    environment: r.environment,
    trigger: r.trigger as DrillRecord['trigger'],
    actor: r.actor,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    status: r.status as DrillStatus,
    rtoMs: num(r.rto_ms),
    restoreMs: num(r.restore_ms),
    validateMs: num(r.validate_ms),
    rpoMs: num(r.rpo_ms),
    rtoSlaMs: num(r.rto_sla_ms),
    rpoSlaMs: num(r.rpo_sla_ms),
    withinSla: r.within_sla === null ? null : Number(r.within_sla) === 1,
    signoffRequired: JSON.parse(r.signoff_required) as string[],
    result: r.result === null ? null : (JSON.parse(r.result) as DrillResult),
  };
}
