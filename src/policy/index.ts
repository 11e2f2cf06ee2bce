/**
 * The policy layer: cairn.yaml → validated Policy model, plus the rules other layers apply with it
 * (path exclusions, secret detection, retention). Nothing outside src/policy imports its other files.
 */
export type { AlertKind } from './alert-kinds.js';
export { ALERT_KINDS, categoryOfKind, isAlertKind } from './alert-kinds.js';
export { CANARY_DEFAULTS, DRILL_DEFAULTS } from './build-drills.js';
export { DEFAULT_ACCESS_POLICY, DEFAULT_AUDIT_SETTINGS } from './build-governance.js';
export { cronProblem } from './cron.js';
export { DURATION_PATTERN, formatDuration, parseDuration } from './durations.js';
export { BUILTIN_EXCLUDES, makePathFilter } from './exclusions.js';
export { compileJsonSchema, loadJsonSchema } from './json-schema.js';
export { nextWindowStart, parseMaintenanceWindow, windowContains } from './maintenance-windows.js';
export type { LoadedPolicy, PolicyOptions } from './parse.js';
export { formatIssue, loadPolicy, parsePolicy } from './parse.js';
export type { KeepDecision, SnapshotRef } from './retention.js';
export { applyKeepRules, isoWeek, retainUntil } from './retention.js';
export { effectiveSchedule } from './schedules.js';
export { POLICY_SCHEMA_ID, policyJsonSchema } from './schema.js';
export type { SecretFinding, SecretKind } from './secrets.js';
export { findSecrets, isPlaceholder, redactSecrets } from './secrets.js';
export { parseVersion, rangeProblem, satisfies } from './semver.js';
export type * from './types.js';
export { ALERT_CATEGORIES, CANARY_ITEM, PAGERDUTY_EVENTS_URL, ROLES } from './types.js';
