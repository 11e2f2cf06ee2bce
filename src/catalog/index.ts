/**
 * The catalog: a database (SQLite on one machine, PostgreSQL when several servers share it) that
 * indexes the repository so that snapshots can be searched by item, environment, release, commit,
 * change, deployment and time, and that holds the state of items and catalog-local settings.
 *
 * For snapshots it is an index, never the record: every snapshot and verification row is derived from
 * repository objects and can be thrown away and rebuilt from them (`replaceAll`, behind `cairn catalog
 * rebuild`); write the repository object first, then the row. The audit and access tables are the
 * record of their layers (events, tokens, grants, approvals); a rebuild never touches them, and the
 * audit layer's signed checkpoints in the repository make any later change to them detectable. It does not read or write the repository itself, and the
 * same queries run on both databases, so a feature never works on one and not the other.
 */

export type * from './access-types.js';
export type * from './audit-types.js';
export type {
  BundleEntry,
  DeploymentFilter,
  DeploymentRecord,
  DeploymentSource,
  DeploymentStatus,
  Deployments,
  RequirementResult,
  TicketState,
} from './deployments.js';
export type { DriftChangeRecord, DriftCheckRecord, DriftChecks } from './drift-checks.js';
export type { GateQueries, PreDeployCapture } from './gate-queries.js';
export type * from './monitoring-types.js';
export type { ObjectLocks, ObservedLock, RecordedLock, RecordedLockMode } from './object-locks.js';
export type { CatalogOptions } from './open-catalog.js';
export { openCatalog } from './open-catalog.js';
export { redactUrl } from './redact-url.js';
export type { ItemReplication, ReplicationQueries } from './replication-queries.js';
export type {
  ReportEventRow,
  ReportQueries,
  ReportSnapshotRow,
  ReportVerificationRow,
} from './report-queries.js';
export { isReportEvent, REPORT_EVENTS } from './report-queries.js';
export type {
  LeaseClaim,
  RollbackItemRecord,
  RollbackItemState,
  RollbackRecord,
  RollbackRun,
  RollbackStatus,
  Rollbacks,
} from './rollbacks.js';
export type { ScheduleRunRecord, ScheduleRunStatus, ScheduleRuns } from './schedule-runs.js';
export type { DayFigures, ItemFigures, StatsQueries } from './stats-queries.js';
export type {
  Catalog,
  ItemRecord,
  RunMetadata,
  SnapshotFilter,
  SnapshotHit,
  SnapshotRecord,
  SnapshotStatus,
  Trigger,
  VerificationRecord,
} from './types.js';
export type { WebhookDeliveries, WebhookDelivery, WebhookOutcome, WebhookResult } from './webhook-deliveries.js';
export { HEARTBEAT_MS, STALE_PROCESSING_MS } from './webhook-deliveries.js';
