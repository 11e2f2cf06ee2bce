import type { Command } from 'commander';
import { type SchedulesReport, type ScheduleView, scheduleStatus } from '../../services/index.js';
import { action } from '../run.js';

interface SchedulesOptions {
  late?: boolean;
}

export function registerSchedules(program: Command): void {
  program
    .command('schedules')
    .description("list the policy's schedules: next run, last run and its status, late, escalated and overdue flags")
    .option('--late', 'exit 1 when a schedule is late or escalated, or a drill overdue (for monitoring scripts)')
    .addHelpText(
      'after',
      "\nSchedules come from tiers.<t>.schedule (one run of all the tier's items: tier:<t>), items[].schedule\n" +
        '(item:<name>), environments.<e>.driftSchedule (drift:<e>) and drills[].schedule (drill:<plan>, OVERDUE when\n' +
        "no drill finished within the plan's overdueAfter); `cairn serve` runs them (docs/SCHEDULES.md).\n" +
        'Runs are read from the catalog shared by the servers; with CAIRN_SERVER the server answers (schedules.read).\n' +
        'Examples:\n' +
        '  cairn schedules\n' +
        "  cairn schedules --json | jq '.schedules[] | select(.late)'\n" +
        '  cairn schedules --late || page-oncall\n' +
        'Exit codes: 0 ok, 1 with --late when a schedule is late or a drill overdue, 2 for an invalid policy.',
    )
    .action(
      action(async (ctx, opts: SchedulesOptions) => {
        let report: SchedulesReport;
        const remote = ctx.remote();
        if (remote) report = await remote.call<SchedulesReport>('GET', '/api/v1/schedules');
        else {
          const { policy } = await ctx.policy();
          const session = await ctx.session();
          try {
            report = await scheduleStatus(session.catalog, policy);
          } finally {
            await session.close();
          }
        }
        ctx.out.result(report, () => render(report));
        return opts.late && report.schedules.some((s) => s.late || s.escalated || s.overdue) ? 1 : 0;
      }),
    );
}

function render(r: SchedulesReport): string {
  if (r.schedules.length === 0)
    return 'no schedules in the policy (tiers.<t>.schedule, items[].schedule, environments.<e>.driftSchedule, drills[].schedule)';
  const header = ['SCHEDULE', 'CRON', 'TIMEZONE', 'NEXT', 'LAST SLOT', 'STATUS', 'LAST SUCCESS', 'STATE'];
  const rows = r.schedules.map((s) => [
    s.key,
    s.cron,
    s.timezone,
    next(s),
    s.last?.slot ?? '-',
    s.last ? `${s.last.status}${skipped(s)}` : 'never run',
    s.lastSuccess ?? '-',
    state(s),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

function state(s: ScheduleView): string {
  if (s.state === 'failed') return s.failures > 1 ? `FAILING (${s.failures} in a row)` : 'FAILED';
  return !s.state || s.state === 'ok' ? 'ok' : s.state.toUpperCase();
}

function next(s: ScheduleView): string {
  if (!s.next) return '-';
  return s.next.dueAt === s.next.slot ? s.next.slot : `${s.next.slot} (window ${s.next.dueAt})`;
}

function skipped(s: ScheduleView): string {
  const n = s.last?.details?.skipped;
  return typeof n === 'number' && n > 0 ? ` (${n} skipped)` : '';
}
