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

  async markStarted(key: string, slot: string, replica: string, at = new Date()): Promise<boolean> {
    const r = await this.#db
      .updateTable('schedule_runs')
      .set({ status: 'running', started_at: at.toISOString(), claimed_at: at.toISOString() })
      .where('schedule_key', '=', key)
      .where('slot', '=', slot)
      .where('claimed_by', '=', replica)
      .where('status', '=', 'claimed')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async markFinished(
    key: string,
    slot: string,
    replica: string,
    status: 'ok' | 'failed' | 'skipped',
    details?: object,
    at = new Date(),
  ): Promise<boolean> {
    const r = await this.#db
      .updateTable('schedule_runs')
      .set({ status, finished_at: at.toISOString(), ...(details ? { details: JSON.stringify(details) } : {}) })
      .where('schedule_key', '=', key)
      .where('slot', '=', slot)
      .where('claimed_by', '=', replica)
      .where('status', 'in', UNFINISHED)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async markBlocked(key: string, slot: string, replica: string, details: object): Promise<boolean> {
    const r = await this.#db
      .updateTable('schedule_runs')
      .set({ status: 'claimed', started_at: null, details: JSON.stringify(details) })
      .where('schedule_key', '=', key)
      .where('slot', '=', slot)
      .where('claimed_by', '=', replica)
      .where('status', 'in', UNFINISHED)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async heartbeat(key: string, slot: string, replica: string, at = new Date()): Promise<boolean> {
    const r = await this.#db
      .updateTable('schedule_runs')
      .set({ claimed_at: at.toISOString() })
      .where('schedule_key', '=', key)
      .where('slot', '=', slot)
      .where('claimed_by', '=', replica)
      .where('status', 'in', UNFINISHED)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async takeOver(key: string, slot: string, replica: string, seenClaimedAt: string, at = new Date()): Promise<boolean> {
    const r = await this.#db
      .updateTable('schedule_runs')
      .set({ claimed_by: replica, claimed_at: at.toISOString(), status: 'claimed', started_at: null })
      .where('schedule_key', '=', key)
      .where('slot', '=', slot)
      .where('claimed_at', '=', seenClaimedAt)
      .where('status', 'in', UNFINISHED)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async markLateAlerted(key: string, slot: string, at = new Date()): Promise<boolean> {
    const r = await this.#db
      .updateTable('schedule_runs')
      .set({ late_alerted_at: at.toISOString() })
      .where('schedule_key', '=', key)
      .where('slot', '=', slot)
      .where('late_alerted_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async markEscalated(key: string, slot: string, at = new Date()): Promise<boolean> {
    const r = await this.#db
      .updateTable('schedule_runs')
      .set({ escalated_at: at.toISOString() })
      .where('schedule_key', '=', key)
      .where('slot', '=', slot)
      .where('escalated_at', 'is', null)
      .executeTakeFirst();
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
