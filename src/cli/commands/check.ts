import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { CairnError, ExitCode } from '../../errors/index.js';
import { type CheckReport, checkLocks, checkRepository, type LockReport } from '../../services/index.js';
import type { Context } from '../context.js';
import { fmtBytes } from '../output.js';
import { action } from '../run.js';

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('verify the repository: structure always; every byte with --read-data')
    .option('--read-data', 'read and verify every pack (SHA-256, authentication tags, blob hashes)')
    .option('--read-data-subset <pct>', 'read a random PCT percent of the packs')
    .option('--locks', "verify every object's WORM lock and legal hold on the storage against what the policy demands")
    .addHelpText(
      'after',
      '\n--locks reads the lock of every snapshot object, verification and pack a snapshot needs from the storage\n' +
        "(S3: one HEAD each) and reports each whose retention is missing or shorter than the snapshot's retain-until,\n" +
        "weaker than its tier's mode (governance where compliance is demanded), or that lacks the legal hold of a\n" +
        'held snapshot (`cairn hold`). Exit 1 when any is found. It checks locks only, not the structure.',
    )
    .action(
      action(async (ctx, opts: { readData?: boolean; readDataSubset?: string; locks?: boolean }) => {
        if (opts.locks) {
          if (opts.readData || opts.readDataSubset !== undefined)
            throw new CairnError('CAIRN_E_USAGE', '--locks checks locks only: run it apart from --read-data');
          return runLockCheck(ctx);
        }
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

async function runLockCheck(ctx: Context): Promise<number> {
  if (ctx.remote())
    throw new CairnError(
      'CAIRN_E_USAGE',
      '`cairn check --locks` reads the storage itself: run it without CAIRN_SERVER',
    );
  // A policy file that exists must be valid: modes checked against a half-read policy would prove nothing.
  const policy = existsSync(ctx.configFile) ? (await ctx.policy()).policy : undefined;
  const session = await ctx.session();
  const progress = ctx.out.progress();
  try {
    const report = await checkLocks(session.repo, policy, { progress, locks: session.catalog.locks });
    progress.done();
    ctx.out.result(report, () => renderLocks(report));
    return report.ok ? ExitCode.ok : ExitCode.failed;
  } finally {
    progress.done();
    await session.close();
  }
}

function renderLocks(report: LockReport): string {
  const lines = [
    `${report.snapshots} snapshots (${report.held} under legal hold), ${report.objects} locked objects read from the storage`,
  ];
  for (const w of report.warnings) lines.push(`warning: ${w}`);
  for (const f of report.findings) lines.push(`error: ${f.message}`);
  lines.push(
    report.ok ? 'every lock is at least what the policy demands' : `${report.findings.length} objects below the policy`,
  );
  return lines.join('\n');
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
