export type AnomalyKind = 'bulk-delete' | 'off-hours-restore' | 'auth-failures';

/** Something in the audit stream a person should look at (C6.3). */
export interface Anomaly {
  readonly kind: AnomalyKind;
  readonly severity: 'warning' | 'critical';
  readonly summary: string;
  /** The events that make it up, by seq. */
  readonly events: readonly number[];
  /** Equal for the same anomaly however often the stream is read: alerts are raised once per key. */
  readonly dedupKey: string;
  /** The time of the event that completed it. */
  readonly time: string;
}

/** Where alerts go (notify/ builds the webhook and Slack ones). */
export interface Notifier {
  notify(alert: Anomaly): Promise<void>;
}
