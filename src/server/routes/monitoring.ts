import type { FastifyInstance } from 'fastify';
import type { AlertRecord, AlertState } from '../../catalog/index.js';
import type { ServerContext } from '../context.js';
import { callerOf } from '../request-audit.js';
import { addRoute } from '../route-kit.js';
import { int, obj, opaqueId, str } from '../schemas/common.js';
import { ALERT_STATES, alertListSchema, alertSchema, canaryRunsSchema, coverageSchema } from '../schemas/monitoring.js';

const alertId = { params: obj({ id: opaqueId }, ['id']) };

/** Alerts (`cairn alerts`), coverage against RPO (`cairn coverage`) and the canary's rounds. */
export function registerMonitoringRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { backend } = ctx.deps;

  addRoute<{ Querystring: { state?: AlertState } }, unknown>(app, ctx, {
    method: 'GET',
    url: '/api/v1/alerts',
    permission: 'alerts.read',
    action: 'alerts.list',
    kind: 'read',
    summary: 'Alerts, newest first (`cairn alerts`), optionally in one state',
    tags: ['monitoring'],
    schema: {
      querystring: obj({ state: { type: 'string', enum: [...ALERT_STATES] } }),
      response: alertListSchema,
    },
    handle: async (req) => backend.listAlerts(req.query.state ? { state: req.query.state } : {}),
  });

  addRoute<{ Params: { id: string } }, AlertRecord>(app, ctx, {
    method: 'POST',
    url: '/api/v1/alerts/:id/ack',
    permission: 'alerts.ack',
    action: 'alerts.ack',
    kind: 'write',
    summary: 'Acknowledge an open alert (`cairn alerts ack`): it stops escalating; sinks hear of it; 409 when not open',
    tags: ['monitoring'],
    schema: { ...alertId, response: alertSchema },
    target: (req) => req.params.id,
    handle: async (req) => backend.ackAlert(req.params.id, callerOf(req)),
    outcome: (r) => ({ target: r.id, details: { kind: r.kind, state: r.state } }),
  });

  addRoute<{ Params: { id: string }; Body: { reason?: string } }, AlertRecord>(app, ctx, {
    method: 'POST',
    url: '/api/v1/alerts/:id/resolve',
    permission: 'alerts.ack',
    action: 'alerts.resolve',
    kind: 'write',
    summary:
      'Resolve an open or acknowledged alert by hand (`cairn alerts resolve`); sinks hear of it; 409 when resolved already',
    tags: ['monitoring'],
    schema: { ...alertId, body: obj({ reason: str(1000, { minLength: 1 }) }), response: alertSchema },
    target: (req) => req.params.id,
    handle: async (req) =>
      backend.resolveAlert(req.params.id, req.body.reason ? { reason: req.body.reason } : {}, callerOf(req)),
    outcome: (r) => ({ target: r.id, details: { kind: r.kind, state: r.state } }),
  });

  addRoute<{ Querystring: { env?: string } }, unknown>(app, ctx, {
    method: 'GET',
    url: '/api/v1/coverage',
    permission: 'alerts.read',
    action: 'coverage.read',
    kind: 'read',
    summary:
      "Backup age and coverage per environment × item against the tier's RPO, items named only in exceptions included (`cairn coverage`)",
    tags: ['monitoring'],
    schema: { querystring: obj({ env: str(256, { minLength: 1 }) }), response: coverageSchema },
    target: (req) => req.query.env ?? null,
    handle: async (req) => backend.coverage(req.query.env ? { environment: req.query.env } : {}),
  });

  addRoute<{ Querystring: { limit?: number } }, unknown>(app, ctx, {
    method: 'GET',
    url: '/api/v1/canary',
    permission: 'alerts.read',
    action: 'canary.list',
    kind: 'read',
    summary:
      "The canary's latest rounds (change, snapshot, restore, verify of the cairn-canary item), newest first, with each phase's time",
    tags: ['monitoring'],
    schema: { querystring: obj({ limit: { ...int, minimum: 1, maximum: 1000 } }), response: canaryRunsSchema },
    handle: async (req) => backend.canaryRuns(req.query.limit ? { limit: req.query.limit } : {}),
  });
}
