import { CairnError } from '../errors/index.js';
import { APPROVAL_ACTIONS, type ApprovalAction, isApprovalAction } from './approval-actions.js';
import { type Approval, changeApproval, getApproval, notPending } from './approval-records.js';
import { type AccessContext, isPast, laterIso, newId, nowIso } from './context.js';
import { type Identity, requirePermission } from './identity.js';
import { useMfaCode } from './mfa.js';
import { refuseSelfApproval } from './same-person.js';

/**
 * Multi-person approval of destructive actions. A request collects votes from `required` distinct
 * approvers, none of them the requester (nor a token of the requester's), each with a fresh TOTP
 * code; it can be approved only until it expires. The server executes an approved request and
 * records the outcome (startExecution, then markExecuted or markFailed), exactly once.
 */

export interface ApprovalInput {
  readonly action: ApprovalAction;
  /** What it acts on: a snapshot id, a tier, a hold, a key id. */
  readonly target: string;
  /** What the server needs to run it (JSON). */
  readonly params?: unknown;
  readonly reason?: string;
  readonly requestedBy: Identity;
  readonly required: number;
  /** Default and latest: now + policy access.approvals.expireAfter. */
  readonly expiresAt?: Date;
}

export interface ApprovalVote {
  readonly approver: Identity;
  readonly totpCode: string;
}

const paramsLimit = 64 * 1024;

export async function requestApproval(ctx: AccessContext, input: ApprovalInput): Promise<Approval> {
  const { action, requestedBy: who } = input;
  if (!isApprovalAction(action)) {
    const known = Object.keys(APPROVAL_ACTIONS).join(', ');
    throw new CairnError('CAIRN_E_USAGE', `${JSON.stringify(action)} needs no approval request: use ${known}`, {
      action,
    });
  }
  requirePermission(who, APPROVAL_ACTIONS[action], `request ${action}`);
  if (typeof input.target !== 'string' || input.target.trim() === '' || input.target.length > 500) {
    throw new CairnError('CAIRN_E_USAGE', `say what ${action} acts on (a target of 1–500 characters)`, { action });
  }
  if (!Number.isSafeInteger(input.required) || input.required < 1) {
    throw new CairnError('CAIRN_E_USAGE', `an approval request needs at least 1 approver, not ${input.required}`, {
      required: input.required,
    });
  }
  const params = jsonText(input.params ?? null);
  if (params === undefined || params.length > paramsLimit) {
    throw new CairnError('CAIRN_E_USAGE', `the parameters of ${action} must be JSON of at most 64 KiB`, { action });
  }
  const latest = laterIso(ctx, ctx.policy.approvals.expireAfterMs);
  const expiresAt = input.expiresAt === undefined ? latest : input.expiresAt.toISOString();
  if (isPast(ctx, expiresAt) || expiresAt > latest) {
    throw new CairnError(
      'CAIRN_E_USAGE',
      `an approval request must expire after now and by ${latest} (policy access.approvals.expireAfter)`,
      { expiresAt, latest },
    );
  }
  const id = newId('apr');
  await ctx.store.insertApproval({
    id,
    action,
    target: input.target,
    params: JSON.parse(params) as unknown,
    reason: input.reason?.trim() || null,
    requestedBy: who.subject,
    required: input.required,
    createdAt: nowIso(ctx),
    expiresAt,
  });
  return getApproval(ctx, id);
}

/** One approval, with the approver's TOTP code; the request is approved at the required count. */
export async function grantApproval(ctx: AccessContext, id: string, vote: ApprovalVote): Promise<Approval> {
  const { approver } = vote;
  requirePermission(approver, 'approvals.grant', 'approve destructive actions');
  const request = await pendingRequest(ctx, id);
  await refuseSelfApproval(ctx, approver, request.requestedBy, `${request.action} request ${id}`);
  if (request.votes.some((v) => v.approver === approver.subject)) throw alreadyVoted(approver, id);
  await useMfaCode(ctx, approver.subject, vote.totpCode);
  if (!(await ctx.store.addApprovalVote(id, approver.subject, nowIso(ctx)))) throw alreadyVoted(approver, id);
  const votes = (await ctx.store.getApproval(id))?.votes.length ?? 0;
  if (votes >= request.required) {
    await ctx.store.transitionApproval(id, { from: ['pending'], to: 'approved', at: nowIso(ctx) });
  }
  return getApproval(ctx, id);
}

export async function denyApproval(ctx: AccessContext, id: string, by: Identity, note?: string): Promise<Approval> {
  requirePermission(by, 'approvals.grant', 'deny destructive actions');
  await pendingRequest(ctx, id);
  return changeApproval(ctx, id, { from: ['pending'], to: 'denied', by: by.subject, note: note ?? null });
}

/** The requester withdraws a pending request. */
export async function cancelApproval(ctx: AccessContext, id: string, by: Identity): Promise<Approval> {
  const request = await getApproval(ctx, id);
  if (request.requestedBy !== by.subject) {
    throw new CairnError('CAIRN_E_FORBIDDEN', `only ${request.requestedBy} may cancel ${id}; approvers deny instead`, {
      id,
    });
  }
  return changeApproval(ctx, id, { from: ['pending'], to: 'cancelled', by: by.subject });
}

/** Claims an approved request for execution: of several servers, exactly one gets it. */
export function startExecution(ctx: AccessContext, id: string): Promise<Approval> {
  return changeApproval(ctx, id, { from: ['approved'], to: 'executing' });
}

export function markExecuted(ctx: AccessContext, id: string, result: unknown): Promise<Approval> {
  return changeApproval(ctx, id, { from: ['approved', 'executing'], to: 'executed', result: result ?? null });
}

export function markFailed(ctx: AccessContext, id: string, error: string): Promise<Approval> {
  return changeApproval(ctx, id, { from: ['approved', 'executing'], to: 'failed', note: error, result: { error } });
}

async function pendingRequest(ctx: AccessContext, id: string): Promise<Approval> {
  const request = await getApproval(ctx, id);
  if (request.status === 'expired') {
    throw new CairnError(
      'CAIRN_E_EXPIRED',
      `approval request ${id} expired at ${request.expiresAt} with ${request.votes.length} of ` +
        `${request.required} approvals: the requester must ask again`,
      { id, expiresAt: request.expiresAt },
    );
  }
  if (request.status !== 'pending') throw notPending(request);
  return request;
}

function alreadyVoted(approver: Identity, id: string): CairnError {
  return new CairnError('CAIRN_E_EXISTS', `${approver.subject} has already approved ${id}; another approver must`, {
    id,
  });
}

function jsonText(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined; // a BigInt or a cycle
  }
}
