import type { Command } from 'commander';
import { CairnError, ExitCode } from '../../errors/index.js';
import { type CheckReport, checkRepository } from '../../services/index.js';
import { fmtBytes } from '../output.js';
import { action } from '../run.js';

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('verify the repository: structure always; every byte with --read-data')
    .option('--read-data', 'read and verify every pack (SHA-256, authentication tags, blob hashes)')
    .option('--read-data-subset <pct>', 'read a random PCT percent of the packs')
    .action(
      action(async (ctx, opts: { readData?: boolean; readDataSubset?: string }) => {
        let pct: number | undefined;
        if (opts.readDataSubset !== undefined) {
          pct = Number(opts.readDataSubset.replace(/%$/, ''));
          if (!(pct > 0 && pct <= 100))
            throw new CairnError(
              'CAIRN_E_USAGE',
              `--read-data-subset ${opts.readDataSubset} must be a percentage between 0 and 100`,
            );
        }
        const remote = ctx.remote();
        if (remote) {
          const report = await remote.call<CheckReport>('POST', '/api/v1/check', {
            body: { readData: opts.readData ?? false, ...(pct !== undefined ? { readDataSubset: pct } : {}) },
          });
          ctx.out.result(report, () => render(report));
          return report.ok ? ExitCode.ok : ExitCode.failed;
        }
        const session = await ctx.session();
        const repo = session.repo;
        const progress = ctx.out.progress();
        try {
          const report = await checkRepository(
            repo,
            { readData: opts.readData ?? false, ...(pct !== undefined ? { readDataSubsetPct: pct } : {}) },
            progress,
          );
          progress.done();
          ctx.out.result(report, () => render(report));
          return report.ok ? ExitCode.ok : ExitCode.failed;
        } finally {
          progress.done();
          await session.close();
        }
      }),
    );
}

function render(report: CheckReport): string {
  const lines = [
    `${report.snapshots} snapshots, ${report.verifications} verifications, ${report.indexes} index files, ${report.packs} packs, ${report.blobs} blobs`,
  ];
  if (report.packsRead) lines.push(`read ${report.packsRead} packs (${fmtBytes(report.bytesRead)})`);
  for (const w of report.warnings) lines.push(`warning: ${w.message}`);
  for (const e of report.errors) {
    lines.push(`error: ${e.message}`);
    for (const f of e.files ?? []) lines.push(`  affects ${f}`);
  }
  lines.push(report.ok ? 'no errors found' : `${report.errors.length} errors found`);
  return lines.join('\n');
}
