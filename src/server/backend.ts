import type {
  ItemRecord,
  SnapshotFilter,
  SnapshotHit,
  SnapshotRecord,
  Trigger,
  VerificationRecord,
} from '../catalog/index.js';
import type { PolicyIssue } from '../policy/index.js';
import type {
  CheckReport,
  DiffResult,
  ForgetResult,
  ItemResult,
  ListedEntry,
  PruneResult,
  RestoreResult,
  SnapshotSelector,
} from '../services/index.js';
import type { AccessBackend, ApprovalRequestInput, ApprovalView } from './backend-access.js';
import type { GateBackend } from './backend-gate.js';
import type { HooksBackend } from './backend-hooks.js';
import type { DrillsBackend, MonitoringBackend, MonitoringMetrics } from './backend-monitoring.js';
import type { ReleaseBackend } from './backend-release.js';
import type { ReportsBackend } from './backend-reports.js';
import type { RollbackBackend } from './backend-rollback.js';
import type { ScheduleMetric, SchedulesBackend } from './backend-schedules.js';
import type { SnapshotReplication, StorageBackend } from './backend-storage.js';
import type { Identity } from './deps.js';

/**
 * The use cases the server exposes, one method per route group, taking plain inputs and returning
 * exactly what the CLI prints with `--json`, so that the CLI can talk to a server and render its
 * answers with the renderers it already has. The lead implements it over the services, src/auth
 * and src/audit; the server never opens a repository or a catalog itself.
 */
export interface Backend<I extends Identity = Identity>
  extends RepositoryBackend<I>,
    StorageBackend<I>,
    AccessBackend<I>,
    GateBackend<I>,
    HooksBackend,
    SchedulesBackend,
    ReleaseBackend<I>,
    RollbackBackend<I>,
    DrillsBackend<I>,
    MonitoringBackend<I>,
    ReportsBackend<I> {}

/** Who asked, for the backend's own records (the actor of a snapshot, the requester of an approval). */
export interface Caller<I extends Identity = Identity> {
  /** Exactly what Guard.authenticate returned. */
  readonly identity: I;
  readonly ip: string;
  readonly userAgent: string | null;
  readonly requestId: string;
  readonly changeId: string | null;
}

export interface ReadyCheck {
  readonly ok: boolean;
  readonly message?: string;
}

/** /readyz: can the catalog be queried and the repository reached? Must not throw. */
export interface ReadyReport {
  readonly catalog: ReadyCheck;
  readonly repository: ReadyCheck;
}

/** Catalog-derived gauges, read on every /metrics scrape. */
export interface CatalogMetrics {
  readonly snapshots: ReadonlyArray<{ readonly item: string; readonly status: string; readonly count: number }>;
  readonly items: ReadonlyArray<{
    readonly item: string;
    /** Logical size of the item's newest snapshot. */
    readonly lastSnapshotBytes: number | null;
    /** ISO time of the item's newest snapshot or verification. */
    readonly lastSuccess: string | null;
  }>;
  /** The schedules `cairn serve` runs (absent: no schedule gauges). */
  readonly schedules?: readonly ScheduleMetric[];
  /** Coverage, open alerts, drills and the canary (absent: no monitoring gauges). */
  readonly monitoring?: MonitoringMetrics;
}

/** `cairn policy check --json`. */
export type PolicyCheckResult =
  | {
      readonly valid: true;
      readonly file: string;
      readonly items: number;
      readonly tiers: number;
      readonly exceptions: number;
      readonly issues: readonly PolicyIssue[];
    }
  | { readonly valid: false; readonly file: string; readonly issues: readonly PolicyIssue[] };

/** `cairn snapshot` options. */
export interface SnapshotCreateInput {
  readonly items?: readonly string[];
  readonly environment?: string;
  readonly trigger: Trigger;
  readonly release?: string;
  readonly commit?: string;
  readonly change?: string;
  readonly deployment?: string;
  readonly force: boolean;
}

/** The snapshot a restore selector names, and where its item says it may be restored. */
export interface ResolvedRestore {
  readonly snapshot: string; // full id
  readonly item: string;
  /** The item's `restore.directory` in the policy, absolute; null when it has none. */
  readonly restoreDirectory: string | null;
}

export interface RestoreInput {
  readonly snapshot: string; // full id, from resolveRestore
  readonly target: string; // absolute, already checked against the allowed roots
  readonly include: readonly string[];
  readonly overwrite: boolean;
  readonly dryRun: boolean;
}

export interface KeyView {
  readonly id: string;
  readonly kind: string;
  readonly created: string;
  readonly host: string;
  readonly user: string;
  readonly label?: string;
  readonly kdf?: Readonly<Record<string, unknown>>;
  readonly provider?: { readonly name: string; readonly key: string; readonly address: string };
}

export interface RepositoryBackend<I extends Identity = Identity> {
  ready(): Promise<ReadyReport>;
  metrics(): Promise<CatalogMetrics>;
  /** The parsed policy, with secrets (webhook URLs, sink tokens) removed. */
  policy(): Promise<Readonly<Record<string, unknown>>>;
  checkPolicy(): Promise<PolicyCheckResult>;
  listItems(): Promise<{ items: readonly ItemRecord[] }>;
  /** `cairn snapshots --json`. */
  searchSnapshots(filter: SnapshotFilter): Promise<{ snapshots: readonly SnapshotHit[] }>;
  /** `cairn show ID --json`. */
  showSnapshot(id: string): Promise<SnapshotRecord & { verifications: readonly VerificationRecord[] }>;
  /** `cairn ls ID [PATH] --json`. */
  listFiles(id: string, path: string | undefined): Promise<{ snapshot: string; entries: readonly ListedEntry[] }>;
  /** `cairn diff A B [--patch] --json`. */
  diff(from: string, to: string, opts: { patch: boolean }): Promise<DiffResult>;
  /**
   * `cairn snapshot --json`; the actor is the caller's subject. Replicates afterwards, as the CLI
   * does, when a snapshotted item's tier has `replicate: true`.
   */
  createSnapshots(
    input: SnapshotCreateInput,
    caller: Caller<I>,
  ): Promise<{ snapshots: readonly ItemResult[]; replication?: SnapshotReplication }>;
  resolveRestore(selector: SnapshotSelector): Promise<ResolvedRestore>;
  /** `cairn restore --json`. */
  restore(input: RestoreInput, caller: Caller<I>): Promise<RestoreResult>;
  /** `cairn check --json`. */
  check(input: { readData: boolean; readDataSubsetPct?: number }): Promise<CheckReport>;
  /** `cairn forget --apply-policy [--prune] --json`. */
  forgetByPolicy(
    input: { items?: readonly string[]; dryRun: boolean; prune: boolean },
    caller: Caller<I>,
  ): Promise<ForgetResult & { prune?: PruneResult }>;
  /** `cairn forget ID… --dry-run --json`: what forgetting these would do; removes nothing. */
  previewForget(ids: readonly string[]): Promise<ForgetResult>;
  /** `cairn prune --json`; maxUnused is a fraction (0–1). */
  prune(input: { dryRun: boolean; maxUnused: number }, caller: Caller<I>): Promise<PruneResult>;
  /** `cairn key list --json`. */
  listKeys(): Promise<{ keys: ReadonlyArray<KeyView & { current: boolean }> }>;
  /** `cairn key add --json` with a passphrase. */
  addKey(input: { password: string; label?: string }, caller: Caller<I>): Promise<KeyView>;
  /**
   * A destructive action (forgetting or deleting named snapshots, key removal, retention shortening,
   * legal-hold removal) becomes a request; the backend works out how many approvals it needs (the
   * policy's tiers) and performs it when the last one is granted.
   */
  requestApproval(input: ApprovalRequestInput, caller: Caller<I>): Promise<ApprovalView>;
}
