import type { Command } from 'commander';
import { CairnError, ExitCode } from '../../errors/index.js';
import {
  type AfterSnapshotReplication,
  openReplica,
  openReplicaChecked,
  type ReplicateResult,
  type ReplicationStatus,
  replicateRepository,
  replicationStatus,
} from '../../services/index.js';
import type { Context } from '../context.js';
import { fmtBytes, fmtDuration, table } from '../output.js';
import { action } from '../run.js';

interface ReplicateOptions {
  to?: string;
  status?: boolean;
  syncLocks?: boolean;
  concurrency?: string;
  createBucket?: boolean;
}

export function registerReplicate(program: Command): void {
  program
    .command('replicate')
    .description('copy the repository to a second one (another bucket or folder): every object it lacks, verified')
    .option(
      '--to <repo>',
      'the second repository: a folder or s3://bucket/prefix (default: replication.to in cairn.yaml)',
    )
    .option('--status', 'show per item how many snapshots the replica lacks and since when; copy nothing')
    .option('--sync-locks', "raise every replica object's lock to the primary's (costs a HEAD per object on S3)")
    .option('--concurrency <n>', 'objects copied at the same time', '8')
    .option('--create-bucket', 'S3 replica: create its bucket, with versioning and Object Lock, when it does not exist')
    .addHelpText(
      'after',
      '\nThe replica is a byte-for-byte mirror: same repository id, same keys, so the same secret opens it\n' +
        'and `cairn --repo REPO2 restore` works from it alone. Each object is checked against its SHA-256\n' +
        'before it is sent and read back after; it keeps its retention, lock mode and legal hold. A run\n' +
        'copies only what the replica lacks, so an interrupted run is resumed by running it again.\n' +
        'Nothing is ever deleted on the replica. A location holding another repository is refused.\n' +
        'An S3 replica bucket must have versioning and Object Lock, as for `cairn init` (--create-bucket).\n' +
        'Exit codes: 0 the replica has every object; 1 an object failed or a snapshot was held back;\n' +
        'with --status, 1 when an item whose tier has `replicate: true` is behind.\n' +
        "With CAIRN_SERVER, the server replicates to (or reports on) its policy's replication.to only; --to may\n" +
        'only name that replica.',
    )
    .action(
      action(async (ctx, opts: ReplicateOptions) => {
        const concurrency = Number(opts.concurrency ?? '8');
        if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64)
          throw new CairnError(
            'CAIRN_E_USAGE',
            `--concurrency ${opts.concurrency} must be a whole number from 1 to 64`,
          );
        const remote = ctx.remote();
        if (remote) {
          if (opts.createBucket)
            throw new CairnError(
              'CAIRN_E_USAGE',
              '--create-bucket works where the repository is, not through a server',
            );
          const to = opts.to !== undefined ? { to: opts.to } : {};
          if (opts.status)
            return showStatus(ctx, await remote.call('GET', '/api/v1/replication/status', { query: to }));
          const body = { ...to, syncLocks: opts.syncLocks ?? false, concurrency };
          return showResult(ctx, await remote.call('POST', '/api/v1/replicate', { body }));
        }
        const policy = await ctx.policyIfAny();
        const location = opts.to ?? policy?.replication?.to;
        if (!location)
          throw new CairnError(
            'CAIRN_E_USAGE',
            'no replica named: pass --to REPO2 or set replication.to in cairn.yaml',
          );
        // --status only lists the replica; a copy needs a bucket that can hold the primary's locks.
        const target = opts.status
          ? openReplica(location)
          : await openReplicaChecked(location, { createBucket: opts.createBucket === true });
        try {
          const session = await ctx.session();
          if (opts.status) {
            return showStatus(ctx, await replicationStatus(session.repo, session.catalog, policy, target));
          }
          const progress = ctx.out.progress();
          let result: ReplicateResult;
          try {
            result = await replicateRepository(
              session.repo,
              { to: target, concurrency, syncLocks: opts.syncLocks ?? false },
              progress,
            );
          } finally {
            progress.done();
          }
          return showResult(ctx, result);
        } finally {
          await target.close();
        }
      }),
    );
}

/** `replicate --status`, here or from a server: exit 1 when an item that replicates after every snapshot is behind. */
function showStatus(ctx: Context, status: ReplicationStatus): number {
  ctx.out.result(status, () => renderStatus(status));
  return status.late.length > 0 ? ExitCode.failed : ExitCode.ok;
}

function showResult(ctx: Context, result: ReplicateResult): number {
  ctx.out.result(result, () => renderResult(result));
  return result.ok ? ExitCode.ok : ExitCode.failed;
}

export function describeReplication(r: AfterSnapshotReplication): string {
  if (r.error) return `replication to ${r.to}: FAILED ${r.error.code}: ${r.error.message}`;
  return `replication: ${renderResult(r.result!)}`;
}

function renderResult(r: ReplicateResult): string {
  const lines: string[] = [];
  const kinds = Object.entries(r.copiedByKind)
    .map(([kind, n]) => `${n} ${kind}`)
    .join(', ');
  if (r.copied === 0 && r.failed.length === 0 && r.heldBack.length === 0)
    lines.push(`nothing to copy: ${r.to} has all ${r.objects} objects of ${r.from}`);
  else
    lines.push(
      `copied ${r.copied} objects (${fmtBytes(r.copiedBytes)}) to ${r.to}${kinds ? `: ${kinds}` : ''}; ${r.alreadyThere} were there already`,
    );
  if (r.copied > 0) {
    const v = r.verified;
    const share = Math.round((100 * v.verifyMs) / Math.max(1, v.readMs + v.writeMs + v.verifyMs));
    lines.push(
      `verified on arrival: ${v.objects} objects, ${fmtBytes(v.bytes)} read back (${share}% of the transfer time); took ${fmtDuration(r.durationMs / 1000)}`,
    );
  }
  if (r.locksRaised > 0) lines.push(`raised the lock of ${r.locksRaised} objects already on the replica`);
  for (const p of r.heldBack) lines.push(`held back: ${p.message}`);
  for (const p of r.failed) lines.push(`failed: ${p.key}: ${p.code}: ${p.message}`);
  return lines.join('\n');
}

function renderStatus(s: ReplicationStatus): string {
  const rows = s.items.map((i) => [
    i.item,
    i.tier ?? '-',
    i.replicate ? 'yes' : 'no',
    String(i.snapshots),
    String(i.behind),
    i.behind > 0 ? fmtDuration(i.lagMs / 1000) : '-',
    i.newestReplicated ?? '-',
  ]);
  const head = `replica ${s.to} of ${s.from}: ${s.behind === 0 ? 'up to date' : `${s.behind} snapshots behind`}`;
  const late = s.late.length > 0 ? `\nlate (tier replicates after every snapshot): ${s.late.join(', ')}` : '';
  return `${head}\n${table(['ITEM', 'TIER', 'REPLICATE', 'SNAPSHOTS', 'BEHIND', 'LAG', 'NEWEST REPLICATED'], rows)}${late}`;
}
