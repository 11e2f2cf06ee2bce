import type { FastifyInstance } from 'fastify';
import type { ElevationStatus } from '../backend-access.js';
import type { ServerContext } from '../context.js';
import { callerOf } from '../request-audit.js';
import { addRoute } from '../route-kit.js';
import { elevationSchema, elevationsSchema } from '../schemas/access.js';
import { idParams, type JsonSchema, obj, str, totp } from '../schemas/common.js';
import { durationSchema, roleSchema } from './tokens.js';

const STATUSES: readonly ElevationStatus[] = [
  'pending',
  'active',
  'denied',
  'revoked',
  'cancelled',
  'lapsed',
  'expired',
];

/** Just-in-time elevation (`cairn access request | list | approve | deny | cancel | revoke`). */
export function registerAccessRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { backend } = ctx.deps;

  addRoute<{ Body: { role: string; for: string; reason: string } }, unknown>(app, ctx, {
    method: 'POST',
    url: '/api/v1/access/requests',
    permission: 'access.request',
    action: 'access.request',
    kind: 'write',
    summary: 'Ask for a role for a while, with a reason; it is granted when approvers approve',
    tags: ['access'],
    status: 201,
    schema: {
      body: obj({ role: roleSchema, for: durationSchema, reason: str(1000, { minLength: 1 }) }, [
        'role',
        'for',
        'reason',
      ]),
      response: elevationSchema,
    },
    target: (req) => req.body.role,
    handle: async (req) => backend.requestAccess(req.body, callerOf(req)),
    outcome: (r) => ({ approvalId: (r as { id: string }).id }),
  });

  addRoute<{ Querystring: { status?: ElevationStatus } }, unknown>(app, ctx, {
    method: 'GET',
    url: '/api/v1/access/requests',
    permission: 'access.request',
    action: 'access.list',
    kind: 'read',
    summary: 'Requests for elevation and the grants they became, newest first',
    tags: ['access'],
    schema: {
      querystring: obj({ status: { type: 'string', enum: STATUSES } }),
      response: elevationsSchema,
    },
    handle: async (req) => backend.listAccessRequests(req.query.status ? { status: req.query.status } : {}),
  });

  const change = (
    verb: 'approve' | 'deny' | 'cancel' | 'revoke',
    permission: 'access.approve' | 'access.request' | 'access.revoke',
    summary: string,
    body: Record<string, JsonSchema>,
    run: (
      id: string,
      body: { totp?: string; reason?: string },
      req: Parameters<typeof callerOf>[0],
    ) => Promise<unknown>,
  ) =>
    addRoute<{ Params: { id: string }; Body: { totp?: string; reason?: string } }, unknown>(app, ctx, {
      method: 'POST',
      url: `/api/v1/access/requests/:id/${verb}`,
      permission,
      action: `access.${verb}`,
      kind: 'write',
      summary,
      tags: ['access'],
      schema: { params: idParams, body: obj(body), response: elevationSchema },
      target: (req) => req.params.id,
      approvalId: (req) => req.params.id,
      handle: async (req) => run(req.params.id, req.body, req),
    });

  const reason = str(1000);
  change('approve', 'access.approve', 'Approve a request for elevation (not your own)', { totp }, (id, b, req) =>
    backend.approveAccess(id, b.totp ? { totp: b.totp } : {}, callerOf(req)),
  );
  change('deny', 'access.approve', 'Deny a request for elevation', { reason }, (id, b, req) =>
    backend.denyAccess(id, b.reason ? { reason: b.reason } : {}, callerOf(req)),
  );
  change('cancel', 'access.request', 'Cancel your own pending request', {}, (id, _b, req) =>
    backend.cancelAccess(id, callerOf(req)),
  );
  change('revoke', 'access.revoke', 'End an active grant early', { reason }, (id, b, req) =>
    backend.revokeAccess(id, b.reason ? { reason: b.reason } : {}, callerOf(req)),
  );
}
