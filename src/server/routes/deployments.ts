import type { FastifyInstance } from 'fastify';
import type { DeploymentView, FailedDeploymentView } from '../../services/index.js';
import type { DeploymentQuery, StartDeploymentRequest } from '../backend-release.js';
import type { ServerContext } from '../context.js';
import { callerOf } from '../request-audit.js';
import { addRoute } from '../route-kit.js';
import { obj } from '../schemas/common.js';
import {
  deploymentId,
  deploymentListSchema,
  deploymentQuery,
  deploymentViewSchema,
  failDeploymentBody,
  failedDeploymentSchema,
  startDeploymentBody,
} from '../schemas/release.js';

const idParams = obj({ id: deploymentId }, ['id']);

/** Deployments (`cairn deploy start|finish|fail|list|show`) for pipelines that talk to the server. */
export function registerDeploymentRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { backend } = ctx.deps;
  const summaryOf = (v: DeploymentView) => ({
    target: v.deployment.id,
    details: {
      environment: v.deployment.environment,
      release: v.deployment.release,
      status: v.deployment.status,
      ticket: v.deployment.ticket,
      failedItems: [...v.pre, ...v.post].filter((e) => e.status === 'failed').map((e) => `${e.phase}:${e.item}`),
      failedRequirements: v.requirements.filter((r) => !r.ok).map((r) => r.reason),
    },
  });

  addRoute<{ Body: StartDeploymentRequest }, DeploymentView>(app, ctx, {
    method: 'POST',
    url: '/api/v1/deployments',
    permission: 'deployments.write',
    action: 'deployments.start',
    kind: 'write',
    status: 201,
    summary:
      'Start a deployment: check the change ticket, take the pre-deploy bundle of every item of the environment, check `requires` rules (`cairn deploy start`)',
    tags: ['deployments'],
    schema: { body: startDeploymentBody, response: deploymentViewSchema },
    target: (req) => req.body.id ?? req.body.environment,
    changeId: (req) => req.body.change,
    handle: async (req) => backend.startDeployment(req.body, callerOf(req)),
    outcome: summaryOf,
  });

  addRoute<{ Params: { id: string } }, DeploymentView>(app, ctx, {
    method: 'POST',
    url: '/api/v1/deployments/:id/finish',
    permission: 'deployments.write',
    action: 'deployments.finish',
    kind: 'write',
    summary: 'Finish a started deployment: take the post-deploy bundle (`cairn deploy finish`)',
    tags: ['deployments'],
    schema: { params: idParams, response: deploymentViewSchema },
    target: (req) => req.params.id,
    handle: async (req) => backend.finishDeployment(req.params.id, callerOf(req)),
    outcome: summaryOf,
  });

  addRoute<{ Params: { id: string }; Body: { reason?: string } }, FailedDeploymentView>(app, ctx, {
    method: 'POST',
    url: '/api/v1/deployments/:id/fail',
    permission: 'deployments.write',
    action: 'deployments.fail',
    kind: 'write',
    summary:
      'Mark a deployment failed; where the environment has autoRollback, its pre-deploy bundle is rolled back (`cairn deploy fail`)',
    tags: ['deployments'],
    schema: { params: idParams, body: failDeploymentBody, response: failedDeploymentSchema },
    target: (req) => req.params.id,
    handle: async (req) =>
      backend.failDeployment(req.params.id, req.body.reason ? { reason: req.body.reason } : {}, callerOf(req)),
    outcome: (r) => ({
      target: r.deployment.id,
      details: {
        reason: r.deployment.reason,
        autoRollback: r.autoRollback,
        rollback: r.rollback ? { id: r.rollback.rollback, status: r.rollback.status } : null,
        ...(r.rollbackError ? { rollbackError: r.rollbackError.code } : {}),
      },
    }),
  });

  addRoute<{ Querystring: DeploymentQuery }, unknown>(app, ctx, {
    method: 'GET',
    url: '/api/v1/deployments',
    permission: 'deployments.read',
    action: 'deployments.list',
    kind: 'read',
    summary: 'Deployments, newest first, by environment, release and status (`cairn deploy list`)',
    tags: ['deployments'],
    schema: { querystring: deploymentQuery, response: deploymentListSchema },
    target: (req) => req.query.environment ?? null,
    handle: async (req) => backend.listDeployments(req.query),
  });

  addRoute<{ Params: { id: string } }, unknown>(app, ctx, {
    method: 'GET',
    url: '/api/v1/deployments/:id',
    permission: 'deployments.read',
    action: 'deployments.show',
    kind: 'read',
    summary: 'A deployment with its bundles, change ticket and requirements (`cairn deploy show`)',
    tags: ['deployments'],
    schema: { params: idParams, response: deploymentViewSchema },
    target: (req) => req.params.id,
    handle: async (req) => backend.showDeployment(req.params.id),
  });
}
