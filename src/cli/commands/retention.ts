import type { Command } from 'commander';
import type { Catalog } from '../../catalog/index.js';
import { CairnError } from '../../errors/index.js';
import type { ApprovalView } from '../../server/index.js';
import {
  type ForgetResult,
  forgetByPolicy,
  forgetSnapshots,
  type PruneResult,
  prune,
  removalAuditDetails,
} from '../../services/index.js';
import type { Context } from '../context.js';
import { fmtBytes, table } from '../output.js';
import { action, collect } from '../run.js';
import { renderPending } from './approval-view.js';

interface ForgetOptions {
  applyPolicy?: boolean;
  dryRun?: boolean;
  item?: string[];
  prune?: boolean;
  reason?: string;
}

export function registerRetention(program: Command): void {
  program
    .command('forget [ids...]')
    .description("remove snapshots: those the tiers' keep rules no longer keep (--apply-policy), or those named")
    .option('--apply-policy', "apply each tier's keep rules (last/hourly/daily/weekly/monthly/yearly/within) per item")
    .option('--item <name>', 'only this item (repeatable)', collect)
    .option('--dry-run', 'show the decisions, remove nothing')
    .option('--prune', 'run `cairn prune` afterwards')
    .option('--reason <text>', 'with CAIRN_SERVER: why the named snapshots should go, for their approvers')
    .addHelpText(
      'after',
      "\nA snapshot under WORM retention (its tier's lock or retention class) or a legal hold (`cairn hold`) is never\nremoved; the output says until when, or which hold, keeps it. Data is freed by `cairn prune`.\n" +
        'Through a server (CAIRN_SERVER), forgetting named snapshots becomes an approval request: the command\n' +
        'prints its id and how many approvals it needs, and the server forgets them once approvers have granted it.',
    )
    .action(
      action(async (ctx, ids: string[], opts: ForgetOptions) => {
        if (!opts.applyPolicy && ids.length === 0)
          throw new CairnError('CAIRN_E_USAGE', 'name snapshots to forget, or pass --apply-policy');
        if (opts.applyPolicy && ids.length > 0)
          throw new CairnError('CAIRN_E_USAGE', 'give either snapshot ids or --apply-policy, not both');
        const remote = ctx.remote();
        if (remote) {
          const answer = await remote.call<ForgetAnswer | { approval: ApprovalView }>('POST', '/api/v1/forget', {
            body: {
              ...(opts.applyPolicy ? { applyPolicy: true, ...(opts.item ? { items: opts.item } : {}) } : { ids }),
              dryRun: opts.dryRun ?? false,
              prune: opts.prune ?? false,
              ...(opts.reason && !opts.applyPolicy ? { reason: opts.reason } : {}),
            },
          });
          if ('approval' in answer) ctx.out.result(answer, () => renderPending(answer.approval));
          else ctx.out.result(answer, () => renderForget(answer));
          return 0;
        }
        const policy = opts.applyPolicy ? (await ctx.policy()).policy : undefined;
        const session = await ctx.session();
        try {
          if (!policy) await refuseWithoutApprovals(ctx, session.catalog, ids);
          const result = policy
            ? await forgetByPolicy(session.repo, session.catalog, policy, {
                dryRun: opts.dryRun ?? false,
                ...(opts.item ? { items: opts.item } : {}),
              })
            : await forgetSnapshots(session.repo, session.catalog, ids, { dryRun: opts.dryRun ?? false });
          ctx.addAuditDetails(removalAuditDetails(result));
          const pruned = opts.prune && !opts.dryRun ? await prune(session.repo, {}) : undefined;
          ctx.out.result({ ...result, ...(pruned ? { prune: pruned } : {}) }, () => renderForget(result));
          return 0;
        } finally {
          await session.close();
        }
      }),
    );

  program
    .command('prune')
    .description('delete data that no snapshot needs (packs under WORM retention or legal hold stay)')
    .option('--dry-run', 'show what would be freed, delete nothing')
    .option('--max-unused <pct>', 'repack a pack when more than this percentage of it is unused', '50')
    .action(
      action(async (ctx, opts: { dryRun?: boolean; maxUnused: string }) => {
        const pct = Number(opts.maxUnused.replace(/%$/, ''));
        if (!(pct >= 0 && pct <= 100))
          throw new CairnError('CAIRN_E_USAGE', `--max-unused ${opts.maxUnused} must be a percentage`);
        const remote = ctx.remote();
        if (remote) {
          const r = await remote.call<PruneResult>('POST', '/api/v1/prune', {
            body: { dryRun: opts.dryRun ?? false, maxUnused: pct },
          });
          ctx.out.result(r, () => renderPrune(r));
          return 0;
        }
        const session = await ctx.session();
        const repo = session.repo;
        const progress = ctx.out.progress();
        try {
          const r = await prune(repo, { dryRun: opts.dryRun ?? false, maxUnused: pct / 100 }, progress);
          progress.done();
          ctx.out.result(r, () => renderPrune(r));
          return 0;
        } finally {
          progress.done();
          await session.close();
        }
      }),
    );
}

type ForgetAnswer = ForgetResult & { readonly prune?: PruneResult };

function renderForget(result: ForgetResult): string {
  const rows = result.decisions.map((d) => [
    d.id.slice(0, 12),
    d.time.replace('T', ' ').slice(0, 19),
    d.item,
    d.action,
    d.reasons.join(', '),
  ]);
  const verb = result.dryRun ? 'would remove' : 'removed';
  return `${table(['ID', 'TIME', 'ITEM', 'ACTION', 'WHY'], rows)}\n${verb} ${result.removed} snapshots; ${result.retained} kept by retention locks`;
}

function renderPrune(r: PruneResult): string {
  const verb = r.dryRun ? 'would free' : 'freed';
  const lines = [
    `${verb} ${fmtBytes(r.bytesFreed)}: ${r.packsDeleted} unused packs, ${r.packsRepacked} repacked, ${r.orphanPacks} left by interrupted writes; ${r.blobsKept} blobs in use`,
  ];
  for (const k of r.retained) {
    const why = [k.retainUntil ? `retained until ${k.retainUntil}` : '', k.legalHold ? 'under legal hold' : ''];
    lines.push(`kept pack ${k.pack.slice(0, 12)}: ${why.filter(Boolean).join(', ')}`);
  }
  return lines.join('\n');
}

/**
 * Forgetting named snapshots is outside the keep rules. Where the policy asks for approvals on a tier
 * (deleteApprovals), that is done through the server, where N approvers other than the requester
 * sign it off with TOTP; the local CLI refuses rather than let the key holder skip them.
 */
async function refuseWithoutApprovals(ctx: Context, catalog: Catalog, ids: readonly string[]): Promise<void> {
  const policy = await ctx.policyIfAny();
  if (!policy) return;
  for (const id of ids) {
    const s = await catalog.getSnapshot(id);
    const needed = s?.tier ? (policy.tiers[s.tier]?.deleteApprovals ?? 0) : 0;
    if (s && needed > 0) {
      throw new CairnError(
        'CAIRN_E_FORBIDDEN',
        `snapshot ${s.id.slice(0, 12)} (${s.item}, tier ${s.tier}) needs ${needed} approvals to be forgotten outside the ` +
          'keep rules: request it through the server (CAIRN_SERVER=… cairn forget ID), approvers answer with `cairn approvals grant`',
        { id: s.id, tier: s.tier, approvals: needed },
      );
    }
  }
}
