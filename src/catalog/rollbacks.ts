import type { Kysely } from 'kysely';
import { CairnError } from '../errors/index.js';
import type { CatalogDatabase } from './schema.js';

export type RollbackStatus = 'planned' | 'running' | 'completed' | 'failed';
export type RollbackItemState = 'pending' | 'restored' | 'verified' | 'failed' | 'unchanged';

/** One rollback run of a deployment: `cairn rollback --deployment ID` (or the server, or an automatic one). */
export interface RollbackRecord {
  readonly id: string;
  readonly deployment: string;
  readonly status: RollbackStatus;
  readonly startedAt: string; // ISO
  readonly finishedAt: string | null;
  readonly actor: string;
  readonly dryRun: boolean;
  readonly error: string | null;
}

/** Where one item of a rollback is: written before and after each step, so a re-run knows what is left. */
export interface RollbackItemRecord {
  readonly rollback: string;
  readonly item: string;
  /** Its place in the rollback's order (bundle members adjacent). */
  readonly position: number;
  readonly snapshotId: string | null;
  /** The restore target as describeTarget renders it ("" when the item has none). */
  readonly target: string;
  readonly state: RollbackItemState;
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly updatedAt: string; // ISO
}

/** A rollback run and its items in order. */
export interface RollbackRun extends RollbackRecord {
  readonly items: readonly RollbackItemRecord[];
  /** Who runs it now ("host pid token") and until when (ISO); null when nobody does. */
  readonly leaseHolder: string | null;
  readonly leaseUntil: string | null;
}

/** What claim() found: the lease is ours now, or who holds it. */
export type LeaseClaim =
  | { readonly claimed: true }
  | { readonly claimed: false; readonly holder: string | null; readonly until: string | null };

/** The rollback runs of deployments and the state of each item in them (the release layer's record). */
export interface Rollbacks {
  /** CAIRN_E_EXISTS when the id is taken. */
  create(record: RollbackRecord): Promise<void>;
  get(id: string): Promise<RollbackRun | undefined>;
  /** The newest run of the deployment (by start time, then id). */
  latestFor(deployment: string): Promise<RollbackRun | undefined>;
  /** Inserts or replaces the item's row of its rollback. */
  setItem(record: RollbackItemRecord): Promise<void>;
  /**
   * Compare-and-set: makes `holder` the run's lease holder until `until` when nobody holds a lease that
   * is still valid at `now`, or when the holder is `takeOver` (a holder known to be dead). The database
   * decides, so of two concurrent claims one wins.
   */
  claim(id: string, holder: string, until: string, now: string, takeOver?: string): Promise<LeaseClaim>;
  /** The runs of the deployment whose lease is still valid at `now` (ids, holders, until). */
  leasedFor(
    deployment: string,
    now: string,
  ): Promise<{ readonly id: string; readonly holder: string; readonly until: string }[]>;
  /** Extends the holder's lease; false when it is not the holder any more. */
  renew(id: string, holder: string, until: string): Promise<boolean>;
  /** Gives the lease up (nothing when `holder` does not hold it). */
  release(id: string, holder: string): Promise<void>;
  /** CAIRN_E_NOT_FOUND when there is no such run. */
  setStatus(
    id: string,
    status: RollbackStatus,
    fields?: { finishedAt?: string | null; error?: string | null },
  ): Promise<void>;
}

interface RollbacksTable {
  id: string;
  deployment: string;
  status: string;
  started_at: string;
  finished_at: string | null;
  actor: string;
  dry_run: number;
  error: string | null;
  lease_holder: string | null;
  lease_until: string | null;
}

interface RollbackItemsTable {
  rollback: string;
  item: string;
  position: number;
  snapshot_id: string | null;
  target: string;
  state: string;
  error: string | null;
  updated_at: string;
}

type Tables = { rollbacks: RollbacksTable; rollback_items: RollbackItemsTable };
type Db = Kysely<CatalogDatabase & Tables>;

export class KyselyRollbacks implements Rollbacks {
  readonly #db: Db;

  constructor(db: Kysely<CatalogDatabase>) {
    this.#db = db.withTables<Tables>();
  }

  async create(r: RollbackRecord): Promise<void> {
    const taken = await this.#db.selectFrom('rollbacks').select('id').where('id', '=', r.id).executeTakeFirst();
    if (taken) throw new CairnError('CAIRN_E_EXISTS', `rollback ${r.id} exists already`, { rollback: r.id });
    await this.#db
      .insertInto('rollbacks')
      .values({
        id: r.id,
        deployment: r.deployment,
        status: r.status,
        started_at: iso(r.startedAt),
        finished_at: r.finishedAt === null ? null : iso(r.finishedAt),
        actor: r.actor,
        dry_run: r.dryRun ? 1 : 0,
        error: r.error,
        lease_holder: null,
        lease_until: null,
      })
      .execute();
  }

  async get(id: string): Promise<RollbackRun | undefined> {
    const row = await this.#db.selectFrom('rollbacks').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? this.#withItems(row) : undefined;
  }

  async latestFor(deployment: string): Promise<RollbackRun | undefined> {
    const row = await this.#db
      .selectFrom('rollbacks')
      .selectAll()
      .where('deployment', '=', deployment)
      .orderBy('started_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? this.#withItems(row) : undefined;
  }

  async setItem(r: RollbackItemRecord): Promise<void> {
    const row: RollbackItemsTable = {
      rollback: r.rollback,
      item: r.item,
      position: r.position,
      snapshot_id: r.snapshotId,
      target: r.target,
      state: r.state,
      error: r.error === null ? null : JSON.stringify({ code: r.error.code, message: r.error.message }),
      updated_at: iso(r.updatedAt),
    };
    await this.#db
      .insertInto('rollback_items')
      .values(row)
      .onConflict((oc) =>
        oc.columns(['rollback', 'item']).doUpdateSet((eb) => ({
          position: eb.ref('excluded.position'),
          snapshot_id: eb.ref('excluded.snapshot_id'),
          target: eb.ref('excluded.target'),
          state: eb.ref('excluded.state'),
          error: eb.ref('excluded.error'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }

  async claim(id: string, holder: string, until: string, now: string, takeOver?: string): Promise<LeaseClaim> {
    const result = await this.#db
      .updateTable('rollbacks')
      .set({ lease_holder: holder, lease_until: iso(until) })
      .where('id', '=', id)
      .where((eb) => {
        const free = [
          eb('lease_until', 'is', null),
          eb('lease_until', '<=', iso(now)),
          eb('lease_holder', '=', holder),
        ];
        if (takeOver !== undefined) free.push(eb('lease_holder', '=', takeOver));
        return eb.or(free);
      })
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 1) return { claimed: true };
    const row = await this.#db
      .selectFrom('rollbacks')
      .select(['lease_holder', 'lease_until'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new CairnError('CAIRN_E_NOT_FOUND', `no rollback ${id}`, { rollback: id });
    return { claimed: false, holder: row.lease_holder, until: row.lease_until };
  }

  async leasedFor(deployment: string, now: string): Promise<{ id: string; holder: string; until: string }[]> {
    const rows = await this.#db
      .selectFrom('rollbacks')
      .select(['id', 'lease_holder', 'lease_until'])
      .where('deployment', '=', deployment)
      .where('lease_holder', 'is not', null)
      .where('lease_until', '>', iso(now))
      .orderBy('id')
      .execute();
    return rows.map((r) => ({ id: r.id, holder: r.lease_holder ?? '', until: r.lease_until ?? '' }));
  }

  async renew(id: string, holder: string, until: string): Promise<boolean> {
    const result = await this.#db
      .updateTable('rollbacks')
      .set({ lease_until: iso(until) })
      .where('id', '=', id)
      .where('lease_holder', '=', holder)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async release(id: string, holder: string): Promise<void> {
    await this.#db
      .updateTable('rollbacks')
      .set({ lease_holder: null, lease_until: null })
      .where('id', '=', id)
      .where('lease_holder', '=', holder)
      .execute();
  }

  async setStatus(
    id: string,
    status: RollbackStatus,
    fields: { finishedAt?: string | null; error?: string | null } = {},
  ): Promise<void> {
    const result = await this.#db
      .updateTable('rollbacks')
      .set({
        status,
        ...(fields.finishedAt !== undefined ? { finished_at: fields.finishedAt && iso(fields.finishedAt) } : {}),
        ...(fields.error !== undefined ? { error: fields.error } : {}),
      })
      .where('id', '=', id)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) {
      throw new CairnError('CAIRN_E_NOT_FOUND', `no rollback ${id}`, { rollback: id });
    }
  }

  async #withItems(row: RollbacksTable): Promise<RollbackRun> {
    const items = await this.#db
      .selectFrom('rollback_items')
      .selectAll()
      .where('rollback', '=', row.id)
      .orderBy('position')
      .orderBy('item')
      .execute();
    return {
      id: row.id,
      deployment: row.deployment,
      status: row.status as RollbackStatus,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
      actor: row.actor,
      dryRun: Number(row.dry_run) === 1,
      error: row.error,
      leaseHolder: row.lease_holder ?? null,
      leaseUntil: row.lease_until ?? null,
      items: items.map((i) => ({
        rollback: i.rollback,
        item: i.item,
        position: Number(i.position),
        snapshotId: i.snapshot_id,
        target: i.target,
        state: i.state as RollbackItemState,
        error: i.error === null ? null : (JSON.parse(i.error) as { code: string; message: string }),
        updatedAt: i.updated_at,
      })),
    };
  }
}

function iso(value: string): string {
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new CairnError('CAIRN_E_CATALOG', `rollback time ${JSON.stringify(value)} is not a time`);
  return new Date(t).toISOString();
}
