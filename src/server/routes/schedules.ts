import type { FastifyInstance } from 'fastify';
import type { SchedulesReport } from '../../services/index.js';
import type { ServerContext } from '../context.js';
import { addRoute } from '../route-kit.js';
import { arr, bool, nullable, num, obj, str } from '../schemas/common.js';

const time = str(40);
const optTime = nullable(str(40));

const runSchema = obj({
  scheduleKey: str(300),
  slot: time,
  dueAt: time,
  claimedBy: str(300),
  claimedAt: time,
  startedAt: optTime,
  finishedAt: optTime,
  status: str(16),
  details: { type: ['object', 'null'], additionalProperties: true },
  lateAlertedAt: optTime,
  escalatedAt: optTime,
});

const scheduleSchema = obj({
  key: str(300),
  kind: str(8),
  name: str(256),
  items: arr(str(256), 10_000),
  environment: nullable(str(256)),
  cron: str(256),
  timezone: str(64),
  maintenanceWindowsOnly: bool,
  next: { ...obj({ slot: time, dueAt: time }), type: ['object', 'null'] },
  last: { ...runSchema, type: ['object', 'null'] },
  lastSuccess: optTime,
  late: bool,
  escalated: bool,
  // A drill schedule whose latest slot passed overdueAfter without a finished drill.
  overdue: { ...obj({ slot: time, dueAt: time, overdueAt: time }), type: ['object', 'null'] },
  failures: num,
  state: str(16),
});

export const schedulesReportSchema = obj({ checkedAt: time, schedules: arr(scheduleSchema, 10_000) });

/** `cairn schedules`: what `cairn serve` runs on a schedule, when next, and how the last run went. */
export function registerScheduleRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { backend } = ctx.deps;
  addRoute<Record<string, never>, SchedulesReport>(app, ctx, {
    method: 'GET',
    url: '/api/v1/schedules',
    permission: 'schedules.read',
    action: 'schedules.list',
    kind: 'read',
    summary:
      "The policy's schedules (tiers, items, drift checks, drills) with the next slot, the last run and its status, failures in a row, late/escalated/overdue flags and a state (`cairn schedules`)",
    tags: ['repository'],
    schema: { response: schedulesReportSchema },
    handle: async () => backend.listSchedules(),
  });
}
