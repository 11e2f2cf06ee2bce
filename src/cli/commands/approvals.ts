import { type Command, Option } from 'commander';
import { CairnError } from '../../errors/index.js';
import type { ApprovalStatus, ApprovalView } from '../../server/index.js';
import type { Context } from '../context.js';
import { promptSecret } from '../prompt.js';
import { requireServer, segment } from '../remote-mode.js';
import { action } from '../run.js';
import { renderApproval, renderApprovals } from './approval-view.js';

const STATUSES: readonly ApprovalStatus[] = [
  'pending',
  'approved',
  'executing',
  'executed',
  'failed',
  'denied',
  'cancelled',
  'expired',
];

/**
 * Approvals of destructive actions (forgetting or deleting snapshots outside the policy, shortening a
 * retention, lifting a legal hold, removing a key): N approvers other than the requester each grant
 * with a fresh TOTP code, and the last grant makes the server perform the action.
 */
export function registerApprovals(program: Command): void {
  const approvals = program
    .command('approvals')
    .description('approval requests of destructive actions on the server: list, show, grant, deny, cancel');
  approvals
    .command('list')
    .description('approval requests, newest first')
    .addOption(new Option('--status <status>', 'only those in this state').choices(STATUSES))
    .action(
      action(async (ctx, opts: { status?: ApprovalStatus }) => {
        const remote = requireServer(ctx, 'approvals list');
        const r = await remote.call<{ approvals: ApprovalView[] }>('GET', '/api/v1/approvals', {
          query: { status: opts.status },
        });
        ctx.out.result({ approvals: r.approvals }, () => renderApprovals(r.approvals));
        return 0;
      }),
    );
  approvals
    .command('show <id>')
    .description('one approval request with its grants, and the result once performed')
    .action(
      action(async (ctx, id: string) => {
        const remote = requireServer(ctx, 'approvals show');
        return show(ctx, await remote.call('GET', `/api/v1/approvals/${segment(id)}`));
      }),
    );
  approvals
    .command('grant <id>')
    .description('approve a request (not your own) with a fresh code from your authenticator')
    .option('--totp <code>', 'the 6-digit code (asked for on a terminal when not given)')
    .addHelpText(
      'after',
      '\nEach code is accepted once: granting two requests takes two codes, 30 seconds apart.\n' +
        'Enrol first with `cairn mfa enroll`. The last grant needed makes the server perform the action.',
    )
    .action(
      action(async (ctx, id: string, opts: { totp?: string }) => {
        const remote = requireServer(ctx, 'approvals grant');
        const totp = await totpCode(opts.totp);
        return show(ctx, await remote.call('POST', `/api/v1/approvals/${segment(id)}/grant`, { body: { totp } }));
      }),
    );
  approvals
    .command('deny <id>')
    .description('refuse a pending request')
    .option('--reason <text>', 'why, for the requester and the audit log')
    .action(
      action(async (ctx, id: string, opts: { reason?: string }) => {
        const remote = requireServer(ctx, 'approvals deny');
        const body = opts.reason ? { reason: opts.reason } : {};
        return show(ctx, await remote.call('POST', `/api/v1/approvals/${segment(id)}/deny`, { body }));
      }),
    );
  approvals
    .command('cancel <id>')
    .description('withdraw your own pending request')
    .action(
      action(async (ctx, id: string) => {
        const remote = requireServer(ctx, 'approvals cancel');
        return show(ctx, await remote.call('POST', `/api/v1/approvals/${segment(id)}/cancel`));
      }),
    );
}

function show(ctx: Context, approval: ApprovalView): number {
  ctx.out.result(approval, () => renderApproval(approval));
  return 0;
}

/** --totp, else a prompt on a terminal; a code is 6 to 8 digits. */
export async function totpCode(given: string | undefined): Promise<string> {
  let code = given;
  if (code === undefined) {
    if (!(process.stdin.isTTY && process.stderr.isTTY))
      throw new CairnError('CAIRN_E_USAGE', 'give the code from your authenticator with --totp CODE');
    code = await promptSecret('TOTP code: ');
  }
  code = code.trim();
  if (!/^[0-9]{6,8}$/.test(code))
    throw new CairnError('CAIRN_E_USAGE', 'a TOTP code is the 6 digits your authenticator shows now');
  return code;
}
