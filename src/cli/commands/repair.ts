import type { Command } from 'commander';
import { CairnError, ExitCode } from '../../errors/index.js';
import { openReplica, type RepairResult, repairFromReplica, syncCatalog } from '../../services/index.js';
import { fmtBytes } from '../output.js';
import { action } from '../run.js';

interface RepairOptions {
  from: string;
  dryRun?: boolean;
}

export function registerRepair(program: Command): void {
  program
    .command('repair')
    .description('replace missing or damaged packs, index files, snapshots and verifications with a replica’s copies')
    .requiredOption('--from <repo>', 'a replica of this repository (made by `cairn replicate --to`)')
    .option('--dry-run', 'find and verify what would be repaired; write nothing')
    .addHelpText(
      'after',
      '\nReads every pack, index file, snapshot and verification of the repository and checks it against\n' +
        'its SHA-256 name; a damaged one, a pack an index names but that is gone, and a snapshot the replica\n' +
        'still holds under a lock but the repository lost, are fetched from the replica, verified there, and\n' +
        'written back (on S3 as a new version: the damaged one stays under its lock). Config and keys are\n' +
        'never touched. Exit codes: 0 nothing to repair, or all repaired; 1 something could not be repaired.',
    )
    .action(
      action(async (ctx, opts: RepairOptions) => {
        if (ctx.remote()) throw new CairnError('CAIRN_E_USAGE', 'repair runs against the repository, not --server');
        const source = openReplica(opts.from);
        try {
          const session = await ctx.session();
          const progress = ctx.out.progress();
          let result: RepairResult;
          try {
            result = await repairFromReplica(session.repo, { from: source, dryRun: opts.dryRun ?? false }, progress);
          } finally {
            progress.done();
          }
          // Restored snapshot objects: the catalog finds them again now rather than at the next command.
          if (!result.dryRun && result.repaired.length > 0) await syncCatalog(session.repo, session.catalog);
          ctx.out.result(result, () => render(result));
          return result.ok ? ExitCode.ok : ExitCode.failed;
        } finally {
          await source.close();
        }
      }),
    );
}

function render(r: RepairResult): string {
  const lines = [`checked ${r.checked.objects} objects (${fmtBytes(r.checked.bytes)}) of ${r.primary}`];
  const verb = r.dryRun ? 'would repair' : 'repaired';
  for (const o of r.repaired) lines.push(`${verb} ${o.key} (${o.reason}, ${fmtBytes(o.bytes)}) from ${r.from}`);
  for (const p of r.failed) lines.push(`could not repair ${p.key}: ${p.code}: ${p.message}`);
  for (const key of r.notRestored)
    lines.push(`left alone: ${key} is only in ${r.from}, without a lock there (forgotten on purpose, or not)`);
  if (r.repaired.length === 0 && r.failed.length === 0) lines.push('nothing to repair');
  return lines.join('\n');
}
