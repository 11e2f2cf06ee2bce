import type { FastifyInstance } from 'fastify';
import { DURATION_PATTERN, ROLES } from '../../policy/index.js';
import type { CreatedToken } from '../backend-access.js';
import type { ServerContext } from '../context.js';
import { callerOf } from '../request-audit.js';
import { addRoute } from '../route-kit.js';
import { createdTokenSchema, tokenSchema, tokensSchema } from '../schemas/access.js';
import { arr, idParams, obj, str } from '../schemas/common.js';

export const roleSchema = { type: 'string', enum: [...ROLES] };
export const durationSchema = str(32, { pattern: DURATION_PATTERN });

/** API tokens (`cairn token create | list | revoke`): the secret is in the creating answer only. */
export function registerTokenRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { backend } = ctx.deps;

  addRoute<{ Body: { name: string; roles: string[]; expires?: string } }, CreatedToken>(app, ctx, {
    method: 'POST',
    url: '/api/v1/tokens',
    permission: 'tokens.manage',
    action: 'tokens.create',
    kind: 'write',
    summary: 'Create an API token; its secret (field `token`) is shown once and stored only as a hash',
    tags: ['access'],
    status: 201,
    schema: {
      body: obj(
        {
          roles: { ...arr(roleSchema, 6), minItems: 1, uniqueItems: true },
          expires: durationSchema,
          name: str(),
          subject: str(),
        },
        ['roles'],
      ),
      response: createdTokenSchema,
    },
    target: (req) => `token:${req.body.name}`,
    handle: async (req) => {
      const b = req.body;
      return backend.createToken(
        { name: b.name, roles: b.roles, ...(b.expires ? { expires: b.expires } : {}) },
        callerOf(req),
      );
    },
    outcome: (created) => ({ details: { tokenId: created.info.id, roles: created.info.roles } }),
  });

  addRoute(app, ctx, {
    method: 'GET',
    url: '/api/v1/tokens',
    permission: 'tokens.manage',
    action: 'tokens.list',
    kind: 'read',
    summary: 'The API tokens (never their secrets)',
    tags: ['access'],
    schema: { response: tokensSchema },
    handle: async () => backend.listTokens(),
  });

  addRoute<{ Params: { id: string } }, unknown>(app, ctx, {
    method: 'DELETE',
    url: '/api/v1/tokens/:id',
    permission: 'tokens.manage',
    action: 'tokens.revoke',
    kind: 'write',
    summary: 'Revoke an API token',
    tags: ['access'],
    schema: { params: idParams, response: tokenSchema },
    target: (req) => req.params.id,
    handle: async (req) => backend.revokeToken(req.params.id, callerOf(req)),
  });
}
