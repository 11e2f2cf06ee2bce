import { randomUUID } from 'node:crypto';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { CairnError } from '../errors/index.js';
import { accessHook } from './access-hook.js';
import { AuthFailureLimiter } from './auth-failures.js';
import type { ServerContext } from './context.js';
import type { ServerDeps } from './deps.js';
import { installErrorHandling } from './error-handler.js';
import type { RegisteredRoute } from './fastify-types.js';
import { loggerOptions } from './logger.js';
import { ServerMetrics } from './metrics.js';
import { resolveOptions, type ServerOptions } from './options.js';
import { isRoutePermission } from './permissions.js';
import { newAuditState } from './request-audit.js';
import { registerAccessRoutes } from './routes/access.js';
import { registerApprovalRoutes } from './routes/approvals.js';
import { registerAuditRoutes } from './routes/audit.js';
import { registerDeploymentRoutes } from './routes/deployments.js';
import { registerDestructiveRoutes } from './routes/destructive.js';
import { registerDrillRoutes } from './routes/drills.js';
import { registerGateRoutes } from './routes/gate.js';
import { registerHoldRoutes } from './routes/holds.js';
import { registerKeyRoutes } from './routes/keys.js';
import { registerMfaRoutes } from './routes/mfa.js';
import { registerMonitoringRoutes } from './routes/monitoring.js';
import { registerOperateRoutes } from './routes/operate.js';
import { registerOperationRoutes } from './routes/operations.js';
import { registerPolicyRoutes } from './routes/policy.js';
import { registerReportRoutes } from './routes/reports.js';
import { registerRetentionRoutes } from './routes/retention.js';
import { registerRollbackRoutes } from './routes/rollbacks.js';
import { registerScheduleRoutes } from './routes/schedules.js';
import { registerSizingRoutes } from './routes/sizing.js';
import { registerSnapshotReadRoutes } from './routes/snapshots.js';
import { registerTokenRoutes } from './routes/tokens.js';
import { registerHookRoutes } from './webhooks/routes.js';

/**
 * The server, built but not listening (tests call `app.inject()`). Every route must declare
 * `config.permission`: one that does not makes route registration, and so buildServer, throw.
 */
export async function buildServer(deps: ServerDeps, options: ServerOptions = {}): Promise<FastifyInstance> {
  const resolved = resolveOptions(options);
  const { trustProxy } = resolved;
  const app = Fastify({
    ...(resolved.tls ? { https: { cert: resolved.tls.cert, key: resolved.tls.key } } : {}),
    logger: loggerOptions(resolved.logger) as FastifyServerOptions['logger'],
    bodyLimit: resolved.bodyLimit,
    trustProxy: typeof trustProxy === 'object' ? [...trustProxy] : trustProxy,
    genReqId: () => randomUUID(),
    exposeHeadRoutes: false,
    return503OnClosing: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false } },
  }) as unknown as FastifyInstance;
  const ctx: ServerContext = {
    deps,
    options: resolved,
    metrics: new ServerMetrics(),
    failures: new AuthFailureLimiter(resolved.authFailures.max, resolved.authFailures.windowMs),
  };

  const routes: RegisteredRoute[] = [];
  app.decorate('cairnRoutes', routes);
  app.addHook('onRoute', (route) => {
    const permission = route.config?.permission;
    if (!isRoutePermission(permission)) {
      throw new CairnError(
        'CAIRN_E_USAGE',
        `route ${String(route.method)} ${route.url} declares no valid config.permission (${String(permission)})`,
      );
    }
    for (const method of [route.method].flat()) routes.push({ method, url: route.url, permission });
  });

  app.decorateRequest('identity', null);
  app.decorateRequest('cairnAudit', null as never);
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    frameguard: { action: 'deny' },
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Cairn API', version: resolved.version, description: 'See docs/API.md.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  if (resolved.requestRateLimit) {
    const { max, windowMs } = resolved.requestRateLimit;
    await app.register(rateLimit, {
      max,
      timeWindow: windowMs,
      allowList: (req) => req.routeOptions.config.permission === 'health.read',
      errorResponseBuilder: (_req, c) =>
        new CairnError('CAIRN_E_RATE_LIMITED', `too many requests from this address; try again in ${c.after}`),
    });
  }

  app.addHook('onRequest', async (req, reply) => {
    req.cairnAudit = newAuditState();
    reply.header('x-request-id', req.id);
    reply.header('cache-control', 'no-store');
  });
  app.addHook('onRequest', accessHook(ctx));
  app.addHook('onResponse', async (req, reply) => {
    ctx.metrics.httpDuration.observe(
      { route: req.routeOptions.url ?? 'unmatched', method: req.method, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  installErrorHandling(app, ctx);

  registerOperationRoutes(app, ctx);
  registerPolicyRoutes(app, ctx);
  registerSnapshotReadRoutes(app, ctx);
  registerOperateRoutes(app, ctx);
  registerRetentionRoutes(app, ctx);
  registerDestructiveRoutes(app, ctx);
  registerSizingRoutes(app, ctx);
  registerGateRoutes(app, ctx);
  registerDeploymentRoutes(app, ctx);
  registerRollbackRoutes(app, ctx);
  registerScheduleRoutes(app, ctx);
  registerHoldRoutes(app, ctx);
  registerKeyRoutes(app, ctx);
  registerTokenRoutes(app, ctx);
  registerAccessRoutes(app, ctx);
  registerMfaRoutes(app, ctx);
  registerApprovalRoutes(app, ctx);
  registerAuditRoutes(app, ctx);
  registerDrillRoutes(app, ctx);
  registerMonitoringRoutes(app, ctx);
  registerReportRoutes(app, ctx);
  registerHookRoutes(app, ctx);
  return app;
}
