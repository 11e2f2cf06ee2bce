import type { SchedulesReport } from '../services/index.js';
import type { SchedulesBackend } from './backend-schedules.js';

/** A sample `cairn schedules --json` answer, every field filled (tests only). */
export const schedulesReport: SchedulesReport = {
  checkedAt: '2026-11-29T10:00:05.000Z',
  schedules: [
    {
      key: 'tier:critical',
      kind: 'tier',
      name: 'critical',
      items: ['payments-api-prod'],
      environment: null,
      cron: '*/15 * * * *',
      timezone: 'Europe/London',
      maintenanceWindowsOnly: true,
      next: { slot: '2026-11-29T10:15:00.000Z', dueAt: '2026-11-29T10:15:00.000Z' },
      last: {
        scheduleKey: 'tier:critical',
        slot: '2026-11-29T10:00:00.000Z',
        dueAt: '2026-11-29T10:00:00.000Z',
        claimedBy: 'host-a:4242:0a1b2c3d',
        claimedAt: '2026-11-29T10:00:00.250Z',
        startedAt: '2026-11-29T10:00:00.260Z',
        finishedAt: '2026-11-29T10:00:01.500Z',
        status: 'ok',
        details: { skipped: 2, items: [{ item: 'payments-api-prod', status: 'created' }] },
        lateAlertedAt: '2026-11-29T10:00:01.000Z',
        escalatedAt: null,
      },
      lastSuccess: '2026-11-29T10:00:01.500Z',
      late: false,
      escalated: true,
      failures: 0,
      state: 'escalated',
    },
  ],
};

/** The schedules part of the fake Backend. */
export function fakeSchedules(calls: string[], results: unknown[]): SchedulesBackend {
  return {
    async listSchedules() {
      calls.push('listSchedules');
      results.push(schedulesReport);
      return schedulesReport;
    },
  };
}
