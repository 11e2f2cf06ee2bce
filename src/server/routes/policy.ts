import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import { addRoute } from '../route-kit.js';
import { itemsSchema, policyCheckSchema, policySchema } from '../schemas/results.js';

/** The policy the server runs with, and its items. */
export function registerPolicyRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { backend } = ctx.deps;

  addRoute(app, ctx, {
    method: 'GET',
    url: '/api/v1/policy',
    permission: 'policy.read',
    action: 'policy.read',
    kind: 'read',
    summary: 'The parsed policy (cairn.yaml), without secrets',
    tags: ['policy'],
    schema: { response: policySchema },
    handle: async () => backend.policy(),
  });

  addRoute(app, ctx, {
    method: 'GET',
    url: '/api/v1/policy/check',
    permission: 'policy.read',
    action: 'policy.check',
    kind: 'read',
    summary: 'Validate the policy: every issue with file, line, column and field (`cairn policy check`)',
    tags: ['policy'],
    schema: { response: policyCheckSchema },
    handle: async () => backend.checkPolicy(),
  });

  addRoute(app, ctx, {
    method: 'GET',
    url: '/api/v1/items',
    permission: 'items.read',
    action: 'items.list',
    kind: 'read',
    summary: 'The items of the policy: name, owner, tier, environment, component',
    tags: ['policy'],
    schema: { response: itemsSchema },
    handle: async () => backend.listItems(),
  });
}
