import type { FastifyInstance } from 'fastify';
import { CairnError } from '../../errors/index.js';
import type { ReadyReport } from '../backend.js';
import type { ServerContext } from '../context.js';
import { addRoute } from '../route-kit.js';
import { obj, openObject, str } from '../schemas/common.js';

/** Probes, metrics and the API's own description. */
export function registerOperationRoutes(app: FastifyInstance, ctx: ServerContext): void {
  addRoute(app, ctx, {
    method: 'GET',
    url: '/healthz',
    permission: 'health.read',
    action: 'health.read',
    kind: 'probe',
    summary: 'The process is up',
    tags: ['operations'],
    schema: { response: obj({ status: str() }) },
    handle: async () => ({ status: 'ok' }),
  });

  addRoute(app, ctx, {
    method: 'GET',
    url: '/readyz',
    permission: 'health.read',
    action: 'health.read',
    kind: 'probe',
    summary: 'The catalog answers a query and the repository is reachable (503 names the one that is not)',
    tags: ['operations'],
    schema: {
      response: obj({
        status: str(),
        checks: obj({ catalog: openObject, repository: openObject }),
      }),
    },
    handle: async () => {
      let report: ReadyReport;
      try {
        report = await ctx.deps.backend.ready();
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        report = { catalog: { ok: false, message }, repository: { ok: false, message } };
      }
      if (report.catalog.ok && report.repository.ok) return { status: 'ready', checks: report };
      const failed = [report.catalog.ok ? '' : 'catalog', report.repository.ok ? '' : 'repository'].filter(Boolean);
      throw new CairnError(
        report.catalog.ok ? 'CAIRN_E_STORAGE' : 'CAIRN_E_CATALOG',
        `not ready: ${failed.join(' and ')} unreachable`,
        { failed, checks: report },
      );
    },
  });

  addRoute(app, ctx, {
    method: 'GET',
    url: '/metrics',
    permission: 'metrics.read',
    action: 'metrics.read',
    kind: 'read',
    summary: 'Prometheus metrics (text exposition format)',
    tags: ['operations'],
    schema: { text: 'text/plain' },
    handle: async (_req, reply) => {
      const { backend } = ctx.deps;
      const text = await ctx.metrics.render(await backend.metrics(), await backend.replicationMetrics());
      reply.type(ctx.metrics.contentType);
      return text;
    },
  });

  addRoute(app, ctx, {
    method: 'GET',
    url: '/api/v1/openapi.json',
    permission: 'authenticated',
    action: 'openapi.read',
    kind: 'read',
    summary: 'This API, as an OpenAPI 3.1 document',
    tags: ['operations'],
    schema: { response: openObject },
    handle: async () => app.swagger() as unknown as Record<string, unknown>,
  });
}
