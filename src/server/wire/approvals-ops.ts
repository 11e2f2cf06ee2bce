import type { Identity } from '../../auth/index.js';
import type { ApprovalStatus as StoredStatus } from '../../catalog/index.js';
import type { RepositoryBackend } from '../backend.js';
import type { AccessBackend, ApprovalStatus } from '../backend-access.js';
import { prepareAction } from './approval-actions.js';
import { executeApproved } from './approval-execution.js';
import type { WireContext } from './wire-context.js';

type Approvals = Pick<RepositoryBackend<Identity>, 'requestApproval'> &
  Pick<AccessBackend<Identity>, 'listApprovals' | 'showApproval' | 'grantApproval' | 'denyApproval' | 'cancelApproval'>;

/**
 * Approvals of destructive actions: requested with the approvals the policy asks for (the largest
 * deleteApprovals of the snapshots' tiers), granted with fresh TOTP codes by distinct approvers;
 * the grant that completes one makes this server claim and carry out the action.
 */
export function approvalsOps(ctx: WireContext): Approvals {
  return {
    async requestApproval(input, caller) {
      const prepared = await prepareAction(ctx, input);
      const access = await ctx.access();
      return access.requestApproval({
        action: input.action,
        ...prepared,
        ...(input.reason ? { reason: input.reason } : {}),
        requestedBy: caller.identity,
      });
    },
    async listApprovals({ status }) {
      const access = await ctx.access();
      const approvals = await access.listApprovals(status ? { status: [stored(status)] } : {});
      return { approvals: approvals.filter((a) => !status || a.status === status) };
    },
    showApproval: async (id) => (await ctx.access()).getApproval(id),
    async grantApproval(id, { totp }, caller) {
      const access = await ctx.access();
      const granted = await access.grantApproval(id, { approver: caller.identity, totpCode: totp });
      return granted.status === 'approved' ? executeApproved(ctx, access, granted, caller) : granted;
    },
    denyApproval: async (id, { reason }, caller) => (await ctx.access()).denyApproval(id, caller.identity, reason),
    cancelApproval: async (id, caller) => (await ctx.access()).cancelApproval(id, caller.identity),
  };
}

/** `expired` is computed from the clock: it is stored as pending. */
function stored(status: ApprovalStatus): StoredStatus {
  return status === 'expired' ? 'pending' : status;
}
