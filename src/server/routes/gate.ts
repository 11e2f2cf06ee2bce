import type { FastifyInstance } from 'fastify';
import type { DriftReport, GateReport } from '../../services/index.js';
import type { ServerContext } from '../context.js';
import { callerOf } from '../request-audit.js';
import { addRoute } from '../route-kit.js';
import { arr, obj, str } from '../schemas/common.js';
import { driftLatestSchema, driftReportSchema, gateReportSchema } from '../schemas/gate.js';

const name = str(256, { minLength: 1 });

/** The release gate (`cairn gate`) and drift (`cairn drift`). A failed gate is a 200 with passed: false. */
export function registerGateRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { backend } = ctx.deps;

  addRoute<{ Querystring: { env: string; release: string } }, GateReport>(app, ctx, {
    method: 'GET',
    url: '/api/v1/gate',
    permission: 'gate.read',
    action: 'gate.evaluate',
    kind: 'read',
    summary:
      'Release gate (`cairn gate`): every item of the environment has an intact pre-deploy capture of the release that is its live state, and requires rules hold; 200 with passed true or false',
    tags: ['releases'],
    schema: { querystring: obj({ env: name, release: name }, ['env', 'release']), response: gateReportSchema },
    target: (req) => `${req.query.env}@${req.query.release}`,
    handle: async (req) => backend.gate({ environment: req.query.env, release: req.query.release }),
    outcome: (r) => ({ details: { passed: r.passed, failed: r.failed.length } }),
  });

  addRoute<{ Body: { environment: string; items?: string[] } }, DriftReport>(app, ctx, {
    method: 'POST',
    url: '/api/v1/drift',
    permission: 'drift.run',
    action: 'drift.run',
    kind: 'write',
    summary: "Compare each item's live sources with its latest snapshot and record the result (`cairn drift`)",
    tags: ['releases'],
    schema: {
      body: obj({ environment: name, items: arr(name, 1000) }, ['environment']),
      response: driftReportSchema,
    },
    target: (req) => req.body.environment,
    handle: async (req) =>
      backend.runDrift(
        { environment: req.body.environment, ...(req.body.items ? { items: req.body.items } : {}) },
        callerOf(req),
      ),
    outcome: (r) => ({ details: { drifted: r.drifted, items: r.items.filter((i) => i.drifted).map((i) => i.item) } }),
  });

  addRoute<{ Querystring: { env: string } }, unknown>(app, ctx, {
    method: 'GET',
    url: '/api/v1/drift',
    permission: 'drift.read',
    action: 'drift.show',
    kind: 'read',
    summary: 'The latest recorded drift check of each item of the environment',
    tags: ['releases'],
    schema: { querystring: obj({ env: name }, ['env']), response: driftLatestSchema },
    target: (req) => req.query.env,
    handle: async (req) => backend.latestDrift({ environment: req.query.env }),
  });
}
