import type { FastifyInstance } from 'fastify';
import { pendingApproval } from '../approval-answer.js';
import type { ServerContext } from '../context.js';
import { callerOf } from '../request-audit.js';
import { addRoute } from '../route-kit.js';
import { pendingApprovalSchema } from '../schemas/access.js';
import { idParams, obj, str } from '../schemas/common.js';
import { keySchema, keysSchema } from '../schemas/results.js';

/** The wrappers of the master key (`cairn key list | add | remove`); removal needs approvals. */
export function registerKeyRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { backend } = ctx.deps;

  addRoute(app, ctx, {
    method: 'GET',
    url: '/api/v1/keys',
    permission: 'keys.manage',
    action: 'keys.list',
    kind: 'read',
    summary: 'The keys that open the repository (`cairn key list`)',
    tags: ['keys'],
    schema: { response: keysSchema },
    handle: async () => backend.listKeys(),
  });

  addRoute<{ Body: { password: string; label?: string } }, unknown>(app, ctx, {
    method: 'POST',
    url: '/api/v1/keys',
    permission: 'keys.manage',
    action: 'keys.add',
    kind: 'write',
    summary: 'Add a passphrase that also opens the repository (`cairn key add`)',
    tags: ['keys'],
    status: 201,
    schema: {
      body: obj({ password: str(1024, { minLength: 1 }), label: str() }, ['password']),
      response: keySchema,
    },
    handle: async (req) =>
      backend.addKey(
        { password: req.body.password, ...(req.body.label ? { label: req.body.label } : {}) },
        callerOf(req),
      ),
  });

  addRoute<{ Params: { id: string }; Body: { reason?: string } }, unknown>(app, ctx, {
    method: 'DELETE',
    url: '/api/v1/keys/:id',
    permission: 'keys.manage',
    action: 'keys.remove',
    kind: 'write',
    summary: 'Request the removal of a key: answered 202, performed once approved (`cairn key remove`)',
    tags: ['keys'],
    status: 202,
    schema: { params: idParams, body: obj({ reason: str(1000) }), response: pendingApprovalSchema },
    target: (req) => req.params.id,
    handle: async (req) =>
      pendingApproval(
        await backend.requestApproval(
          {
            action: 'key.remove',
            target: req.params.id,
            params: { id: req.params.id },
            ...(req.body.reason ? { reason: req.body.reason } : {}),
          },
          callerOf(req),
        ),
      ),
  });
}
