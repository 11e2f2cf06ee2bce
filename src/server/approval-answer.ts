import type { FastifyRequest } from 'fastify';
import { CairnError } from '../errors/index.js';
import type { ApprovalView } from './backend-access.js';
import type { ServerContext } from './context.js';
import { Answer } from './route-kit.js';

/**
 * 202 Accepted `{ approval }`: a destructive action became a request that the backend performs once
 * the required approvers have granted it with fresh TOTP codes. Audited as `requested`.
 */
export function pendingApproval(approval: ApprovalView): Answer<{ approval: ApprovalView }> {
  return new Answer(202, { approval }, 'requested', {
    approvalId: approval.id,
    details: { required: approval.required, approvalAction: approval.action },
  });
}

/** A second permission one option of a request needs (forget with prune needs prune.run). */
export function requirePermission(ctx: ServerContext, req: FastifyRequest, permission: string): void {
  if (req.identity && ctx.deps.guard.can(req.identity.roles, permission)) return;
  throw new CairnError('CAIRN_E_FORBIDDEN', `this request also needs ${permission}, which your roles do not give`, {
    permission,
  });
}
