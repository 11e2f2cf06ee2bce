import { hostname } from 'node:os';
import {
  AnomalyDetector,
  type AuditForwarder,
  type AuditLog,
  forwardTo,
  hecBody,
  Outbox,
  syslogMessage,
} from '../../audit/index.js';
import type { Catalog } from '../../catalog/index.js';
import { alertSinksFromPolicy, Notifier, type SiemTransport, siemTransportFromPolicy } from '../../notify/index.js';
import type { Policy, SiemSink } from '../../policy/index.js';

export interface ForwardingOptions {
  readonly policy: Policy;
  readonly catalog: Catalog;
  readonly log: AuditLog;
  readonly version: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Why a sink's send failed (it is retried), why an alert could not be delivered. */
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
 * recorded as `anomaly.*` events and sent to the policy's alert sinks. The detector starts at the
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
  const notifier = new Notifier({ sinks: alertSinksFromPolicy(o.policy.alertSinks, o.env ? { env: o.env } : {}) });
  const detector = new AnomalyDetector({
    anomalies: o.policy.audit.anomalies,
    businessHours: o.policy.businessHours,
    notifier: { notify: (anomaly) => notifier.notifyOrThrow({ ...anomaly, details: { events: anomaly.events } }) },
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
