import type { AuditSettings } from '../policy/index.js';

const minute = 60_000;
const day = 24 * 60 * minute;

/** Ten years (3,653 days): the audit trail's WORM retention when the policy sets none. */
export const DEFAULT_AUDIT_RETENTION_MS = 3653 * day;

/** What applies when the policy leaves a setting out (docs/AUDIT.md). */
export const defaultAuditSettings: AuditSettings = Object.freeze({
  checkpointEvery: Object.freeze({ events: 1000, minutes: 60 }),
  siem: Object.freeze([]),
  anomalies: Object.freeze({
    bulkDelete: Object.freeze({ count: 5, withinMs: 10 * minute }),
    authFailures: Object.freeze({ count: 10, withinMs: 5 * minute }),
  }),
});

/** The policy's audit settings over the defaults, one level deep. */
export function auditSettings(partial: Partial<AuditSettings> | undefined): AuditSettings {
  const d = defaultAuditSettings;
  return Object.freeze({
    ...(partial?.retentionMs === undefined ? {} : { retentionMs: partial.retentionMs }),
    checkpointEvery: { ...d.checkpointEvery, ...partial?.checkpointEvery },
    siem: partial?.siem ?? d.siem,
    anomalies: {
      bulkDelete: { ...d.anomalies.bulkDelete, ...partial?.anomalies?.bulkDelete },
      authFailures: { ...d.anomalies.authFailures, ...partial?.anomalies?.authFailures },
    },
  });
}
