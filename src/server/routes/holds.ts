import type { FastifyInstance } from 'fastify';
import type { HoldResult } from '../../services/index.js';
import { pendingApproval } from '../approval-answer.js';
import type { ServerContext } from '../context.js';
import { callerOf } from '../request-audit.js';
import { Answer, addRoute } from '../route-kit.js';
import { pendingApprovalSchema } from '../schemas/access.js';
import { obj, snapshotId, str } from '../schemas/common.js';
import { holdResultSchema, holdsSchema } from '../schemas/storage.js';

/**
 * Legal holds (`cairn hold list | add | remove`). Placing one only keeps data longer, so it runs at
 * once; lifting one lets the snapshot be forgotten, so it becomes an approval request (202) that the
 * backend carries out once the required approvers have granted it.
 */
export function registerHoldRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { backend } = ctx.deps;

  addRoute(app, ctx, {
    method: 'GET',
    url: '/api/v1/holds',
    permission: 'holds.read',
    action: 'holds.list',
    kind: 'read',
    summary: 'The legal holds recorded in the repository, oldest first (`cairn hold list`)',
    tags: ['retention'],
    schema: { response: holdsSchema },
    handle: async () => backend.listHolds(),
  });

  addRoute<{ Body: { snapshot: string; reason?: string } }, HoldResult>(app, ctx, {
    method: 'POST',
    url: '/api/v1/holds',
    permission: 'holds.manage',
    action: 'holds.add',
    kind: 'write',
    summary:
      'Set a legal hold on a snapshot and every object it needs: 201, or 200 when it was held already (`cairn hold add`)',
    tags: ['retention'],
    status: 201,
    schema: {
      body: obj({ snapshot: snapshotId, reason: str(1000) }, ['snapshot']),
      response: holdResultSchema,
      responses: { 200: holdResultSchema },
    },
    target: (req) => req.body.snapshot,
    handle: async (req) => {
      const { snapshot, reason } = req.body;
      const result = await backend.addHold({ snapshot, ...(reason ? { reason } : {}) }, callerOf(req));
      const extra = { target: result.hold.snapshot, details: { objects: result.objects } };
      return result.alreadyHeld ? new Answer(200, result, 'ok', extra) : new Answer(201, result, 'ok', extra);
    },
  });

  addRoute<{ Params: { id: string }; Body: { reason?: string } }, unknown>(app, ctx, {
    method: 'DELETE',
    url: '/api/v1/holds/:id',
    permission: 'holds.manage',
    action: 'holds.remove',
    kind: 'write',
    summary: "Request lifting a snapshot's legal hold: answered 202, performed once approved (`cairn hold remove`)",
    tags: ['retention'],
    status: 202,
    schema: {
      params: obj({ id: snapshotId }, ['id']),
      body: obj({ reason: str(1000) }),
      response: pendingApprovalSchema,
    },
    target: (req) => req.params.id,
    handle: async (req) =>
      pendingApproval(
        await backend.requestApproval(
          {
            action: 'hold.remove',
            target: req.params.id,
            params: { id: req.params.id },
            ...(req.body.reason ? { reason: req.body.reason } : {}),
          },
          callerOf(req),
        ),
      ),
  });
}
