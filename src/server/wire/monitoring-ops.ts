import type { Identity } from '../../auth/index.js';
import { CairnError } from '../../errors/index.js';
import { ALERT_CATEGORIES } from '../../policy/index.js';
import { coverage } from '../../services/index.js';
import type { CatalogMetrics } from '../backend.js';
import type { MonitoringBackend, MonitoringMetrics } from '../backend-monitoring.js';
import type { WireContext } from './wire-context.js';

/** How many canary rounds GET /api/v1/canary shows unless asked. */
export const CANARY_RUNS_SHOWN = 20;

/**
 * Alerts (through the server's AlertCenter, so sinks hear of an ack or a resolution), coverage and
 * the canary's rounds; and /metrics: `base` (the catalog and schedule gauges) with the monitoring
 * gauges added. Spread after schedulesOps in realBackend, this `metrics` is the one the server uses.
 */
export function monitoringOps(
  ctx: WireContext,
  base: () => Promise<CatalogMetrics>,
): MonitoringBackend<Identity> & { metrics(): Promise<CatalogMetrics> } {
  return {
    async listAlerts(input) {
      return { alerts: await ctx.catalog.alerts.list(input.state ? { state: input.state } : {}) };
    },
    ackAlert: (id, caller) => ctx.alerts.ack(id, caller.identity.subject),
    // As `cairn alerts resolve` does locally: a resolved alert is refused, naming when it was resolved.
    async resolveAlert(id, input, caller) {
      const found = await ctx.catalog.alerts.get(id);
      if (!found)
        throw new CairnError('CAIRN_E_NOT_FOUND', `no alert ${id} (see \`cairn alerts list\`)`, { alert: id });
      const resolved =
        found.state === 'resolved'
          ? undefined
          : await ctx.alerts.resolve(found.id, caller.identity.subject, input.reason);
      if (!resolved) {
        const at = (await ctx.catalog.alerts.get(found.id))?.resolvedAt ?? found.resolvedAt;
        throw new CairnError('CAIRN_E_EXISTS', `alert ${found.id} is already resolved (at ${at})`, {
          alert: found.id,
          state: 'resolved',
        });
      }
      return resolved;
    },
    async coverage(input) {
      return coverage(ctx.catalog, await ctx.policy(), new Date(), input);
    },
    async canaryRuns(input) {
      return { runs: await ctx.catalog.canary.list(input.limit ?? CANARY_RUNS_SHOWN) };
    },
    async metrics() {
      const metrics = await base();
      try {
        return { ...metrics, monitoring: await monitoringMetrics(ctx) };
      } catch (err) {
        // A scrape still answers with the other gauges; the monitoring ones are missing meanwhile.
        ctx.report('monitoring gauges', err);
        return metrics;
      }
    },
  };
}

async function monitoringMetrics(ctx: WireContext): Promise<MonitoringMetrics> {
  const policy = await ctx.policy();
  const [report, open, drills, canary] = await Promise.all([
    coverage(ctx.catalog, policy),
    ctx.catalog.alerts.list({ state: 'open' }),
    ctx.catalog.drills.latestPerPlan(),
    ctx.catalog.canary.list(1),
  ]);
  const counts = new Map<string, number>(ALERT_CATEGORIES.map((c) => [c, 0]));
  for (const a of open) counts.set(a.category, (counts.get(a.category) ?? 0) + 1);
  const last = canary[0];
  return {
    coverage: report.rows.map((r) => ({ item: r.item, environment: r.environment, status: r.status, ageMs: r.ageMs })),
    outOfRpo: report.outOfRpo,
    alertsOpen: [...counts].map(([category, count]) => ({ category, count })),
    drills: drills.map((d) => ({ plan: d.plan, status: d.status, rtoMs: d.rtoMs })),
    canary: last ? { ok: last.ok, latencyMs: last.latencyMs, finishedAt: last.finishedAt } : null,
  };
}
