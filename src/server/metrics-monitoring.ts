import { Gauge, type Registry } from 'prom-client';
import type { MonitoringMetrics } from './backend-monitoring.js';

/**
 * The monitoring gauges of /metrics (coverage and backup age, open alerts, drills, the canary), set
 * from CatalogMetrics.monitoring on each scrape; none of them appear when the backend gives none.
 * An item with no environment has the label environment="". The canary gauges appear from its first round.
 */
export function monitoringGauges(registry: Registry, current: () => MonitoringMetrics | undefined): void {
  const gauge = (
    name: string,
    help: string,
    labelNames: readonly string[],
    fill: (g: Gauge<string>, m: MonitoringMetrics) => void,
  ) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        // prom-client shows an unlabelled gauge as 0 after reset(): left unset, it must not appear at all.
        if (labelNames.length === 0) (this as unknown as { hashMap: object }).hashMap = {};
        const m = current();
        if (m) fill(this, m);
      },
    });

  gauge(
    'cairn_backup_age_seconds',
    "Age of each item's newest snapshot or verification, per environment (none when never captured)",
    ['item', 'environment'],
    (g, m) => {
      for (const r of m.coverage)
        if (r.ageMs !== null) g.set({ item: r.item, environment: r.environment ?? '' }, r.ageMs / 1000);
    },
  );
  gauge(
    'cairn_coverage_status',
    "1 for each item's coverage status against its tier's RPO (ok, out-of-rpo, never, no-rpo, excepted, exception-expired)",
    ['item', 'environment', 'status'],
    (g, m) => {
      for (const r of m.coverage) g.set({ item: r.item, environment: r.environment ?? '', status: r.status }, 1);
    },
  );
  gauge(
    'cairn_items_out_of_rpo',
    "Items whose newest capture is older than their tier's RPO, or that were never captured",
    [],
    (g, m) => g.set(m.outOfRpo),
  );
  gauge(
    'cairn_alerts_open',
    'Alerts raised and neither acknowledged nor resolved, by category',
    ['category'],
    (g, m) => {
      for (const a of m.alertsOpen) g.set({ category: a.category }, a.count);
    },
  );
  gauge('cairn_drill_last_status', "1 for the status of each drill plan's newest drill", ['plan', 'status'], (g, m) => {
    for (const d of m.drills) g.set({ plan: d.plan, status: d.status }, 1);
  });
  gauge('cairn_drill_last_rto_seconds', "Measured RTO of each drill plan's newest drill", ['plan'], (g, m) => {
    for (const d of m.drills) if (d.rtoMs !== null) g.set({ plan: d.plan }, d.rtoMs / 1000);
  });
  gauge('cairn_canary_ok', "1 when the canary's latest round passed, else 0", [], (g, m) => {
    if (m.canary) g.set(m.canary.ok ? 1 : 0);
  });
  gauge(
    'cairn_canary_latency_seconds',
    "Time of the canary's latest round (change, snapshot, restore, verify)",
    [],
    (g, m) => {
      if (m.canary) g.set(m.canary.latencyMs / 1000);
    },
  );
  gauge('cairn_canary_last_run_timestamp_seconds', "Unix time the canary's latest round finished", [], (g, m) => {
    const t = m.canary ? Date.parse(m.canary.finishedAt) : Number.NaN;
    if (!Number.isNaN(t)) g.set(t / 1000);
  });
}
