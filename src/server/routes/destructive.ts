import type { FastifyInstance } from 'fastify';
import { pendingApproval } from '../approval-answer.js';
import type { ApprovalAction } from '../backend-access.js';
import type { ServerContext } from '../context.js';
import type { Permission } from '../permissions.js';
import { callerOf } from '../request-audit.js';
import { addRoute } from '../route-kit.js';
import { pendingApprovalSchema } from '../schemas/access.js';
import { isoTime, type JsonSchema, obj, snapshotId, str } from '../schemas/common.js';

interface Body {
  reason?: string;
  retainUntil?: string;
}

/**
 * Destructive actions on one snapshot: deleting it, shortening its retention (lifting a legal hold
 * is `DELETE /api/v1/holds/:id`, routes/holds.ts). None runs when asked: each answers 202 with the
 * approval request, and the backend performs it once the required approvers have granted it.
 */
export function registerDestructiveRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const request = (
    method: 'DELETE' | 'POST',
    url: string,
    action: ApprovalAction,
    permission: Permission,
    summary: string,
    body: Record<string, JsonSchema>,
    required: string[] = [],
  ) =>
    addRoute<{ Params: { id: string }; Body: Body }, unknown>(app, ctx, {
      method,
      url,
      permission,
      action: `${action}.request`,
      kind: 'write',
      summary,
      tags: ['retention'],
      status: 202,
      schema: {
        params: obj({ id: snapshotId }, ['id']),
        body: obj({ reason: str(1000), ...body }, required),
        response: pendingApprovalSchema,
      },
      target: (req) => req.params.id,
      handle: async (req) => {
        const { reason, ...params } = req.body;
        return pendingApproval(
          await ctx.deps.backend.requestApproval(
            { action, target: req.params.id, params: { id: req.params.id, ...params }, ...(reason ? { reason } : {}) },
            callerOf(req),
          ),
        );
      },
    });

  request(
    'DELETE',
    '/api/v1/snapshots/:id',
    'snapshot.delete',
    'forget.request',
    'Request the deletion of a snapshot outside the policy: answered 202, performed once approved',
    {},
  );
  request(
    'POST',
    '/api/v1/snapshots/:id/retention',
    'retention.shorten',
    'retention.manage',
    'Request a shorter retention for a snapshot (`retainUntil`): answered 202, performed once approved',
    { retainUntil: isoTime },
    ['retainUntil'],
  );
}
