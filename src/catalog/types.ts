import type { AccessStore } from './access-types.js';
import type { AuditStore } from './audit-types.js';
import type { Deployments } from './deployments.js';
import type { DriftChecks } from './drift-checks.js';
import type { GateQueries } from './gate-queries.js';
import type { AlertRecords, CanaryRuns, CoverageQueries, DrillRecords, ItemHealth } from './monitoring-types.js';
import type { ObjectLocks } from './object-locks.js';
import type { ReplicationQueries } from './replication-queries.js';
import type { ReportQueries } from './report-queries.js';
import type { Rollbacks } from './rollbacks.js';
import type { ScheduleRuns } from './schedule-runs.js';
import type { StatsQueries } from './stats-queries.js';
import type { WebhookDeliveries } from './webhook-deliveries.js';
/**
 * What the catalog stores. It is an index over the repository: every row here can be recreated
 * from repository objects alone (`cairn catalog rebuild`).
 */

export type SnapshotStatus = 'complete' | 'partial';
export type Trigger = 'pre-deploy' | 'post-deploy' | 'scheduled' | 'manual' | 'rollback';

/** Metadata a snapshot or a verification is taken with (C4.1, C4.2, C3.6). */
export interface RunMetadata {
  readonly item: string;
  readonly environment: string | null;
  readonly tier: string | null;
  readonly component: string | null;
  readonly trigger: Trigger;
  readonly release: string | null;
  readonly commit: string | null;
  readonly change: string | null;
  readonly deployment: string | null;
  readonly pipeline: string | null; // CI run URL
  readonly actor: string;
  readonly host: string;
  readonly time: string; // ISO 8601, UTC, millisecond precision
}

export interface SnapshotRecord extends RunMetadata {
  readonly id: string; // 64 hex
  readonly parent: string | null;
  readonly tree: string;
  readonly contentHash: string;
  readonly status: SnapshotStatus;
  readonly files: number;
  readonly bytes: number; // logical size of all files
  readonly addedBytes: number; // bytes stored by this snapshot after dedup and compression
  readonly retainUntil: string | null; // ISO
  readonly unreadable: readonly string[]; // paths that could not be read (partial)
}

/** An unchanged state recorded as verified against an existing snapshot (C3.4). */
export interface VerificationRecord extends RunMetadata {
  readonly id: string; // 64 hex
  readonly snapshotId: string;
}

/**
 * Every given criterion must hold. environment, release, commit, change, deployment, trigger, actor,
 * since and until are met by one run: the snapshot's own, or one of its verifications'. An empty
 * `ids` or `item` list matches nothing.
 */
export interface SnapshotFilter {
  readonly ids?: readonly string[];
  readonly item?: readonly string[]; // any of these items
  readonly environment?: string;
  readonly tier?: string;
  readonly release?: string;
  readonly commit?: string; // a prefix of the commit hash (at least 4 characters), case-sensitive
  readonly change?: string;
  readonly deployment?: string;
  readonly trigger?: Trigger;
  readonly actor?: string;
  readonly since?: Date; // inclusive
  readonly until?: Date; // exclusive: since..until is a half-open interval, so months tile
  readonly status?: SnapshotStatus;
  readonly limit?: number; // the newest `limit` hits
}

/**
 * A search hit. A snapshot matches when its own metadata matches, or when one of its verifications
 * does (the unchanged state was verified under that release/commit/change); the matching
 * verifications are listed, newest first.
 */
export interface SnapshotHit extends SnapshotRecord {
  readonly verifications: readonly VerificationRecord[];
}

export interface ItemRecord {
  readonly name: string;
  readonly owner: string;
  readonly tier: string;
  readonly environment: string | null;
  readonly component: string | null;
}

export interface Catalog {
  readonly dialect: 'sqlite' | 'postgres';
  /** The audit log's events, checkpoints state and SIEM cursors (the audit layer's record, not an index). */
  readonly audit: AuditStore;
  /** Tokens, role grants, approval requests and MFA enrolments (the access layer's record, not an index). */
  readonly access: AccessStore;
  /** Sizing sums and counts for `cairn stats`, aggregated by the database. */
  readonly stats: StatsQueries;
  /** Per item, which snapshots a replica has, compared by the database (`cairn replicate --status`). */
  readonly replication: ReplicationQueries;
  /** A lower bound of the locks on repository objects: what Cairn set, extended or saw (an index, not a record). */
  readonly locks: ObjectLocks;
  /** The runs of `cairn serve`'s schedules: one row per (schedule key, slot), claimed by one replica. */
  readonly schedules: ScheduleRuns;
  /** `cairn drift` checks: what differed per item and when (the drift layer's record, not an index). */
  readonly drift: DriftChecks;
  /** Many-item lookups for the release gate and drift: pre-deploy captures of a release, latest complete snapshots. */
  readonly gate: GateQueries;
  /** Rollbacks of deployments and each item's state in them, so an interrupted one resumes (the release layer's record). */
  readonly rollbacks: Rollbacks;
  /** Deployments and their pre/post-deploy bundles (the release layer's record, not an index). */
  readonly deployments: Deployments;
  /** Inbound webhook deliveries by (provider, delivery id): the claim that makes them idempotent. */
  readonly webhooks: WebhookDeliveries;
  /** The monthly report's facts: the month's snapshots, captures and audit events, filtered and counted by the database. */
  readonly reports: ReportQueries;
  /** Recovery drills, their sign-offs and the gaps they found (the drill layer's record, not an index). */
  readonly drills: DrillRecords;
  /** Alerts, deduplicated while unresolved, and their deliveries to sinks (the alert layer's record). */
  readonly alerts: AlertRecords;
  /** The failure streak of each (item, environment)'s backups. */
  readonly health: ItemHealth;
  /** The rounds of `cairn serve`'s canary. */
  readonly canary: CanaryRuns;
  /** Per (item, environment), the newest complete snapshot and capture, found by the database. */
  readonly coverage: CoverageQueries;
  /** Runs pending migrations; called by openCatalog. */
  migrate(): Promise<void>;
  putSnapshot(record: SnapshotRecord): Promise<void>; // idempotent on id
  putVerification(record: VerificationRecord): Promise<void>; // idempotent on id
  /** By full id or unique prefix (≥ 4 hex chars); undefined when none; CAIRN_E_AMBIGUOUS when several. */
  getSnapshot(idOrPrefix: string): Promise<SnapshotRecord | undefined>;
  /** Newest first (time, then id). */
  findSnapshots(filter: SnapshotFilter): Promise<SnapshotHit[]>;
  latestSnapshot(item: string): Promise<SnapshotRecord | undefined>;
  /** How many snapshots each item has in each status (counted by the database, not by reading rows). */
  snapshotCounts(): Promise<Array<{ item: string; status: string; count: number }>>;
  /** Every snapshot and verification id, and nothing else (catalog sync on every command). */
  knownIds(): Promise<{ snapshots: string[]; verifications: string[] }>;
  /** Removes the snapshot and its verifications. */
  deleteSnapshot(id: string): Promise<void>;
  verificationsOf(snapshotId: string): Promise<VerificationRecord[]>;
  upsertItems(items: readonly ItemRecord[]): Promise<void>;
  listItems(): Promise<ItemRecord[]>;
  /** Replaces every snapshot and verification row in one transaction (catalog rebuild). */
  replaceAll(snapshots: readonly SnapshotRecord[], verifications: readonly VerificationRecord[]): Promise<void>;
  /** Catalog-local settings, e.g. the repository id this catalog indexes. */
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
  close(): Promise<void>;
}
