import { isAbsolute, resolve } from 'node:path';
import type { Command } from 'commander';
import { CairnError, ExitCode } from '../../errors/index.js';
import {
  checkChangeTicket,
  type RestoreResult,
  resolveSnapshot,
  restoreSnapshot,
  restoreToTarget,
  type TargetRestoreResult,
} from '../../services/index.js';
import type { Context } from '../context.js';
import { fmtBytes } from '../output.js';
import { action, collect } from '../run.js';

interface RestoreOptions {
  target?: string;
  toTarget?: boolean;
  include?: string[];
  overwrite?: boolean;
  dryRun?: boolean;
  release?: string;
  commit?: string;
  item?: string;
  change?: string;
}

export function registerRestore(program: Command): void {
  program
    .command('restore [id]')
    .description(
      "restore a snapshot into a folder, or with --to-target where the item's policy `restore:` says; every file is checked against its SHA-256",
    )
    .option('--target <dir>', 'folder to restore into (created if missing; must be empty unless --overwrite)')
    .option(
      '--to-target',
      "put the snapshot back where the item's `restore:` in the policy says: a directory (in place), a command's stdin or an HTTP PUT/POST",
    )
    .option('--include <glob>', 'only paths matching (repeatable; a folder takes everything below it)', collect)
    .option('--overwrite', 'replace files that exist in the target')
    .option('--dry-run', 'show what would be restored, write nothing')
    .option('--release <version>', 'the newest snapshot taken or verified under this release (with --item)')
    .option('--commit <sha>', 'the newest snapshot taken or verified at this commit (with --item)')
    .option('--item <name>', 'the item, with --release or --commit')
    .option(
      '--change <id>',
      'with --to-target: the change ticket, when the policy requires one for rollbacks (default: $CAIRN_CHANGE_ID)',
    )
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  cairn restore 3f2a9c1b --target /tmp/app-restored\n' +
        '  cairn restore --item app-prod --release 2.4.1 --target /srv/app --overwrite\n' +
        '  cairn restore --item flags-prod --release 2.4.1 --to-target --dry-run   # what would be sent where\n' +
        '  cairn restore 3f2a9c1b --to-target\n' +
        '\nWith --to-target a directory target is restored in place (files replaced, nothing deleted); a command\n' +
        "(`kubectl apply -f -`) gets the snapshot's one content file on stdin, an HTTP target gets it as the body.\n" +
        'Exit 0 when restored, 1 when the target failed or a file could not be restored, 2 for usage errors\n' +
        '(no --target/--to-target, or an item without `restore:`). docs/SOURCES.md describes the targets.\n' +
        'Writing into a live target is a rollback for the change-ticket rule (changeTickets.requireFor with\n' +
        'action rollback): then --change (or CAIRN_CHANGE_ID) must name an approved ticket whose window is open.',
    )
    .action(
      action(async (ctx, id: string | undefined, opts: RestoreOptions) => {
        if (id && (opts.release || opts.commit)) {
          throw new CairnError('CAIRN_E_USAGE', 'give either a snapshot id or --release/--commit, not both');
        }
        if (!opts.target === !opts.toTarget) {
          throw new CairnError(
            'CAIRN_E_USAGE',
            "give either --target <dir> or --to-target (the policy's restore target)",
          );
        }
        if (opts.toTarget) return restoreToPolicyTarget(ctx, id, opts);
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

async function restoreToPolicyTarget(ctx: Context, id: string | undefined, opts: RestoreOptions): Promise<number> {
  if (ctx.remote()) {
    throw new CairnError(
      'CAIRN_E_USAGE',
      '--to-target runs where the policy and its targets are: run it without --server (or use `cairn rollback`)',
    );
  }
  if (opts.overwrite || opts.include?.length) {
    throw new CairnError(
      'CAIRN_E_USAGE',
      '--overwrite and --include go with --target; --to-target restores the whole snapshot',
    );
  }
  const { policy } = await ctx.policy();
  const session = await ctx.session();
  try {
    const snap = await resolveSnapshot(session.catalog, {
      ...(id ? { id } : {}),
      ...(opts.release ? { release: opts.release } : {}),
      ...(opts.commit ? { commit: opts.commit } : {}),
      ...(opts.item ? { item: opts.item } : {}),
    });
    const item = policy.items.find((i) => i.name === snap.item);
    if (!item) {
      throw new CairnError(
        'CAIRN_E_USAGE',
        `snapshot ${snap.id.slice(0, 12)} is of item ${snap.item}, which ${policy.file} no longer has; restore it with --target <dir>`,
      );
    }
    // Writing into a live target is what a rollback does: the same change-ticket rule, checked before anything is sent.
    const dryRun = opts.dryRun ?? false;
    const ticket = dryRun
      ? null
      : await checkChangeTicket(policy, {
          action: 'rollback',
          tiers: [item.tier],
          environment: item.environment,
          change: opts.change ?? process.env.CAIRN_CHANGE_ID ?? null,
          now: new Date(),
        });
    ctx.addAuditDetails({ item: item.name, snapshot: snap.id, ticket });
    const result = await restoreToTarget(session, policy, item, snap, { dryRun });
    ctx.out.result(result, () => renderTarget(result));
    return ExitCode.ok;
  } finally {
    await session.close();
  }
}

function renderTarget(r: TargetRestoreResult): string {
  const snap = r.snapshot.slice(0, 12);
  if (r.kind === 'directory') {
    const verb = r.dryRun ? 'would restore' : 'restored';
    const lines = [`${verb} ${r.files} files (${fmtBytes(r.bytes)}) of ${r.item} ${snap} into ${r.target}`];
    if (r.dryRun) lines.push(...(r.restore?.paths ?? []).map((p) => `  ${p}`));
    return lines.join('\n');
  }
  if (r.dryRun) return `would send ${r.file} (${fmtBytes(r.bytes)}) of ${r.item} ${snap} to ${r.target}`;
  const lines = [
    `sent ${r.file} (${fmtBytes(r.bytes)}) of ${r.item} ${snap} to ${r.target}` +
      (r.delivery?.status ? `: HTTP ${r.delivery.status}` : ''),
  ];
  if (r.delivery?.output) lines.push(...r.delivery.output.split('\n').map((l) => `  ${l}`));
  return lines.join('\n');
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
