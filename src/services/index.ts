/**
 * services/ — the use cases, and the only place that combines layers: CLI and server call these,
 * so the two never disagree. Services take what they need (a Repository, a Catalog, a Policy),
 * report progress through a sink, and return plain data for the caller to render.
 */
export {
  AlertCenter,
  type AlertCenterOptions,
  alertMessage,
  type BackupOutcome,
  backupFailedKey,
  checkCoverageAlerts,
  type DeliveryCounts,
  MONITOR_IDENTITY,
  outOfRpoKey,
  type RaiseInput,
  recordBackupOutcome,
  recordSnapshotOutcomes,
} from './alerts/index.js';
export { verifyAuditTrail } from './audit-verify.js';
export { CANARY_IDENTITY, type CanaryOptions, canaryPolicy, canaryTimeoutMs, runCanary } from './canary.js';
export { rebuildCatalog, syncCatalog } from './catalog-sync.js';
export { checkChangeTicket, type TicketCheck, type TicketState, ticketRequired } from './change-tickets/index.js';
export { type CheckReport, type CheckRequest, checkRepository } from './check.js';
export { checkLocks, type LockFinding, type LockReport } from './check-locks.js';
export {
  type CoverageReport,
  type CoverageRow,
  type CoverageStatus,
  coverage,
  FAILING_COVERAGE,
} from './coverage.js';
export {
  CAPTURE_FAILED,
  type DeploymentFilterInput,
  type DeploymentView,
  type FailedDeploymentView,
  failAndRollBack,
  failDeployment,
  finishDeployment,
  listDeployments,
  type StartDeploymentInput,
  showDeployment,
  startDeployment,
} from './deploy.js';
export { type Change, type DiffResult, diffSnapshots } from './diff.js';
export {
  type CompareOptions,
  compareLive,
  type DriftChange,
  type DriftReport,
  driftCheck,
  type ItemDrift,
  latestDrift,
} from './drift.js';
export {
  type DrillResultWithWarnings,
  type DrillRunOptions,
  drillPlan,
  isolationAvailable,
  listGaps,
  openGapWarnings,
  runDrill,
  type SignOffInput,
  signOffDrill,
} from './drill/index.js';
export { environmentItems, knownEnvironment } from './environments.js';
export { type ForgetResult, forgetByPolicy, forgetSnapshots, removalAuditDetails } from './forget.js';
export { evaluateGate, type GateCheck, type GateItem, type GateReport } from './gate.js';
export {
  type Governance,
  type GovernanceOptions,
  openGovernance,
  operatingSystemIdentity,
  repositorySealer,
} from './governance.js';
export {
  addHold,
  type HoldRecord,
  type HoldResult,
  type ReleaseResult,
  readHolds,
  refuseLocalRelease,
  removeHold,
} from './hold.js';
export { type ListedEntry, listSnapshot } from './ls.js';
export { noProgress, type Progress, type ProgressSink } from './progress.js';
export { type PruneResult, prune } from './prune.js';
export { type RepairResult, repairFromReplica } from './repair.js';
export { openReplica, type ReplicateResult, replicateRepository } from './replicate.js';
export { type AfterSnapshotReplication, openReplicaChecked, replicateAfterSnapshot } from './replicate-after.js';
export { type ItemLag, type ReplicationStatus, replicationStatus } from './replication-status.js';
export {
  type BuildReportOptions,
  buildMonthlyReport,
  checkSignature,
  type Evidence,
  type Figure,
  type FigureDifference,
  type GeneratedReport,
  generateReport,
  type MonthlyReport,
  parseMonth,
  parseReportFile,
  REPORT_FORMATS,
  type ReportFormat,
  type ReportVerifyResult,
  recordReportGenerated,
  renderReport,
  type SignedReport,
  signReport,
  verifyReportFile,
} from './report/index.js';
export {
  addRepositoryKey,
  initRepository,
  listRepositoryKeys,
  removeRepositoryKey,
  rotateRepositoryKey,
} from './repository-admin.js';
export { evaluateRequirements, type RequirementResult, readItemVersion } from './requirements.js';
export { resolveSnapshot, type SnapshotSelector } from './resolve.js';
export { type RestoreRequest, type RestoreResult, restoreSnapshot } from './restore.js';
export { restoreToTarget, type TargetRestoreResult } from './restore-target.js';
export {
  type RollbackEvent,
  type RollbackInput,
  type RollbackItem,
  type RollbackResult,
  rollbackDeployment,
} from './rollback.js';
export { type PlannedItem, planRollback } from './rollback-plan.js';
export { type RunOptions, runMetadata } from './run-metadata.js';
export { RUNBOOK_SNAPSHOTS, type RunbookFile, type Runbooks, renderRunbooks, writeRunbooks } from './runbook.js';
export {
  type DueRun,
  dueAt,
  dueRun,
  hasSeconds,
  type LastRun,
  type Lateness,
  lateness,
  latestSlot,
  nextSlot,
  type PlannedSchedule,
  planSchedules,
  slotsBetween,
  windowOpen,
} from './schedule-plan.js';
export {
  type DrillOverdue,
  drillOverdue,
  failuresInARow,
  type ScheduleState,
  type SchedulesReport,
  type ScheduleView,
  scheduleStatus,
} from './schedule-status.js';
export { parseSearchTime, type SearchOptions, searchFilter, TRIGGERS } from './search.js';
export { openCatalogOf, openRepository, openSession, type Session, type SessionOptions } from './session.js';
export { type ItemResult, type SnapshotRequest, selectItems, takeSnapshots } from './snapshot.js';
export {
  type GroupStats,
  type ItemStats,
  repositoryStats,
  type StatsReport,
  type StatsRequest,
  type TierStats,
} from './stats.js';
export { type Period, parsePeriod } from './stats-projection.js';
