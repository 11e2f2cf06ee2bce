import { type Command, Option } from 'commander';
import type { Trigger } from '../../catalog/index.js';
import { ExitCode } from '../../errors/index.js';
import type { Policy } from '../../policy/index.js';
import type { Repository } from '../../repo/index.js';
import {
  type AfterSnapshotReplication,
  type ItemResult,
  replicateAfterSnapshot,
  runMetadata,
  TRIGGERS,
  takeSnapshots,
} from '../../services/index.js';
import type { Context } from '../context.js';
import { fmtBytes, fmtDuration } from '../output.js';
import { action, collect } from '../run.js';
import { recordLocalBackupOutcomes } from './alerts.js';
import { describeReplication } from './replicate.js';

interface SnapshotOptions {
  item?: string[];
  env?: string;
  trigger?: Trigger;
  release?: string;
  commit?: string;
  change?: string;
  deployment?: string;
  force?: boolean;
}

export function registerSnapshot(program: Command): void {
  program
    .command('snapshot')
    .description(
      'take one snapshot per item of the policy (all items, or those named); an unchanged item is recorded as verified',
    )
    .option('--item <name>', 'only this item (repeatable)', collect)
    .option('--env <env>', 'only the items of this environment')
    .addOption(new Option('--trigger <trigger>', 'why this snapshot is taken').choices(TRIGGERS).default('manual'))
    .option('--release <version>', 'release (semver) this state belongs to')
    .option('--commit <sha>', 'commit hash of the deployed revision')
    .option('--change <id>', 'change ticket id (CAB)')
    .option('--deployment <id>', 'deployment id')
    .option('--force', 'write a new snapshot even when nothing changed')
    .addHelpText(
      'after',
      '\nMetadata not given is taken from GitHub Actions, GitLab CI or Jenkins variables where present,\n' +
        'else from the OS user and host. Exit codes: 0 every item snapshotted or verified unchanged;\n' +
        '1 an item failed (nothing recorded for it); 3 a snapshot was written but some files were unreadable.\n' +
        "Each item's outcome counts toward its backup-failed alert (alerts.consecutiveFailures; docs/MONITORING.md).",
    )
    .action(
      action(async (ctx, opts: SnapshotOptions) => {
        const remote = ctx.remote();
        if (remote) {
          const { snapshots, replication } = await remote.call<{
            snapshots: ItemResult[];
            replication?: AfterSnapshotReplication;
          }>('POST', '/api/v1/snapshots', { body: remoteRequest(ctx, opts) });
          return finish(ctx, snapshots, replication);
        }
        const { policy } = await ctx.policy();
        const session = await ctx.session();
        const progress = ctx.out.progress();
        let results: ItemResult[];
        let replication: AfterSnapshotReplication | undefined;
        try {
          results = await takeSnapshots(
            session,
            policy,
            {
              ...(opts.item ? { items: opts.item } : {}),
              ...(opts.env ? { environment: opts.env } : {}),
              force: opts.force ?? false,
              run: {
                ...(opts.trigger ? { trigger: opts.trigger } : {}),
                ...(opts.release ? { release: opts.release } : {}),
                ...(opts.commit ? { commit: opts.commit } : {}),
                ...(opts.change ? { change: opts.change } : {}),
                ...(opts.deployment ? { deployment: opts.deployment } : {}),
              },
            },
            progress,
          );
          progress.done();
          await recordLocalBackupOutcomes(ctx, policy, results);
          replication = await replicateAfter(ctx, session.repo, policy, results);
        } finally {
          progress.done();
          await session.close();
        }
        return finish(ctx, results, replication);
      }),
    );
}

/** The replication the policy asks for after snapshots, with its progress shown and a failure warned of. */
async function replicateAfter(
  ctx: Context,
  repo: Repository,
  policy: Policy,
  results: readonly ItemResult[],
): Promise<AfterSnapshotReplication | undefined> {
  const progress = ctx.out.progress();
  let replication: AfterSnapshotReplication | undefined;
  try {
    replication = await replicateAfterSnapshot(repo, policy, results, progress);
  } finally {
    progress.done();
  }
  const rerun = 'the snapshots are committed, run `cairn replicate`';
  if (replication?.error) {
    const { code, message } = replication.error;
    ctx.out.warn(`replication to ${replication.to} failed (${code}: ${message}); ${rerun}`);
  } else if (replication?.result && !replication.ok) {
    const n = replication.result.failed.length + replication.result.heldBack.length;
    ctx.out.warn(`replication to ${replication.to}: ${n} object(s) not copied; ${rerun}`);
  }
  return replication;
}

function finish(ctx: Context, results: readonly ItemResult[], replication?: AfterSnapshotReplication): number {
  const ticket = results.find((r) => r.ticket)?.ticket;
  if (ticket) ctx.addAuditDetails({ ticket });
  ctx.out.result(replication ? { snapshots: results, replication } : { snapshots: results }, () =>
    [...ticketLine(results), ...results.map(describe), ...(replication ? [describeReplication(replication)] : [])].join(
      '\n',
    ),
  );
  if (results.some((r) => r.status === 'failed')) return ExitCode.failed;
  // A failed replication never undoes a snapshot: partial, and the JSON's replication.ok says why.
  if (results.some((r) => r.status === 'partial') || replication?.ok === false) return ExitCode.partial;
  return ExitCode.ok;
}

/**
 * The server runs the snapshot, but the release, commit, change and deployment are this side's: what
 * the command was given, else what this pipeline's CI variables (or CAIRN_CHANGE_ID…) say.
 */
function remoteRequest(ctx: Context, opts: SnapshotOptions): Record<string, unknown> {
  const run = runMetadata(opts, { name: '', tier: '' }, new Date(), ctx.env);
  return {
    ...(opts.item ? { items: opts.item } : {}),
    ...(opts.env ? { env: opts.env } : {}),
    trigger: opts.trigger ?? 'manual',
    ...(run.release ? { release: run.release } : {}),
    ...(run.commit ? { commit: run.commit } : {}),
    ...(run.change ? { change: run.change } : {}),
    ...(run.deployment ? { deployment: run.deployment } : {}),
    ...(opts.force ? { force: true } : {}),
  };
}

/** The change ticket the policy required, as checked before the snapshots (each result's `ticket` in --json). */
function ticketLine(results: readonly ItemResult[]): string[] {
  const t = results.find((r) => r.ticket)?.ticket;
  return t
    ? [`change ticket ${t.id}: ${t.approval ?? '-'} / ${t.state ?? '-'}, window ${t.start} – ${t.end} (${t.provider})`]
    : [];
}

function describe(r: ItemResult): string {
  const id = r.id?.slice(0, 12) ?? '-';
  const took = fmtDuration(r.durationMs / 1000);
  switch (r.status) {
    case 'failed':
      return `${r.item}: FAILED ${r.error?.code}: ${r.error?.message}`;
    case 'unchanged':
      return `${r.item}: unchanged, verified against ${id} (${r.files} files, ${took})`;
    default: {
      const head = `${r.item}: ${r.status} ${id} (${r.files} files, ${fmtBytes(r.bytes)}; read ${r.readFiles} files, added ${fmtBytes(r.addedBytes)}; ${took})`;
      const lost = r.unreadable.map((u) => `\n  unreadable: ${u.path} (${u.reason})`).join('');
      return head + lost;
    }
  }
}
