import type { AuditSettings, BusinessHours } from '../policy/index.js';
import type { Anomaly } from './anomaly-types.js';
import { BurstWindow, type WindowEntry } from './burst-window.js';
import { withinBusinessHours } from './business-hours.js';
import type { AuditEvent } from './event.js';

const deletionWords = new Set(['forget', 'delete', 'remove']);
const hourMs = 3_600_000;

/**
 * The rules of docs/AUDIT.md ("Anomalies"), fed events in seq order. Pure bookkeeping: raising an
 * alert (dedup, notify, audit event) is the detector's job. `anomaly.*` events are never input, so
 * the detector's own events cannot feed it.
 */
export class AnomalyRules {
  readonly #bulk: BurstWindow;
  readonly #authAll: BurstWindow;
  readonly #authByIp = new Map<string, BurstWindow>();

  constructor(
    readonly thresholds: AuditSettings['anomalies'],
    readonly businessHours: BusinessHours | undefined,
  ) {
    this.#bulk = new BurstWindow(thresholds.bulkDelete.count, thresholds.bulkDelete.withinMs);
    this.#authAll = new BurstWindow(thresholds.authFailures.count, thresholds.authFailures.withinMs);
  }

  detect(event: AuditEvent): Anomaly[] {
    if (event.action.startsWith('anomaly.')) return [];
    const at = Date.parse(event.time);
    const found: Anomaly[] = [];
    const entry = (source: string): WindowEntry => ({ seq: event.seq, at, source });

    if (isDeletion(event)) {
      const burst = this.#bulk.add(entry(event.identity));
      if (burst) {
        const minutes = Math.round(this.thresholds.bulkDelete.withinMs / 60_000);
        const who = [...new Set(burst.map((e) => e.source))].join(', ');
        found.push(
          anomaly(
            event,
            'bulk-delete',
            'critical',
            `${burst.length} deletions within ${minutes} min by ${who}`,
            burst,
            'all',
          ),
        );
      }
    }

    if (
      this.businessHours &&
      isRestore(event) &&
      event.result === 'ok' &&
      !withinBusinessHours(new Date(at), this.businessHours)
    ) {
      const target = event.target ?? '-';
      found.push({
        kind: 'off-hours-restore',
        severity: 'warning',
        summary: `${event.identity} ran ${event.action} on ${target} outside business hours (${this.businessHours.timezone})`,
        events: [event.seq],
        dedupKey: `off-hours-restore:${event.identity}:${target}:${Math.floor(at / hourMs)}`,
        time: event.time,
      });
    }

    if (event.action === 'auth.fail') found.push(...this.#authFailure(event, entry(event.ip ?? 'unknown')));
    return found;
  }

  #authFailure(event: AuditEvent, entry: WindowEntry): Anomaly[] {
    const { count, withinMs } = this.thresholds.authFailures;
    const minutes = Math.round(withinMs / 60_000);
    const found: Anomaly[] = [];
    if (this.#authByIp.size > 1000) {
      for (const [ip, window] of this.#authByIp) if (window.staleAt(entry.at)) this.#authByIp.delete(ip);
    }
    const byIp = this.#authByIp.get(entry.source) ?? new BurstWindow(count, withinMs);
    this.#authByIp.set(entry.source, byIp);
    const fromOne = byIp.add(entry);
    if (fromOne) {
      const summary = `${fromOne.length} failed sign-ins from ${entry.source} within ${minutes} min`;
      found.push(anomaly(event, 'auth-failures', 'warning', summary, fromOne, `ip:${entry.source}`));
    }
    // Overall: a spread-out attack. A burst from one address alone is the per-address alert's.
    const spread = this.#authAll.add(entry, (entries) => new Set(entries.map((e) => e.source)).size > 1);
    if (spread) {
      const sources = new Set(spread.map((e) => e.source)).size;
      const summary = `${spread.length} failed sign-ins from ${sources} addresses within ${minutes} min`;
      found.push(anomaly(event, 'auth-failures', 'critical', summary, spread, 'all'));
    }
    return found;
  }
}

function anomaly(
  event: AuditEvent,
  kind: Anomaly['kind'],
  severity: Anomaly['severity'],
  summary: string,
  burst: readonly WindowEntry[],
  scope: string,
): Anomaly {
  const events = burst.map((e) => e.seq);
  return { kind, severity, summary, events, dedupKey: `${kind}:${scope}:${events[0]}`, time: event.time };
}

/** forget, delete or remove among the action's words, done or asked for. */
export function isDeletion(event: AuditEvent): boolean {
  return (
    (event.result === 'ok' || event.result === 'requested') &&
    event.action.split('.').some((word) => deletionWords.has(word))
  );
}

export function isRestore(event: AuditEvent): boolean {
  return event.action === 'restore' || event.action.startsWith('restore.');
}
