import type { SchedulesReport } from '../services/index.js';

/** `cairn schedules`: the policy's schedules with their next slot, last run and late flags. */
export interface SchedulesBackend {
  listSchedules(): Promise<SchedulesReport>;
}

/** Per schedule, for the /metrics gauges (read on every scrape, beside CatalogMetrics). */
export interface ScheduleMetric {
  readonly schedule: string;
  /** ISO time the latest successful run finished; null when none has. */
  readonly lastSuccess: string | null;
  readonly late: boolean;
}
