import type { Kysely } from 'kysely';
import { CairnError } from '../errors/index.js';
import { KyselyAccessStore } from './access-store.js';
import { KyselyAlertRecords } from './alert-records.js';
import { KyselyAuditStore } from './audit-store.js';
import { batches } from './batches.js';
import { KyselyCanaryRuns } from './canary-runs.js';
import { knownIds, snapshotCounts } from './count-queries.js';
import { KyselyCoverageQueries } from './coverage-queries.js';
import { KyselyDeployments } from './deployments.js';
import { KyselyDriftChecks } from './drift-checks.js';
import { KyselyDrillRecords } from './drill-records.js';
import { KyselyGateQueries } from './gate-queries.js';
import { KyselyItemHealth } from './item-health.js';
import { runMigrations } from './migrate.js';
import type { CatalogDialect } from './migrations/index.js';
import { KyselyObjectLocks } from './object-locks.js';
import { KyselyReplicationQueries } from './replication-queries.js';
import { KyselyReportQueries } from './report-queries.js';
import { KyselyRollbacks } from './rollbacks.js';
import { itemFromRow, itemToRow, snapshotToRow, verificationToRow } from './rows.js';
import { KyselyScheduleRuns } from './schedule-runs.js';
import type { CatalogDatabase } from './schema.js';
import * as snapshots from './snapshot-queries.js';
import { KyselyStatsQueries } from './stats-queries.js';
import type { Catalog, ItemRecord, SnapshotFilter, SnapshotHit, SnapshotRecord, VerificationRecord } from './types.js';
import { KyselyWebhookDeliveries } from './webhook-deliveries.js';

/** The Catalog over a Kysely instance; every query here runs unchanged on SQLite and PostgreSQL. */
export class KyselyCatalog implements Catalog {
  readonly dialect: CatalogDialect;
  readonly #db: Kysely<CatalogDatabase>;
  readonly #schema: string | undefined;
  #closed = false;
  readonly audit: KyselyAuditStore;
  readonly access: KyselyAccessStore;
  readonly stats: KyselyStatsQueries;
  readonly replication: KyselyReplicationQueries;
  readonly locks: KyselyObjectLocks;
  readonly schedules: KyselyScheduleRuns;
  readonly drift: KyselyDriftChecks;
  readonly gate: KyselyGateQueries;
  readonly rollbacks: KyselyRollbacks;
  readonly deployments: KyselyDeployments;
  readonly webhooks: KyselyWebhookDeliveries;
  readonly drills: KyselyDrillRecords;
  readonly alerts: KyselyAlertRecords;
  readonly health: KyselyItemHealth;
  readonly canary: KyselyCanaryRuns;
  readonly coverage: KyselyCoverageQueries;
  readonly reports: KyselyReportQueries;

  constructor(db: Kysely<CatalogDatabase>, dialect: CatalogDialect, schema: string | undefined) {
    this.#db = db;
    this.dialect = dialect;
    this.#schema = schema;
    this.audit = new KyselyAuditStore(db, dialect);
    this.access = new KyselyAccessStore(db, dialect);
    this.stats = new KyselyStatsQueries(db);
    this.replication = new KyselyReplicationQueries(db, dialect);
    this.locks = new KyselyObjectLocks(db);
    this.schedules = new KyselyScheduleRuns(db);
    this.drift = new KyselyDriftChecks(db);
    this.gate = new KyselyGateQueries(db);
    this.rollbacks = new KyselyRollbacks(db);
    this.deployments = new KyselyDeployments(db);
    this.webhooks = new KyselyWebhookDeliveries(db);
    this.drills = new KyselyDrillRecords(db);
    this.alerts = new KyselyAlertRecords(db, dialect);
    this.health = new KyselyItemHealth(db);
    this.canary = new KyselyCanaryRuns(db);
    this.coverage = new KyselyCoverageQueries(db);
    this.reports = new KyselyReportQueries(db);
  }

  migrate(): Promise<void> {
    return runMigrations(this.#db, this.dialect, this.#schema);
  }

  async putSnapshot(record: SnapshotRecord): Promise<void> {
    await this.#db
      .insertInto('snapshots')
      .values(snapshotToRow(record))
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  async putVerification(record: VerificationRecord): Promise<void> {
    await this.#db
      .insertInto('verifications')
      .values(verificationToRow(record))
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  getSnapshot(idOrPrefix: string): Promise<SnapshotRecord | undefined> {
    return snapshots.getSnapshot(this.#db, idOrPrefix);
  }

  findSnapshots(filter: SnapshotFilter): Promise<SnapshotHit[]> {
    return snapshots.findSnapshots(this.#db, filter);
  }

  latestSnapshot(item: string): Promise<SnapshotRecord | undefined> {
    return snapshots.latestSnapshot(this.#db, item);
  }

  snapshotCounts(): Promise<Array<{ item: string; status: string; count: number }>> {
    return snapshotCounts(this.#db);
  }

  knownIds(): Promise<{ snapshots: string[]; verifications: string[] }> {
    return knownIds(this.#db);
  }

  verificationsOf(snapshotId: string): Promise<VerificationRecord[]> {
    return snapshots.verificationsOf(this.#db, snapshotId);
  }

  async deleteSnapshot(id: string): Promise<void> {
    if (!/^[0-9a-f]{64}$/.test(id)) {
      throw new CairnError('CAIRN_E_USAGE', `deleting a snapshot takes its full id, not ${JSON.stringify(id)}`, { id });
    }
    await this.#db.transaction().execute(async (trx) => {
      await trx.deleteFrom('verifications').where('snapshot_id', '=', id).execute();
      await trx.deleteFrom('snapshots').where('id', '=', id).execute();
    });
  }

  async replaceAll(
    snapshotRecords: readonly SnapshotRecord[],
    verificationRecords: readonly VerificationRecord[],
  ): Promise<void> {
    const snapshotRows = snapshotRecords.map(snapshotToRow);
    const verificationRows = verificationRecords.map(verificationToRow);
    await this.#db.transaction().execute(async (trx) => {
      await trx.deleteFrom('verifications').execute();
      await trx.deleteFrom('snapshots').execute();
      for (const rows of batches(snapshotRows)) {
        await trx
          .insertInto('snapshots')
          .values(rows)
          .onConflict((oc) => oc.column('id').doNothing())
          .execute();
      }
      for (const rows of batches(verificationRows)) {
        await trx
          .insertInto('verifications')
          .values(rows)
          .onConflict((oc) => oc.column('id').doNothing())
          .execute();
      }
    });
  }

  async upsertItems(items: readonly ItemRecord[]): Promise<void> {
    // Last one wins, as on SQLite; PostgreSQL refuses one statement updating a row twice.
    const rows = [...new Map(items.map((item) => [item.name, itemToRow(item)])).values()];
    await this.#db.transaction().execute(async (trx) => {
      for (const batch of batches(rows)) {
        await trx
          .insertInto('items')
          .values(batch)
          .onConflict((oc) =>
            oc.column('name').doUpdateSet((eb) => ({
              owner: eb.ref('excluded.owner'),
              tier: eb.ref('excluded.tier'),
              environment: eb.ref('excluded.environment'),
              component: eb.ref('excluded.component'),
            })),
          )
          .execute();
      }
    });
  }

  async listItems(): Promise<ItemRecord[]> {
    const rows = await this.#db.selectFrom('items').selectAll().orderBy('name').execute();
    return rows.map(itemFromRow);
  }

  async getMeta(key: string): Promise<string | undefined> {
    const row = await this.#db.selectFrom('meta').select('value').where('key', '=', key).executeTakeFirst();
    return row?.value;
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.#db
      .insertInto('meta')
      .values({ key, value })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
      .execute();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#db.destroy();
  }
}
