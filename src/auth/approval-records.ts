import type { ApprovalFilter, ApprovalRequestRecord, ApprovalStatus } from '../catalog/index.js';
import { CairnError } from '../errors/index.js';
import type { ApprovalAction } from './approval-actions.js';
import { type AccessContext, isPast, nowIso } from './context.js';

/**
 * Approval requests as the access layer shows them (expiry computed from the clock), and their
 * status changes, each a compare-and-set on the stored status.
 */

/** As stored, plus `expired`: pending past expiresAt. */
export type ApprovalState = ApprovalStatus | 'expired';

export interface Approval extends Omit<ApprovalRequestRecord, 'status' | 'action'> {
  readonly action: ApprovalAction;
  readonly status: ApprovalState;
}

export async function getApproval(ctx: AccessContext, id: string): Promise<Approval> {
  const request = await ctx.store.getApproval(id);
  if (request === undefined) {
    throw new CairnError('CAIRN_E_NOT_FOUND', `no approval request ${JSON.stringify(id)}: see \`cairn approvals\``, {
      id,
    });
  }
  return approval(ctx, request);
}

export async function listApprovals(ctx: AccessContext, filter: ApprovalFilter = {}): Promise<Approval[]> {
  return (await ctx.store.listApprovals(filter)).map((request) => approval(ctx, request));
}

export async function changeApproval(
  ctx: AccessContext,
  id: string,
  transition: { from: ApprovalStatus[]; to: ApprovalStatus; by?: string; note?: string | null; result?: unknown },
): Promise<Approval> {
  const current = await getApproval(ctx, id);
  const done =
    transition.from.includes(current.status as ApprovalStatus) &&
    (await ctx.store.transitionApproval(id, { ...transition, at: nowIso(ctx) }));
  if (!done) throw notPending(await getApproval(ctx, id), transition.to);
  return getApproval(ctx, id);
}

export function notPending(request: Approval, to?: ApprovalStatus): CairnError {
  const what = to === undefined ? 'no longer pending' : `cannot become ${to}`;
  return new CairnError('CAIRN_E_USAGE', `approval request ${request.id} is ${request.status}: it ${what}`, {
    id: request.id,
    status: request.status,
  });
}

function approval(ctx: AccessContext, request: ApprovalRequestRecord): Approval {
  const expired = request.status === 'pending' && isPast(ctx, request.expiresAt);
  return { ...request, action: request.action as ApprovalAction, status: expired ? 'expired' : request.status };
}
