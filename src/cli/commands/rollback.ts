import type { Command } from 'commander';
import { ExitCode } from '../../errors/index.js';
import {
  type RollbackEvent,
  type RollbackItem,
  type RollbackResult,
  rollbackDeployment,
} from '../../services/index.js';
import type { Context } from '../context.js';
import { table } from '../output.js';
import { action } from '../run.js';

interface RollbackOptions {
  deployment: string;
  dryRun?: boolean;
  change?: string;
  allowOlder?: boolean;
}

export function registerRollback(program: Command): void {
  program
    .command('rollback')
    .description("put a deployment's environment back to its pre-deploy snapshots, into each item's restore target")
    .requiredOption('--deployment <id>', 'the deployment to roll back (cairn deploy list shows them)')
    .option('--dry-run', 'show the plan and the diff of every item; write and record nothing')
    .option('--change <id>', "the change ticket for the rollback (default: the deployment's)")
    .option(
      '--allow-older',
      'restore an item whose pre-deploy snapshot is missing from the newest snapshot taken before the deployment (default: such an item fails)',
    )
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  cairn rollback --deployment D-20261102-k3x9qa --dry-run\n' +
        '  cairn rollback --deployment D-20261102-k3x9qa --json\n' +
        "\nThe items are those of the deployment's pre-deploy bundle, with the items each is bundled with\n" +
        '(bundleWith: feature flags with their configuration), bundle members one after the other. For each\n' +
        'item the live state is compared with its pre-deploy snapshot first (no difference: nothing written),\n' +
        "then the snapshot goes into the item's `restore:` target, then the item is checked: its source read\n" +
        'again must match the snapshot, or, when no source reads what the target holds, the target accepted it.\n' +
        'Every step is recorded: an interrupted rollback is resumed by running the same command again.\n' +
        'An item without a restore target fails with a message naming it (add restore: to the policy).\n' +
        'An item whose pre-deploy capture is missing fails too, naming the newest older snapshot; --allow-older\n' +
        'restores that one instead (an automatic rollback never does). Two rollbacks of one deployment never run\n' +
        'at once: the second is refused with CAIRN_E_REPO_LOCKED naming the first.\n' +
        'Exit codes: 0 rolled back (or a dry run whose plan can go through); 1 an item failed, the plan has an\n' +
        'item that cannot be restored, or the change ticket is refused; 2 bad usage or invalid policy.\n' +
        'With CAIRN_SERVER the server rolls back under its own policy (needs rollback.run: restorer or admin).',
    )
    .action(
      action(async (ctx, opts: RollbackOptions) => {
        const input = {
          deployment: opts.deployment,
          dryRun: opts.dryRun ?? false,
          ...(opts.change !== undefined ? { change: opts.change } : {}),
          ...(opts.allowOlder ? { allowOlder: true } : {}),
        };
        const remote = ctx.remote();
        if (remote) {
          const { deployment, ...body } = input;
          const result = await remote.call<RollbackResult>(
            'POST',
            `/api/v1/deployments/${encodeURIComponent(deployment)}/rollback`,
            { body },
          );
          if (!ctx.out.json) process.stdout.write(`${renderPlan(result)}\n`);
          return show(ctx, result);
        }
        const { policy } = await ctx.policy();
        const session = await ctx.session();
        const events = (e: RollbackEvent) => {
          if (ctx.out.json) return;
          if (e.kind === 'plan') process.stdout.write(`${renderPlan(e.result)}\n`);
          else ctx.out.note(`[${e.index + 1}/${e.total}] ${itemLine(e.item)}`);
        };
        const result = await rollbackDeployment(session, policy, { ...input, actor: ctx.identity.subject }, events);
        ctx.addAuditDetails({ rollback: result.rollback, ticket: result.ticket ?? null });
        return show(ctx, result);
      }),
    );
}

function show(ctx: Context, result: RollbackResult): number {
  ctx.out.result(result, () => renderOutcome(result));
  return exitOf(result);
}

export function exitOf(r: RollbackResult): number {
  if (r.status === 'failed') return ExitCode.failed;
  if (r.dryRun && (r.ticketError || r.items.some((i) => i.state === 'failed'))) return ExitCode.failed;
  return ExitCode.ok;
}

function diffSummary(i: RollbackItem): string {
  if (i.state === 'verified' && i.diff.changes.length === 0 && !i.diff.error) return 'verified earlier';
  if (i.diff.error) return `cannot diff: ${i.diff.error.message}`;
  if (!i.diff.drifted) return 'no difference';
  return `${i.diff.changes.length} change${i.diff.changes.length === 1 ? '' : 's'}`;
}

/** The plan: every item with its snapshot, target and diff, before anything is written. */
export function renderPlan(r: RollbackResult): string {
  const head = `${r.dryRun ? 'dry run: ' : ''}rollback ${r.rollback} of deployment ${r.deployment} (${r.environment})${r.resumed ? ', resuming the interrupted run' : ''}`;
  const rows = r.items.map((i) => [
    i.item,
    i.snapshot ? i.snapshot.slice(0, 12) : '-',
    i.target || '-',
    diffSummary(i),
    i.state,
  ]);
  const lines = [head, table(['ITEM', 'SNAPSHOT', 'TARGET', 'DIFF', 'STATE'], rows)];
  for (const i of r.items) {
    for (const c of i.diff.changes.slice(0, 20)) {
      lines.push(`  ${i.item}: ${c.kind} ${c.path}${c.detail?.length ? `: ${c.detail.slice(0, 5).join(', ')}` : ''}`);
    }
    if (i.diff.changes.length > 20) lines.push(`  ${i.item}: … ${i.diff.changes.length - 20} more`);
    if (i.state === 'failed' && i.error) lines.push(`  ${i.item}: ${i.error.code}: ${i.error.message}`);
  }
  if (r.ticketError) lines.push(`change ticket: ${r.ticketError.code}: ${r.ticketError.message}`);
  return lines.join('\n');
}

function itemLine(i: RollbackItem): string {
  const how = i.verify === 'live' ? 'source read back matches' : 'target accepted it';
  switch (i.state) {
    case 'verified':
      return `${i.item}: restored into ${i.target} and verified (${how})`;
    case 'unchanged':
      return `${i.item}: unchanged since the pre-deploy snapshot, nothing written`;
    case 'failed':
      return `${i.item}: FAILED ${i.error?.code ?? ''}: ${i.error?.message ?? ''}`;
    default:
      return `${i.item}: ${i.state}`;
  }
}

function renderOutcome(r: RollbackResult): string {
  const count = (s: string) => r.items.filter((i) => i.state === s).length;
  if (r.dryRun) {
    const pending = count('pending');
    return `dry run: ${pending} item${pending === 1 ? '' : 's'} would be restored, ${count('unchanged')} unchanged, ${count('failed')} cannot be; nothing written`;
  }
  const lines = r.items.filter((i) => i.state === 'failed').map((i) => itemLine(i));
  lines.push(
    `rollback ${r.rollback} ${r.status}: ${count('verified')} verified, ${count('unchanged')} unchanged, ${count('failed')} failed; deployment ${r.deployment} ${r.status === 'completed' ? 'rolled-back' : 'rollback-failed'}`,
  );
  return lines.join('\n');
}
