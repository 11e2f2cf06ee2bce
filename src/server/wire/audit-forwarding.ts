import { hostname } from 'node:os';
import {
  type Anomaly,
  AnomalyDetector,
  type AuditForwarder,
  type AuditLog,
  forwardTo,
  hecBody,
  type Notifier,
  Outbox,
  syslogMessage,
} from '../../audit/index.js';
import type { Catalog } from '../../catalog/index.js';
import { type SiemTransport, siemTransportFromPolicy } from '../../notify/index.js';
import { categoryOfKind, type Policy, type SiemSink } from '../../policy/index.js';
import type { AlertCenter } from '../../services/index.js';

export interface ForwardingOptions {
  readonly policy: Policy;
  readonly catalog: Catalog;
  readonly log: AuditLog;
  /** The server's alert center: anomalies are raised there, like every other alert. */
  readonly alerts: AlertCenter;
  readonly version: string;
  /** Where the SIEM sinks' *Env variables are read (process.env by default). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Why a sink's send failed (it is retried), why an anomaly could not be raised as an alert. */
  readonly onError: (what: string, err: unknown) => void;
  /** Outbox tuning, for tests; the outbox's defaults otherwise. */
  readonly outbox?: { readonly pollMs?: number; readonly backoff?: { initialMs: number; maxMs: number } };
}

export interface AuditForwarding {
  /** The outbox's sink names: one per `audit.siem` entry, and the anomaly detector. */
  readonly sinks: readonly string[];
  stop(): Promise<void>;
}

/** The anomaly detector's cursor is `siem:anomaly-detector`, beside the SIEM sinks' own. */
export const DETECTOR_SINK = 'anomaly-detector';

/**
 * The audit stream leaves the catalog through one outbox: one forwarder per `audit.siem` sink
 * (RFC 5424 or CEF over syslog, Splunk HEC over HTTP) and the anomaly detector, each from a cursor
 * of its own, woken by the events this server records (at most every WAKE_GAP_MS). Anomalies are
 * recorded as `anomaly.*` events and raised through the server's AlertCenter (category `anomaly`):
 * kept in the catalog, listed and acknowledged like any alert, escalated, and delivered with retries
 * to the sinks of the policy in force. The detector starts at the
 * head on a catalog no server has watched before, so old history raises no alert. Sinks are named by
 * kind and URL, so a cursor survives a restart and a reordered list; changing them needs a restart.
 */
export async function startAuditForwarding(o: ForwardingOptions): Promise<AuditForwarding> {
  const transports: SiemTransport[] = [];
  const sinks: Record<string, AuditForwarder> = {};
  for (const sink of o.policy.audit.siem) {
    const transport = siemTransportFromPolicy(sink, o.env ? { env: o.env } : {});
    transports.push(transport);
    sinks[`${sink.kind}:${sink.url}`] = forwardTo(transport, formatter(sink, o.version));
  }
  const detector = new AnomalyDetector({
    anomalies: o.policy.audit.anomalies,
    businessHours: o.policy.businessHours,
    notifier: anomalyNotifier(o.alerts),
    record: (input) => o.log.record(input),
    claim: (key, time) => o.catalog.audit.claimAlert(key, time),
    onError: (err) => o.onError('anomaly alert', err),
  });
  sinks[DETECTOR_SINK] = detector.asForwarder();
  // The first server on a catalog watches from now on: history before it is not an alert for today.
  const detectorCursor = Outbox.cursorName(DETECTOR_SINK);
  if ((await o.catalog.audit.getCursor(detectorCursor)) === 0) {
    await o.catalog.audit.setCursor(detectorCursor, (await o.catalog.audit.head()).seq);
  }
  const outbox = new Outbox({
    store: o.catalog.audit,
    sinks,
    ...(o.outbox ?? {}),
    onError: (sink, err, attempt) => {
      if (attempt === 1 || attempt % 10 === 0) o.onError(`audit forwarding to ${sink} (attempt ${attempt})`, err);
    },
  });
  const wake = throttled(() => outbox.poke(), WAKE_GAP_MS);
  const unsubscribe = o.log.onRecord(wake.call);
  outbox.start();
  return {
    sinks: Object.keys(sinks),
    async stop() {
      unsubscribe();
      wake.cancel();
      await outbox.stop();
      await Promise.all(transports.map((t) => t.close().catch(() => {})));
    },
  };
}

/** The audit layer's Notifier over the AlertCenter: each anomaly is one alert, keyed as the anomaly keys it. */
export function anomalyNotifier(alerts: AlertCenter): Notifier {
  return {
    async notify(anomaly: Anomaly): Promise<void> {
      await alerts.raise({
        kind: anomaly.kind,
        category: categoryOfKind(anomaly.kind),
        severity: anomaly.severity,
        summary: anomaly.summary,
        dedupKey: anomaly.dedupKey,
        // The first 100 seqs, as in the anomaly.* event: a bulk delete of thousands stays a small alert.
        details: { events: anomaly.events.slice(0, 100), eventCount: anomaly.events.length, time: anomaly.time },
      });
    },
  };
}

/**
 * How often recorded events wake the outbox at most. Each wake-up costs every sink a few catalog
 * statements (its cursor, the events after it, the cursor again); woken by every event, the anomaly
 * detector alone took a quarter of the CPU of a cheap audited request (BENCHMARKS.md, HTTP search).
 * The first event after a quiet spell still wakes it at once; the events within the gap are taken
 * as one batch at its end.
 */
export const WAKE_GAP_MS = 50;

/** `fn` at once, or at the end of the gap since its last call (once, whatever the number of calls meanwhile). */
export function throttled(fn: () => void, gapMs: number): { call(): void; cancel(): void } {
  let last = Number.NEGATIVE_INFINITY;
  let timer: NodeJS.Timeout | undefined;
  const run = () => {
    timer = undefined;
    last = performance.now();
    fn();
  };
  return {
    call() {
      if (timer) return;
      const wait = last + gapMs - performance.now();
      if (wait <= 0) run();
      else timer = setTimeout(run, wait).unref();
    },
    cancel() {
      clearTimeout(timer);
      timer = undefined;
    },
  };
}

function formatter(sink: SiemSink, version: string) {
  const host = hostname();
  if (sink.kind === 'http') return (event: Parameters<typeof hecBody>[0][number]) => hecBody([event], host);
  const body = sink.format === 'cef' ? 'cef' : 'summary';
  return (event: Parameters<typeof syslogMessage>[0]) =>
    syslogMessage(event, { host, procId: process.pid, body, version });
}
