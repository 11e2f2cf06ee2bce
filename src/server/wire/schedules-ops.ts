import { scheduleStatus } from '../../services/index.js';
import type { CatalogMetrics } from '../backend.js';
import type { SchedulesBackend } from '../backend-schedules.js';
import { catalogMetrics } from './catalog-metrics.js';
import type { WireContext } from './wire-context.js';

/**
 * `GET /api/v1/schedules`, and the catalog gauges with the schedule gauges added
 * (cairn_schedule_last_success_timestamp_seconds, cairn_schedule_late): spread after catalogReads
 * in realBackend, this `metrics` is the one the server uses.
 */
export function schedulesOps(ctx: WireContext): SchedulesBackend & { metrics(): Promise<CatalogMetrics> } {
  return {
    async listSchedules() {
      return scheduleStatus(ctx.catalog, await ctx.policy());
    },
    async metrics() {
      const base = await catalogMetrics(ctx.catalog);
      const report = await scheduleStatus(ctx.catalog, await ctx.policy());
      const schedules = report.schedules.map((s) => ({ schedule: s.key, lastSuccess: s.lastSuccess, late: s.late }));
      return { ...base, schedules };
    },
  };
}
