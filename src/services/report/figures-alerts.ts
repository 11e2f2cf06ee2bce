import type { ReportEventRow } from '../../catalog/index.js';
import { ALERT_KINDS, isAlertKind } from '../../policy/index.js';
import { evidence, figure, str, table } from './figure-kit.js';
import type { Figure, ReportFacts } from './types.js';

const ALERT_STEPS = ['raised', 'acknowledged', 'escalated', 'resolved'] as const;

function groupCount<K>(keys: Iterable<K>): Map<K, number> {
  const m = new Map<K, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

export function failureFigures(f: ReportFacts): Figure[] {
  const failed = f.events.filter((e) => e.result === 'failed');
  const denied = f.events.filter((e) => e.result === 'denied');
  const actions = [...new Set([...failed, ...denied].map((e) => e.action))].sort();
  const failedBy = groupCount(failed.map((e) => e.action));
  const deniedBy = groupCount(denied.map((e) => e.action));
  const rows = actions.map((a) => [a, failedBy.get(a) ?? 0, deniedBy.get(a) ?? 0]);

  // Alerts as the alert centre records them (alert.*), with the category of the raised alert.
  const alertEvents = f.events.filter((e) => e.action.startsWith('alert.'));
  const categoryOfAlert = new Map<string, string>();
  const categoryOf = (e: ReportEventRow): string => {
    const id = str(e.details.alertId) ?? e.target ?? '';
    const kind = str(e.details.kind);
    const own = str(e.details.category) ?? (kind !== null && isAlertKind(kind) ? ALERT_KINDS[kind] : undefined);
    if (own) {
      categoryOfAlert.set(id, own);
      return own;
    }
    return categoryOfAlert.get(id) ?? 'other';
  };
  const perCategory = new Map<string, Record<string, number>>();
  const counted: ReportEventRow[] = [];
  for (const e of alertEvents) {
    const step = e.action.slice('alert.'.length);
    const category = categoryOf(e);
    if (!(ALERT_STEPS as readonly string[]).includes(step)) continue;
    const c = perCategory.get(category) ?? { raised: 0, acknowledged: 0, escalated: 0, resolved: 0 };
    c[step] = (c[step] ?? 0) + 1;
    perCategory.set(category, c);
    counted.push(e);
  }
  const raised = counted.filter((e) => e.action === 'alert.raised');
  const deliveryFailed = alertEvents.filter((e) => e.action === 'alert.delivery-failed');

  // What the scheduler and the anomaly detector raise on their own (their audit actions).
  const other = f.events.filter(
    (e) => /^schedule\.(late|escalation|failed)$/.test(e.action) || e.action.startsWith('anomaly.'),
  );
  const otherBy = groupCount(other.map((e) => e.action));

  // Backups that failed: scheduled runs and snapshot requests that failed, and backup-failed alerts
  // (raised after alerts.consecutiveFailures failures of one item in a row).
  const backups = f.events.filter(
    (e) =>
      ((e.action === 'schedule.run' || e.action === 'snapshots.create') && e.result === 'failed') ||
      (e.action === 'alert.raised' && e.details.kind === 'backup-failed'),
  );
  const source = (e: ReportEventRow) =>
    e.action === 'schedule.run'
      ? 'scheduled run'
      : e.action === 'snapshots.create'
        ? 'snapshot'
        : 'backup-failed alert';
  const why = (e: ReportEventRow) =>
    errorText(e.details.error) ?? itemErrors(e.details.items) ?? str(e.details.summary) ?? str(e.details.code);
  return [
    figure(
      'failures',
      'failed-actions',
      'Failed actions',
      failed.length,
      evidence({ events: failed.map((e) => e.seq) }),
      failed.length === 0 ? 'no action failed this month' : undefined,
    ),
    figure(
      'failures',
      'backups',
      'Failed backups: scheduled runs, snapshot requests and backup-failed alerts',
      table(
        ['seq', 'time', 'source', 'target', 'error'],
        backups.map((e) => [e.seq, e.time, source(e), e.target, why(e)?.slice(0, 200) ?? null]),
      ),
      evidence({ events: backups.map((e) => e.seq) }),
      backups.length === 0 ? 'no backup failed this month' : undefined,
    ),
    figure(
      'failures',
      'by-action',
      'Failed and denied actions by kind',
      table(['action', 'failed', 'denied'], rows),
      evidence({ events: [...failed, ...denied].map((e) => e.seq) }),
    ),
    figure(
      'failures',
      'alerts-raised',
      'Alerts raised',
      raised.length,
      evidence({ events: raised.map((e) => e.seq) }),
      raised.length === 0 ? 'no alert was raised this month' : undefined,
    ),
    figure(
      'failures',
      'alerts-by-category',
      'Alerts by category',
      table(
        ['category', ...ALERT_STEPS],
        [...perCategory]
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([c, n]) => [c, ...ALERT_STEPS.map((s) => n[s] ?? 0)]),
      ),
      evidence({ events: counted.map((e) => e.seq) }),
    ),
    figure(
      'failures',
      'alert-deliveries-failed',
      'Alert deliveries given up',
      deliveryFailed.length,
      evidence({ events: deliveryFailed.map((e) => e.seq) }),
    ),
    figure(
      'failures',
      'scheduler-and-anomalies',
      'Schedule and anomaly alerts',
      table(
        ['action', 'count'],
        [...otherBy].sort(([a], [b]) => (a < b ? -1 : 1)),
      ),
      evidence({ events: other.map((e) => e.seq) }),
    ),
  ];
}

/** An error as the scheduler records it (server/wire/scheduler-jobs.ts): a string, or { code, message }. */
function errorText(v: unknown): string | null {
  if (typeof v === 'string') return v || null;
  if (typeof v !== 'object' || v === null) return null;
  const { code, message } = v as { code?: unknown; message?: unknown };
  const m = str(message);
  return m ? (str(code) ? `${str(code)}: ${m}` : m) : str(code);
}

/** A failed scheduled snapshot run's per-item errors: details.items[] = { item, error: { code, message } }. */
function itemErrors(v: unknown): string | null {
  if (!Array.isArray(v)) return null;
  const out = v.flatMap((i) => {
    const x = (i ?? {}) as { item?: unknown; error?: unknown };
    const t = errorText(x.error);
    return t ? [str(x.item) ? `${str(x.item)}: ${t}` : t] : [];
  });
  return out.length > 0 ? out.join('; ') : null;
}
