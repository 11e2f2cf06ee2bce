import type { Kysely } from 'kysely';
import { CairnError } from '../errors/index.js';
import { batches } from './batches.js';
import type { CatalogDatabase } from './schema.js';

export type DeploymentStatus = 'started' | 'succeeded' | 'failed' | 'rolling-back' | 'rolled-back' | 'rollback-failed';
export type DeploymentSource = 'cli' | 'api' | 'github' | 'gitlab' | 'generic';

/** A change ticket as the provider reported it when it was checked (C3.3). */
export interface TicketState {
  readonly id: string;
  readonly provider: string;
  readonly state: string | null;
  readonly approval: string | null;
  readonly start: string | null; // ISO
  readonly end: string | null; // ISO
  readonly approved: boolean;
  readonly inWindow: boolean;
  readonly checkedAt: string; // ISO
}

/** One `requires` rule checked on a bundle (C4.5). */
export interface RequirementResult {
  readonly item: string;
  readonly requires: string;
  readonly range: string | null;
  readonly when: string | null;
  readonly version: string | null; // this item's own version (what `when` is tested against), when read
  readonly requiredVersion: string | null; // the required item's version found
  readonly ok: boolean;
  readonly reason: string;
}

export interface DeploymentRecord {
  readonly id: string;
  readonly environment: string;
  readonly release: string | null;
  readonly commit: string | null;
  readonly change: string | null;
  readonly pipeline: string | null;
  readonly status: DeploymentStatus;
  readonly source: DeploymentSource;
  readonly externalId: string | null;
  readonly actor: string;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly reason: string | null;
  readonly ticket: TicketState | null;
  readonly requirements: readonly RequirementResult[];
}

export interface BundleEntry {
  readonly deployment: string;
  readonly phase: 'pre' | 'post';
  readonly item: string;
  readonly snapshotId: string | null;
  readonly verificationId: string | null;
  /** The snapshot's ItemStatus (created, unchanged, partial, failed), or `pending` while the capture runs. */
  readonly status: string;
  readonly error: string | null;
}

export interface DeploymentFilter {
  readonly environment?: string;
  readonly release?: string;
  readonly status?: DeploymentStatus;
  readonly limit?: number;
}

/** The deployments of environments and the snapshots taken around each (the release layer's record). */
export interface Deployments {
  /** CAIRN_E_EXISTS when the id, or the (source, externalId) pair, is taken. */
  create(record: DeploymentRecord): Promise<void>;
  get(id: string): Promise<DeploymentRecord | undefined>;
  findExternal(source: DeploymentSource, externalId: string): Promise<DeploymentRecord | undefined>;
  /** Newest first. */
  list(filter?: DeploymentFilter): Promise<DeploymentRecord[]>;
  /**
   * With `expected`, a compare-and-set: the status changes only if it is still one of those, else
   * CAIRN_E_EXISTS with the current status in details (another writer got there first).
   * CAIRN_E_NOT_FOUND when there is no such deployment.
   */
  setStatus(
    id: string,
    status: DeploymentStatus,
    fields?: { finishedAt?: string | null; reason?: string | null },
    expected?: readonly DeploymentStatus[],
  ): Promise<void>;
  /** The `requires` results, written once the pre-deploy bundle they are checked on is taken. */
  setRequirements(id: string, requirements: readonly RequirementResult[]): Promise<void>;
  /** Replaces the entries of the same (deployment, phase, item). */
  putBundle(entries: readonly BundleEntry[]): Promise<void>;
  bundle(id: string, phase?: 'pre' | 'post'): Promise<BundleEntry[]>;
  /** The newest deployment of the environment (of that release, when given). */
  latest(environment: string, release?: string): Promise<DeploymentRecord | undefined>;
}

export interface DeploymentsTable {
  id: string;
  environment: string;
  release: string | null;
  commit: string | null;
  change: string | null;
  pipeline: string | null;
  status: string;
  source: string;
  external_id: string | null;
  actor: string;
  started_at: string;
  finished_at: string | null;
  reason: string | null;
  ticket: string | null;
  requirements: string;
}

export interface DeploymentBundlesTable {
  deployment: string;
  phase: string;
  item: string;
  snapshot_id: string | null;
  verification_id: string | null;
  status: string;
  error: string | null;
}

type Tables = { deployments: DeploymentsTable; deployment_bundles: DeploymentBundlesTable };
type Db = Kysely<CatalogDatabase & Tables>;

export class KyselyDeployments implements Deployments {
  readonly #db: Db;

  constructor(db: Kysely<CatalogDatabase>) {
    this.#db = db.withTables<Tables>();
  }

  async create(record: DeploymentRecord): Promise<void> {
    const taken = await this.get(record.id);
    if (taken) throw exists(`deployment ${record.id} exists already (${taken.status})`, taken);
    if (record.externalId !== null) {
      const same = await this.findExternal(record.source, record.externalId);
      if (same)
        throw exists(`${record.source} deployment ${record.externalId} is recorded already as ${same.id}`, same);
    }
    try {
      await this.#db.insertInto('deployments').values(toRow(record)).execute();
    } catch (err) {
      // Another writer won the race between the look-up and the insert: the constraint decides.
      const again =
        (await this.get(record.id)) ??
        (record.externalId && (await this.findExternal(record.source, record.externalId)));
      if (again) throw exists(`deployment ${again.id} exists already (${again.status})`, again);
      throw err;
    }
  }

  async get(id: string): Promise<DeploymentRecord | undefined> {
    const row = await this.#db.selectFrom('deployments').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async findExternal(source: DeploymentSource, externalId: string): Promise<DeploymentRecord | undefined> {
    const row = await this.#db
      .selectFrom('deployments')
      .selectAll()
      .where('source', '=', source)
      .where('external_id', '=', externalId)
      .executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async list(filter: DeploymentFilter = {}): Promise<DeploymentRecord[]> {
    let q = this.#db.selectFrom('deployments').selectAll();
    if (filter.environment !== undefined) q = q.where('environment', '=', filter.environment);
    if (filter.release !== undefined) q = q.where('release', '=', filter.release);
    if (filter.status !== undefined) q = q.where('status', '=', filter.status);
    q = q.orderBy('started_at', 'desc').orderBy('id', 'desc');
    if (filter.limit !== undefined) q = q.limit(filter.limit);
    return (await q.execute()).map(fromRow);
  }

  async setStatus(
    id: string,
    status: DeploymentStatus,
    fields: { finishedAt?: string | null; reason?: string | null } = {},
    expected?: readonly DeploymentStatus[],
  ): Promise<void> {
    let q = this.#db
      .updateTable('deployments')
      .set({
        status,
        ...(fields.finishedAt !== undefined ? { finished_at: fields.finishedAt && iso(fields.finishedAt) } : {}),
        ...(fields.reason !== undefined ? { reason: fields.reason } : {}),
      })
      .where('id', '=', id);
    if (expected !== undefined) q = q.where('status', 'in', expected.length ? [...expected] : ['']);
    const result = await q.executeTakeFirst();
    if (Number(result.numUpdatedRows) > 0) return;
    const now = expected !== undefined ? await this.get(id) : undefined;
    if (now)
      throw exists(
        `deployment ${id} is ${now.status}${now.finishedAt ? ` since ${now.finishedAt}` : ''}, not ${expected?.join(' or ')}: it cannot become ${status} (another request changed it first)`,
        now,
      );
    throw new CairnError('CAIRN_E_NOT_FOUND', `no deployment ${id}`, { deployment: id });
  }

  async setRequirements(id: string, requirements: readonly RequirementResult[]): Promise<void> {
    const result = await this.#db
      .updateTable('deployments')
      .set({ requirements: JSON.stringify(requirements) })
      .where('id', '=', id)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0)
      throw new CairnError('CAIRN_E_NOT_FOUND', `no deployment ${id}`, { deployment: id });
  }

  async putBundle(entries: readonly BundleEntry[]): Promise<void> {
    const rows = [...new Map(entries.map((e) => [`${e.deployment}\0${e.phase}\0${e.item}`, bundleRow(e)])).values()];
    await this.#db.transaction().execute(async (trx) => {
      for (const batch of batches(rows)) {
        await trx
          .insertInto('deployment_bundles')
          .values(batch)
          .onConflict((oc) =>
            oc.columns(['deployment', 'phase', 'item']).doUpdateSet((eb) => ({
              snapshot_id: eb.ref('excluded.snapshot_id'),
              verification_id: eb.ref('excluded.verification_id'),
              status: eb.ref('excluded.status'),
              error: eb.ref('excluded.error'),
            })),
          )
          .execute();
      }
    });
  }

  async bundle(id: string, phase?: 'pre' | 'post'): Promise<BundleEntry[]> {
    let q = this.#db.selectFrom('deployment_bundles').selectAll().where('deployment', '=', id);
    if (phase) q = q.where('phase', '=', phase);
    const rows = await q.orderBy('phase', 'desc').orderBy('item').execute();
    return rows.map((r) => ({
      deployment: r.deployment,
      phase: r.phase === 'post' ? 'post' : 'pre',
      item: r.item,
      snapshotId: r.snapshot_id,
      verificationId: r.verification_id,
      status: r.status,
      error: r.error,
    }));
  }

  async latest(environment: string, release?: string): Promise<DeploymentRecord | undefined> {
    const [hit] = await this.list({ environment, ...(release !== undefined ? { release } : {}), limit: 1 });
    return hit;
  }
}

function exists(message: string, found: DeploymentRecord): CairnError {
  return new CairnError('CAIRN_E_EXISTS', message, { deployment: found.id, status: found.status });
}

function iso(value: string): string {
  const t = Date.parse(value);
  if (Number.isNaN(t))
    throw new CairnError('CAIRN_E_CATALOG', `deployment time ${JSON.stringify(value)} is not a time`);
  return new Date(t).toISOString();
}

function toRow(r: DeploymentRecord): DeploymentsTable {
  return {
    id: r.id,
    environment: r.environment,
    release: r.release,
    commit: r.commit,
    change: r.change,
    pipeline: r.pipeline,
    status: r.status,
    source: r.source,
    external_id: r.externalId,
    actor: r.actor,
    started_at: iso(r.startedAt),
    finished_at: r.finishedAt === null ? null : iso(r.finishedAt),
    reason: r.reason,
    ticket: r.ticket === null ? null : JSON.stringify(r.ticket),
    requirements: JSON.stringify(r.requirements),
  };
}

function fromRow(r: DeploymentsTable): DeploymentRecord {
  return {
    id: r.id,
    environment: r.environment,
    release: r.release,
    commit: r.commit,
    change: r.change,
    pipeline: r.pipeline,
    status: r.status as DeploymentStatus,
    source: r.source as DeploymentSource,
    externalId: r.external_id,
    actor: r.actor,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    reason: r.reason,
    ticket: r.ticket === null ? null : (JSON.parse(r.ticket) as TicketState),
    requirements: JSON.parse(r.requirements) as RequirementResult[],
  };
}

function bundleRow(e: BundleEntry): DeploymentBundlesTable {
  return {
    deployment: e.deployment,
    phase: e.phase,
    item: e.item,
    snapshot_id: e.snapshotId,
    verification_id: e.verificationId,
    status: e.status,
    error: e.error,
  };
}
