/**
 * Alerts (C8.1, C8.2): raising, acknowledging, resolving and escalating alerts, their deliveries
 * to the policy's sinks with retries, and the backup-failure streaks that raise them.
 */
export { AlertCenter, type AlertCenterOptions, MONITOR_IDENTITY } from './alert-center.js';
export { DEFAULT_BACKOFF_MS, DEFAULT_GIVE_UP_AFTER_MS, isTransient, retryDelayMs } from './backoff.js';
export { type BackupOutcome, backupFailedKey, recordBackupOutcome, recordSnapshotOutcomes } from './backup-outcome.js';
export { checkCoverageAlerts, outOfRpoKey } from './coverage-alerts.js';
export { alertMessage, type DeliveryCounts } from './delivery.js';
export type { RaiseInput } from './raise-input.js';
