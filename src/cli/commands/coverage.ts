import type { Command } from 'commander';
import { type CoverageReport, type CoverageRow, coverage, FAILING_COVERAGE } from '../../services/index.js';
import { table } from '../output.js';
import { action } from '../run.js';

export function registerCoverage(program: Command): void {
  program
    .command('coverage')
    .description("backup age of every item per environment against its tier's RPO, exceptions included")
    .option('--env <name>', 'only the items of this environment')
    .addHelpText(
      'after',
      '\nOne row per environment × item: the age of its newest capture (a snapshot, or a verification that\n' +
        'the live state still matches one), the RPO of its tier, and a status:\n' +
        '  ok                 captured within the RPO\n' +
        '  no-rpo             captured; the tier sets no RPO\n' +
        '  out-of-rpo         the newest capture is older than the RPO\n' +
        '  never              never captured\n' +
        '  excepted           out of RPO or never, under an active exception (or named only in exceptions)\n' +
        '  exception-expired  the same, but the exception has expired\n' +
        'FAIL counts the backups of the item that failed in a row. Items named only in `exceptions` have no\n' +
        'environment and are listed without --env.\n\n' +
        'Examples:\n' +
        '  cairn coverage\n' +
        '  cairn coverage --env prod --json\n\n' +
        'Exit codes: 0 every row ok, no-rpo or excepted; 1 a row is out-of-rpo, never or exception-expired;\n' +
        '2 unknown environment. With CAIRN_SERVER, the server computes it (needs alerts.read).',
    )
    .action(
      action(async (ctx, opts: { env?: string }) => {
        const remote = ctx.remote();
        let report: CoverageReport;
        if (remote) {
          report = await remote.call<CoverageReport>('GET', '/api/v1/coverage', { query: { env: opts.env } });
        } else {
          const { policy } = await ctx.policy();
          const session = await ctx.session();
          report = await coverage(session.catalog, policy, new Date(), opts.env ? { environment: opts.env } : {});
        }
        ctx.out.result(report, () => renderCoverage(report));
        return report.rows.some((r) => FAILING_COVERAGE.includes(r.status)) ? 1 : 0;
      }),
    );
}

export function renderCoverage(r: CoverageReport): string {
  if (r.rows.length === 0) return 'no items in the policy';
  const rows = r.rows.map((row) => [
    row.environment ?? '-',
    row.item,
    row.tier ?? '-',
    row.ageMs === null ? 'never' : span(row.ageMs),
    row.rpoMs === null ? '-' : span(row.rpoMs),
    row.status,
    row.consecutiveFailures > 0 ? String(row.consecutiveFailures) : '',
    exceptionText(row),
  ]);
  const failing = r.rows.filter((row) => FAILING_COVERAGE.includes(row.status)).length;
  return [
    table(['ENVIRONMENT', 'ITEM', 'TIER', 'AGE', 'RPO', 'STATUS', 'FAIL', 'EXCEPTION'], rows),
    '',
    `${r.covered} of ${r.total} covered, ${r.outOfRpo} out of RPO or never captured` +
      (failing > 0 ? `, ${failing} need${failing === 1 ? 's' : ''} attention` : ''),
  ].join('\n');
}

function exceptionText(row: CoverageRow): string {
  const ex = row.exception;
  if (!ex) return '';
  return `${ex.ticket} until ${ex.expires} (${ex.acceptedBy.join(', ')}): ${ex.reason}`;
}

/** 45s, 12m, 5h12m, 3d4h: two units at most. */
export function span(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
  return h % 24 ? `${Math.floor(h / 24)}d${h % 24}h` : `${Math.floor(h / 24)}d`;
}
