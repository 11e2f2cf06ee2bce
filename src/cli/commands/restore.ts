import { isAbsolute, resolve } from 'node:path';
import type { Command } from 'commander';
import { CairnError, ExitCode } from '../../errors/index.js';
import { type RestoreResult, resolveSnapshot, restoreSnapshot } from '../../services/index.js';
import { fmtBytes } from '../output.js';
import { action, collect } from '../run.js';

interface RestoreOptions {
  target?: string;
  include?: string[];
  overwrite?: boolean;
  dryRun?: boolean;
  release?: string;
  commit?: string;
  item?: string;
}

export function registerRestore(program: Command): void {
  program
    .command('restore [id]')
    .description(
      'restore a snapshot into a folder; every file is checked against its SHA-256 before it is put in place',
    )
    .requiredOption('--target <dir>', 'folder to restore into (created if missing; must be empty unless --overwrite)')
    .option('--include <glob>', 'only paths matching (repeatable; a folder takes everything below it)', collect)
    .option('--overwrite', 'replace files that exist in the target')
    .option('--dry-run', 'show what would be restored, write nothing')
    .option('--release <version>', 'the newest snapshot taken or verified under this release (with --item)')
    .option('--commit <sha>', 'the newest snapshot taken or verified at this commit (with --item)')
    .option('--item <name>', 'the item, with --release or --commit')
    .action(
      action(async (ctx, id: string | undefined, opts: RestoreOptions) => {
        if (id && (opts.release || opts.commit)) {
          throw new CairnError('CAIRN_E_USAGE', 'give either a snapshot id or --release/--commit, not both');
        }
        const remote = ctx.remote();
        if (remote) {
          if (!isAbsolute(opts.target!))
            throw new CairnError(
              'CAIRN_E_USAGE',
              `--target ${opts.target} is a folder on the server: give its absolute path (under a --restore-root of the server, or the item's restore.directory)`,
            );
          const result = await remote.call<RestoreResult>('POST', '/api/v1/restore', {
            body: {
              ...(id ? { snapshot: id } : {}),
              ...(opts.release ? { release: opts.release } : {}),
              ...(opts.commit ? { commit: opts.commit } : {}),
              ...(opts.item ? { item: opts.item } : {}),
              target: opts.target,
              include: opts.include ?? [],
              overwrite: opts.overwrite ?? false,
              dryRun: opts.dryRun ?? false,
            },
          });
          ctx.out.result(result, () => render(result));
          return result.failed.length > 0 ? ExitCode.failed : ExitCode.ok;
        }
        const session = await ctx.session();
        const progress = ctx.out.progress();
        try {
          const snap = await resolveSnapshot(session.catalog, {
            ...(id ? { id } : {}),
            ...(opts.release ? { release: opts.release } : {}),
            ...(opts.commit ? { commit: opts.commit } : {}),
            ...(opts.item ? { item: opts.item } : {}),
          });
          const result = await restoreSnapshot(
            session.repo,
            snap,
            {
              target: resolve(opts.target!),
              include: opts.include ?? [],
              overwrite: opts.overwrite ?? false,
              dryRun: opts.dryRun ?? false,
            },
            progress,
          );
          progress.done();
          ctx.out.result(result, () => render(result));
          return result.failed.length > 0 ? ExitCode.failed : ExitCode.ok;
        } finally {
          progress.done();
          await session.close();
        }
      }),
    );
}

function render(result: RestoreResult): string {
  const verb = result.dryRun ? 'would restore' : 'restored';
  const lines = [
    `${verb} ${result.files - result.failed.length} files (${fmtBytes(result.bytes)}), ${result.dirs} folders, ${result.symlinks} symlinks of ${result.item} ${result.snapshot.slice(0, 12)} into ${result.target}`,
  ];
  if (result.dryRun) lines.push(...(result.paths ?? []).map((p) => `  ${p}`));
  for (const f of result.failed) lines.push(`FAILED ${f.path}: ${f.message}`);
  return lines.join('\n');
}
