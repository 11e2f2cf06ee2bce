/**
 * What an alert is (anomaly detection now, monitoring later) and what a sink must do with one.
 * The notify layer delivers alerts as given; deciding when to raise one, and recording that it was
 * raised, are the caller's business.
 */
import type { CairnError } from '../errors/index.js';

export type AlertSeverity = 'info' | 'warning' | 'critical';

export interface Alert {
  /** What happened, as a stable name: bulk-delete, restore-outside-hours, auth-failure-burst. */
  readonly kind: string;
  readonly severity: AlertSeverity;
  /** One human sentence. */
  readonly summary: string;
  readonly details?: Readonly<Record<string, unknown>>;
  /** Alerts with the same key are the same incident; receivers may fold them. */
  readonly dedupKey: string;
  /** RFC 3339. */
  readonly time: string;
}

/** One destination. `deliver` makes a single attempt; the Notifier retries. */
export interface AlertSink {
  /** Kind and redacted endpoint, fit for logs: "slack https://hooks.slack.com/…". */
  readonly name: string;
  deliver(alert: Alert): Promise<void>;
}

export interface SinkResult {
  readonly sink: string;
  readonly ok: boolean;
  readonly attempts: number;
  /** Set when ok is false: the last attempt's error. */
  readonly error?: CairnError;
}
