import type { FastifyInstance } from 'fastify';
import type { ApprovalStatus, ApprovalView } from '../backend-access.js';
import type { ServerContext } from '../context.js';
import { callerOf } from '../request-audit.js';
import { addRoute } from '../route-kit.js';
import { approvalSchema, approvalsSchema } from '../schemas/access.js';
import { idParams, obj, str, totp } from '../schemas/common.js';

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
 * Approvals of destructive actions (`cairn approvals list | show | grant | deny | cancel`). Granting
 * needs a fresh TOTP code; the grant that completes an approval makes the backend perform the action.
 * Cancelling is for the requester, whatever their roles: the backend refuses anyone else.
 */
export function registerApprovalRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { backend } = ctx.deps;
  const outcome = (a: unknown) => {
    const view = a as ApprovalView;
    return { approvalId: view.id, target: view.target, details: { status: view.status } };
  };

  addRoute<{ Querystring: { status?: ApprovalStatus } }, unknown>(app, ctx, {
    method: 'GET',
    url: '/api/v1/approvals',
    permission: 'approvals.read',
    action: 'approvals.list',
    kind: 'read',
    summary: 'Approval requests of destructive actions',
    tags: ['approvals'],
    schema: {
      querystring: obj({ status: { type: 'string', enum: STATUSES } }),
      response: approvalsSchema,
    },
    handle: async (req) => backend.listApprovals(req.query.status ? { status: req.query.status } : {}),
  });

  addRoute<{ Params: { id: string } }, unknown>(app, ctx, {
    method: 'GET',
    url: '/api/v1/approvals/:id',
    permission: 'approvals.read',
    action: 'approvals.show',
    kind: 'read',
    summary: 'One approval request, with its grants',
    tags: ['approvals'],
    schema: { params: idParams, response: approvalSchema },
    target: (req) => req.params.id,
    approvalId: (req) => req.params.id,
    handle: async (req) => backend.showApproval(req.params.id),
    outcome,
  });

  addRoute<{ Params: { id: string }; Body: { totp: string } }, unknown>(app, ctx, {
    method: 'POST',
    url: '/api/v1/approvals/:id/grant',
    permission: 'approvals.grant',
    action: 'approvals.grant',
    kind: 'write',
    summary: 'Grant an approval with a fresh TOTP code (not as its requester); the last grant performs the action',
    tags: ['approvals'],
    schema: { params: idParams, body: obj({ totp }, ['totp']), response: approvalSchema },
    target: (req) => req.params.id,
    approvalId: (req) => req.params.id,
    handle: async (req) => backend.grantApproval(req.params.id, { totp: req.body.totp }, callerOf(req)),
    outcome,
  });

  addRoute<{ Params: { id: string }; Body: { reason?: string } }, unknown>(app, ctx, {
    method: 'POST',
    url: '/api/v1/approvals/:id/deny',
    permission: 'approvals.grant',
    action: 'approvals.deny',
    kind: 'write',
    summary: 'Deny an approval request',
    tags: ['approvals'],
    schema: { params: idParams, body: obj({ reason: str(1000) }), response: approvalSchema },
    target: (req) => req.params.id,
    approvalId: (req) => req.params.id,
    handle: async (req) =>
      backend.denyApproval(req.params.id, req.body.reason ? { reason: req.body.reason } : {}, callerOf(req)),
    outcome,
  });

  addRoute<{ Params: { id: string } }, unknown>(app, ctx, {
    method: 'POST',
    url: '/api/v1/approvals/:id/cancel',
    permission: 'authenticated',
    action: 'approvals.cancel',
    kind: 'write',
    summary: 'Cancel your own pending approval request',
    tags: ['approvals'],
    schema: { params: idParams, response: approvalSchema },
    target: (req) => req.params.id,
    approvalId: (req) => req.params.id,
    handle: async (req) => backend.cancelApproval(req.params.id, callerOf(req)),
    outcome,
  });
}
