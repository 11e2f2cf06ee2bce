import type { Kysely } from 'kysely';
import type { CatalogDatabase } from './schema.js';

export type ScheduleRunStatus = 'claimed' | 'running' | 'ok' | 'failed' | 'skipped';

/** One slot of one schedule, as claimed by a `cairn serve` replica (times ISO 8601 UTC). */
export interface ScheduleRunRecord {
  /** `tier:<name>`, `tier:<name>@<environment>` (maintenanceWindowsOnly), `item:<name>` or `drift:<environment>`. */
  readonly scheduleKey: string;
  /** The cron time: the slot's identity, even when the run waited for a maintenance window. */
  readonly slot: string;
  /** When the run was due: the slot, or the start of the maintenance window it waited for. */
  readonly dueAt: string;
  /** The replica that holds the claim: hostname:pid:random. */
  readonly claimedBy: string;
  /** When it was claimed, renewed by the holder's heartbeat (a lease). */
  readonly claimedAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly status: ScheduleRunStatus;
  readonly details: Readonly<Record<string, unknown>> | null;
  readonly lateAlertedAt: string | null;
  readonly escalatedAt: string | null;
}

/**
 * The schedule runs of every replica sharing this catalog. claim() is the only way a row comes to be,
 * and the (schedule key, slot) primary key lets one claim win; every later change is a
 * compare-and-set, so two replicas never both finish, take over or alert for the same slot.
 */
export interface ScheduleRuns {
  /** Inserts the slot's row as claimed by `replica`; true when this call created it (this replica won). */
  claim(
    key: string,
    slot: string,
    replica: string,
    opts: { dueAt: string; at?: Date; details?: object },
  ): Promise<boolean>;
  get(key: string, slot: string): Promise<ScheduleRunRecord | undefined>;
  /** The row of the latest slot of `key`, whatever its status. */
  lastRun(key: string): Promise<ScheduleRunRecord | undefined>;
  /** The row of the latest slot of `key` that finished ok. */
  lastSuccess(key: string): Promise<ScheduleRunRecord | undefined>;
  /** The newest `limit` rows of `key`, newest slot first. */
  list(key: string, limit?: number): Promise<ScheduleRunRecord[]>;
  /** Every schedule key with a row. */
  keys(): Promise<string[]>;
  /** claimed → running, by the holder only. */
  markStarted(key: string, slot: string, replica: string, at?: Date): Promise<boolean>;
  /** → ok or failed (or skipped), by the holder only, once. */
  markFinished(
    key: string,
    slot: string,
    replica: string,
    status: 'ok' | 'failed' | 'skipped',
    details?: object,
    at?: Date,
  ): Promise<boolean>;
  /** running → claimed again (the run could not start, e.g. the repository was locked): retried later. */
  markBlocked(key: string, slot: string, replica: string, details: object): Promise<boolean>;
  /** Renews the holder's lease on an unfinished claim. */
  heartbeat(key: string, slot: string, replica: string, at?: Date): Promise<boolean>;
  /** Takes over an unfinished claim whose lease has lapsed: CAS on the claimed_at the caller read. */
  takeOver(key: string, slot: string, replica: string, seenClaimedAt: string, at?: Date): Promise<boolean>;
  /** Sets late_alerted_at if unset: true for the one caller that should raise the late alert. */
  markLateAlerted(key: string, slot: string, at?: Date): Promise<boolean>;
  /** Sets escalated_at if unset: true for the one caller that should raise the escalation. */
  markEscalated(key: string, slot: string, at?: Date): Promise<boolean>;
}

interface ScheduleRunsTable {
  schedule_key: string;
  slot: string;
  due_at: string;
  claimed_by: string;
  claimed_at: string;
  started_at: string | null;
  finished_at: string | null;
  status: string;
  details: string | null;
  late_alerted_at: string | null;
  escalated_at: string | null;
}

type Db = Kysely<CatalogDatabase & { schedule_runs: ScheduleRunsTable }>;

const UNFINISHED = ['claimed', 'running'];

export class KyselyScheduleRuns implements ScheduleRuns {
  readonly #db: Db;

  constructor(db: Kysely<CatalogDatabase>) {
    this.#db = db.withTables<{ schedule_runs: ScheduleRunsTable }>();
  }

  async claim(
    key: string,
    slot: string,
    replica: string,
    opts: { dueAt: string; at?: Date; details?: object },
  ): Promise<boolean> {
    const result = await this.#db
      .insertInto('schedule_runs')
      .values({
        schedule_key: key,
        slot,
        due_at: opts.dueAt,
        claimed_by: replica,
        claimed_at: (opts.at ?? new Date()).toISOString(),
        started_at: null,
        finished_at: null,
        status: 'claimed',
        details: opts.details ? JSON.stringify(opts.details) : null,
        late_alerted_at: null,
        escalated_at: null,
      })
      .onConflict((oc) => oc.columns(['schedule_key', 'slot']).doNothing())
      .executeTakeFirst();
    // SQLite's changes() and PostgreSQL's row count are both 0 when the row was already there.
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async get(key: string, slot: string): Promise<ScheduleRunRecord | undefined> {
    const row = await this.#db
      .selectFrom('schedule_runs')
      .selectAll()
      .where('schedule_key', '=', key)
      .where('slot', '=', slot)
      .executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async lastRun(key: string): Promise<ScheduleRunRecord | undefined> {
    return (await this.list(key, 1))[0];
  }

  async lastSuccess(key: string): Promise<ScheduleRunRecord | undefined> {
    const row = await this.#db
      .selectFrom('schedule_runs')
      .selectAll()
      .where('schedule_key', '=', key)
      .where('status', '=', 'ok')
      .orderBy('slot', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async list(key: string, limit = 100): Promise<ScheduleRunRecord[]> {
    const rows = await this.#db
      .selectFrom('schedule_runs')
      .selectAll()
      .where('schedule_key', '=', key)
      .orderBy('slot', 'desc')
      .limit(limit)
      .execute();
    return rows.map(fromRow);
  }

  async keys(): Promise<string[]> {
    const rows = await this.#db.selectFrom('schedule_runs').select('schedule_key').distinct().execute();
    return rows.map((r) => r.schedule_key).sort();
  }

  markStarted(key: string, slot: string, replica: string, at = new Date()): Promise<boolean> {
    const now = at.toISOString();
    return this.#change(
      key,
      slot,
      { status: 'running', started_at: now, claimed_at: now },
      { replica, status: ['claimed'] },
    );
  }

  markFinished(
    key: string,
    slot: string,
    replica: string,
    status: 'ok' | 'failed' | 'skipped',
    details?: object,
    at = new Date(),
  ): Promise<boolean> {
    const set = { status, finished_at: at.toISOString(), ...(details ? { details: JSON.stringify(details) } : {}) };
    return this.#change(key, slot, set, { replica, status: UNFINISHED });
  }

  markBlocked(key: string, slot: string, replica: string, details: object): Promise<boolean> {
    const set = { status: 'claimed', started_at: null, details: JSON.stringify(details) };
    return this.#change(key, slot, set, { replica, status: UNFINISHED });
  }

  heartbeat(key: string, slot: string, replica: string, at = new Date()): Promise<boolean> {
    return this.#change(key, slot, { claimed_at: at.toISOString() }, { replica, status: UNFINISHED });
  }

  takeOver(key: string, slot: string, replica: string, seenClaimedAt: string, at = new Date()): Promise<boolean> {
    const set = { claimed_by: replica, claimed_at: at.toISOString(), status: 'claimed', started_at: null };
    return this.#change(key, slot, set, { claimedAt: seenClaimedAt, status: UNFINISHED });
  }

  markLateAlerted(key: string, slot: string, at = new Date()): Promise<boolean> {
    return this.#change(key, slot, { late_alerted_at: at.toISOString() }, { unset: 'late_alerted_at' });
  }

  markEscalated(key: string, slot: string, at = new Date()): Promise<boolean> {
    return this.#change(key, slot, { escalated_at: at.toISOString() }, { unset: 'escalated_at' });
  }

  /**
   * Every transition of a run is one compare-and-set on its row: true for the one caller whose
   * expectations (holder, status, the claimed_at it read, a column still unset) held.
   */
  async #change(
    key: string,
    slot: string,
    set: Partial<ScheduleRunsTable>,
    expect: {
      replica?: string;
      status?: readonly string[];
      claimedAt?: string;
      unset?: 'late_alerted_at' | 'escalated_at';
    },
  ): Promise<boolean> {
    let q = this.#db.updateTable('schedule_runs').set(set).where('schedule_key', '=', key).where('slot', '=', slot);
    if (expect.replica !== undefined) q = q.where('claimed_by', '=', expect.replica);
    if (expect.claimedAt !== undefined) q = q.where('claimed_at', '=', expect.claimedAt);
    if (expect.status) q = q.where('status', 'in', [...expect.status]);
    if (expect.unset) q = q.where(expect.unset, 'is', null);
    const r = await q.executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
}

function fromRow(r: ScheduleRunsTable): ScheduleRunRecord {
  return {
    scheduleKey: r.schedule_key,
    slot: r.slot,
    dueAt: r.due_at,
    claimedBy: r.claimed_by,
    claimedAt: r.claimed_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    status: r.status as ScheduleRunStatus,
    details: r.details ? (JSON.parse(r.details) as Record<string, unknown>) : null,
    lateAlertedAt: r.late_alerted_at,
    escalatedAt: r.escalated_at,
  };
}
