/**
 * The stable alert kinds and the category each belongs to (docs/MONITORING.md, "Alert kinds and
 * categories"). The notifier, the server's alert loop and the monthly report all read them here.
 */
import type { AlertCategory } from './types.js';

export const ALERT_KINDS = Object.freeze({
  'backup-failed': 'failure',
  'schedule-late': 'late',
  'schedule-escalation': 'late',
  'schedule-failed': 'failure',
  drift: 'drift',
  'drill-failed': 'drill',
  'drill-overdue': 'drill',
  'drill-gap': 'drill',
  'canary-failed': 'canary',
  'canary-slow': 'canary',
  'out-of-rpo': 'coverage',
} as const satisfies Record<string, AlertCategory>);
export type AlertKind = keyof typeof ALERT_KINDS;

/** Whether `kind` is one of the stable kinds above (the audit anomalies are not). */
export function isAlertKind(kind: string): kind is AlertKind {
  return Object.hasOwn(ALERT_KINDS, kind);
}

/** The category of an alert kind; any kind not listed is an anomaly (bulk-delete, off-hours-restore, auth-failures). */
export function categoryOfKind(kind: string): AlertCategory {
  return isAlertKind(kind) ? ALERT_KINDS[kind] : 'anomaly';
}
