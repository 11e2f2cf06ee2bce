/**
 * What an alert is (anomalies, monitoring, drills, the canary) and what a sink must do with one.
 * The notify layer delivers alerts as given; deciding when to raise, acknowledge, resolve or
 * escalate one, and recording that, are the caller's business (services' AlertCenter).
 */
import type { CairnError } from '../errors/index.js';
import type { AlertCategory } from '../policy/index.js';

export type AlertSeverity = 'info' | 'warning' | 'critical';

/**
 * What happened to the incident: raised (trigger), someone acknowledged it, it went away (resolve),
 * or nobody acknowledged it in time (escalate). Sinks show it; PagerDuty maps it to event_action.
 */
export type AlertEvent = 'trigger' | 'acknowledge' | 'resolve' | 'escalate';
export const ALERT_EVENTS: readonly AlertEvent[] = Object.freeze(['trigger', 'acknowledge', 'resolve', 'escalate']);

export interface Alert {
  /** What happened, as a stable name: backup-failed, drift, canary-failed, bulk-delete, off-hours-restore, … */
  readonly kind: string;
  readonly severity: AlertSeverity;
  /** One human sentence. */
  readonly summary: string;
  readonly details?: Readonly<Record<string, unknown>>;
  /** Alerts with the same key are the same incident; receivers may fold them. */
  readonly dedupKey: string;
  /** RFC 3339. */
  readonly time: string;
  /** Absent = 'trigger'. */
  readonly event?: AlertEvent;
  /** The policy's `for:` filters on it; absent = inferred from the kind (sink-filter.ts). */
  readonly category?: AlertCategory;
  /** Cairn's alert id (al-…), for `cairn alerts ack ID`. */
  readonly id?: string;
  /** A link to the alert or what it is about. */
  readonly url?: string;
  /**
   * Set on acknowledge/resolve of an alert that was escalated earlier, so that sinks taking only
   * escalations (`for: [escalation]`) hear that the incident they were paged for ended.
   */
  readonly escalated?: boolean;
}

/** One destination. `deliver` makes a single attempt; the Notifier retries. */
export interface AlertSink {
  /** Kind and redacted endpoint, fit for logs: "slack https://hooks.slack.com/…". */
  readonly name: string;
  /**
   * One attempt. Rejects with a CairnError; `details.transient` (boolean), when present, says
   * whether another attempt may succeed (the Notifier honours it before its HTTP status rule).
   */
  deliver(alert: Alert): Promise<void>;
  /** The policy's `for:`; absent = every alert. The Notifier skips a sink that says false. */
  accepts?(alert: Alert): boolean;
}

export interface SinkResult {
  readonly sink: string;
  readonly ok: boolean;
  readonly attempts: number;
  /** Set when ok is false: the last attempt's error. */
  readonly error?: CairnError;
}
