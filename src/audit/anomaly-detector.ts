import type { AuditSettings, BusinessHours } from '../policy/index.js';
import { AnomalyRules } from './anomaly-rules.js';
import type { Anomaly, Notifier } from './anomaly-types.js';
import type { AuditEvent, AuditInput } from './event.js';
import type { AuditForwarder } from './forwarder.js';
import { defaultAuditSettings } from './settings.js';

export interface AnomalyDetectorOptions {
  readonly anomalies?: AuditSettings['anomalies'] | undefined;
  /** Without business hours, restores are never flagged for the time they ran. */
  readonly businessHours?: BusinessHours | undefined;
  readonly notifier?: Notifier | undefined;
  /** Writes the `anomaly.<kind>` audit event (AuditLog#record). */
  readonly record?: ((input: AuditInput) => Promise<unknown>) | undefined;
  /** Claims a dedup key for good (AuditStore#claimAlert), so servers and rescans raise once. */
  readonly claim?: ((dedupKey: string, time: string) => Promise<boolean>) | undefined;
  readonly onError?: ((err: unknown) => void) | undefined;
}

/**
 * Watches the audit stream for bulk deletions, restores outside business hours and bursts of
 * authentication failures. Each anomaly is raised once: claimed by its dedup key, recorded as an
 * audit event `anomaly.<kind>` by `system:cairn`, and handed to the notifier. Fed in seq order —
 * best through the Outbox (asForwarder), which survives restarts and sees every server's events.
 */
export class AnomalyDetector {
  readonly #o: AnomalyDetectorOptions;
  readonly #rules: AnomalyRules;
  readonly #claimed = new Set<string>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: AnomalyDetectorOptions = {}) {
    this.#o = options;
    this.#rules = new AnomalyRules(options.anomalies ?? defaultAuditSettings.anomalies, options.businessHours);
  }

  /** One event, after every event handed in before it; the anomalies it raised. */
  observe(event: AuditEvent): Promise<Anomaly[]> {
    return this.scan([event]);
  }

  /** A range of events in seq order (`cairn audit anomalies --since …`, or a batch from the outbox). */
  scan(events: Iterable<AuditEvent> | AsyncIterable<AuditEvent>): Promise<Anomaly[]> {
    const run = this.#queue.then(async () => {
      const raised: Anomaly[] = [];
      for await (const event of events) {
        for (const found of this.#rules.detect(event)) if (await this.#raise(found)) raised.push(found);
      }
      return raised;
    });
    this.#queue = run.catch(() => {});
    return run;
  }

  /** The detector as an outbox sink: it then follows the catalog from a cursor of its own. */
  asForwarder(): AuditForwarder {
    return {
      send: async (events) => {
        await this.scan(events);
      },
    };
  }

  async #raise(anomaly: Anomaly): Promise<boolean> {
    const { claim, record, notifier, onError = () => {} } = this.#o;
    if (this.#claimed.has(anomaly.dedupKey)) return false;
    // Claimed before it is sent: a second server or a rescan stays quiet (at most once per key).
    // A catalog that cannot be asked is no reason to stay silent: then a duplicate beats a miss.
    const fresh = claim
      ? await claim(anomaly.dedupKey, anomaly.time).catch((err: unknown) => {
          onError(err);
          return true;
        })
      : true;
    if (!fresh) return false;
    this.#claimed.add(anomaly.dedupKey);
    if (this.#claimed.size > 10_000) this.#claimed.clear();
    const details = { severity: anomaly.severity, summary: anomaly.summary, events: anomaly.events.slice(0, 100) };
    await record?.({
      identity: 'system:cairn',
      action: `anomaly.${anomaly.kind}`,
      result: 'ok',
      target: anomaly.dedupKey,
      details,
    }).catch(onError);
    await notifier?.notify(anomaly).catch(onError);
    return true;
  }
}
