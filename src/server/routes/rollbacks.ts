import type { FastifyInstance } from 'fastify';
import type { RollbackResult, Runbooks } from '../../services/index.js';
import type { RollbackRequest } from '../backend-rollback.js';
import type { ServerContext } from '../context.js';
import { callerOf } from '../request-audit.js';
import { addRoute } from '../route-kit.js';
import { obj, str } from '../schemas/common.js';
import { deploymentId } from '../schemas/release.js';
import { rollbackBody, rollbackResultSchema, runbooksSchema } from '../schemas/rollback.js';

/** Rollback of a deployment (`cairn rollback`) and runbooks (`cairn runbook`). */
export function registerRollbackRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { backend } = ctx.deps;

  addRoute<{ Params: { id: string }; Body: Partial<RollbackRequest> }, RollbackResult>(app, ctx, {
    method: 'POST',
    url: '/api/v1/deployments/:id/rollback',
    permission: 'rollback.run',
    action: 'rollback.run',
    kind: 'write',
    summary:
      'Roll a deployment back to its pre-deploy bundle, each item into its restore target, diffed first and verified after; `dryRun` shows the plan and writes nothing (`cairn rollback`)',
    tags: ['deployments'],
    schema: { params: obj({ id: deploymentId }, ['id']), body: rollbackBody, response: rollbackResultSchema },
    target: (req) => req.params.id,
    changeId: (req) => req.body?.change,
    handle: async (req) =>
      backend.rollbackDeployment(
        req.params.id,
        {
          dryRun: req.body?.dryRun ?? false,
          ...(req.body?.change !== undefined ? { change: req.body.change } : {}),
          ...(req.body?.allowOlder ? { allowOlder: true } : {}),
        },
        callerOf(req),
      ),
    outcome: (r) => ({
      target: r.deployment,
      details: {
        rollback: r.rollback,
        dryRun: r.dryRun,
        status: r.status,
        resumed: r.resumed,
        items: r.items.map((i) => `${i.item}:${i.state}`),
      },
    }),
  });

  addRoute<{ Querystring: { env: string } }, Runbooks>(app, ctx, {
    method: 'GET',
    url: '/api/v1/runbooks',
    permission: 'runbooks.read',
    action: 'runbooks.read',
    kind: 'read',
    summary: 'The Markdown runbooks of an environment, one per item and an index (`cairn runbook`)',
    tags: ['deployments'],
    schema: { querystring: obj({ env: str(128, { minLength: 1 }) }, ['env']), response: runbooksSchema },
    target: (req) => req.query.env,
    handle: async (req) => backend.runbooks({ environment: req.query.env }),
  });
}
