import type { FastifyInstance } from 'fastify';
import type { DrillRecord, DrillStatus } from '../../catalog/index.js';
import type { ServerContext } from '../context.js';
import { callerOf } from '../request-audit.js';
import { addRoute } from '../route-kit.js';
import { bool, int, obj, opaqueId, str, totp } from '../schemas/common.js';
import {
  DRILL_STATUSES,
  drillListSchema,
  drillSchema,
  drillWithSignoffsSchema,
  gapListSchema,
} from '../schemas/monitoring.js';

const name = str(256, { minLength: 1 });
const drillId = { params: obj({ id: opaqueId }, ['id']) };

/**
 * Recovery drills (`cairn drill`) and the gaps they found (`cairn gaps`). A drill that failed is a
 * 200 with status failed; a sign-off by someone outside the team, or a second one by the same person,
 * is a 403, and a wrong or reused TOTP code a 403 CAIRN_E_MFA.
 */
export function registerDrillRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { backend } = ctx.deps;

  addRoute<{ Querystring: { plan?: string; status?: DrillStatus; limit?: number } }, unknown>(app, ctx, {
    method: 'GET',
    url: '/api/v1/drills',
    permission: 'drills.read',
    action: 'drills.list',
    kind: 'read',
    summary: 'Recovery drills, newest first (`cairn drill list`)',
    tags: ['drills'],
    schema: {
      querystring: obj({
        plan: name,
        status: { type: 'string', enum: [...DRILL_STATUSES] },
        limit: { ...int, minimum: 1, maximum: 10_000 },
      }),
      response: drillListSchema,
    },
    target: (req) => req.query.plan ?? null,
    handle: async (req) =>
      backend.listDrills({
        ...(req.query.plan ? { plan: req.query.plan } : {}),
        ...(req.query.status ? { status: req.query.status } : {}),
        ...(req.query.limit ? { limit: req.query.limit } : {}),
      }),
  });

  addRoute<{ Params: { id: string } }, unknown>(app, ctx, {
    method: 'GET',
    url: '/api/v1/drills/:id',
    permission: 'drills.read',
    action: 'drills.show',
    kind: 'read',
    summary: 'One drill (id or unique prefix of 6 or more characters) with its validators, gaps and sign-offs',
    tags: ['drills'],
    schema: { ...drillId, response: drillWithSignoffsSchema },
    target: (req) => req.params.id,
    handle: async (req) => backend.showDrill(req.params.id),
  });

  addRoute<{ Body: { plan: string } }, DrillRecord>(app, ctx, {
    method: 'POST',
    url: '/api/v1/drills/run',
    permission: 'drills.run',
    action: 'drills.run',
    kind: 'write',
    summary:
      'Run a drill plan to the end: restore its items into a sandbox, validate, measure RTO/RPO (`cairn drill run`); 423 while a drill of that plan is running',
    tags: ['drills'],
    schema: { body: obj({ plan: name }, ['plan']), response: drillSchema },
    target: (req) => req.body.plan,
    handle: async (req) => backend.runDrill({ plan: req.body.plan }, callerOf(req)),
    outcome: (r) => ({ details: { drill: r.id, status: r.status, rtoMs: r.rtoMs, withinSla: r.withinSla } }),
  });

  addRoute<{ Params: { id: string }; Body: { team: string; code: string } }, DrillRecord>(app, ctx, {
    method: 'POST',
    url: '/api/v1/drills/:id/signoff',
    permission: 'drills.signoff',
    action: 'drills.signoff',
    kind: 'write',
    summary:
      'Sign a drill off for a team of access.teams you are in, with your TOTP code (`cairn drill signoff`); each person signs once, each code counts once',
    tags: ['drills'],
    schema: { ...drillId, body: obj({ team: name, code: totp }, ['team', 'code']), response: drillSchema },
    target: (req) => req.params.id,
    handle: async (req) =>
      backend.signOffDrill(req.params.id, { team: req.body.team, code: req.body.code }, callerOf(req)),
    outcome: (r) => ({ details: { status: r.status } }),
  });

  addRoute<{ Querystring: { item?: string; all?: boolean } }, unknown>(app, ctx, {
    method: 'GET',
    url: '/api/v1/gaps',
    permission: 'drills.read',
    action: 'gaps.list',
    kind: 'read',
    summary:
      'Gaps drills found (missing dependency, expired certificate, schema failure, …): open ones, or all with `all`',
    tags: ['drills'],
    schema: { querystring: obj({ item: name, all: bool }), response: gapListSchema },
    target: (req) => req.query.item ?? null,
    handle: async (req) =>
      backend.listGaps({
        ...(req.query.item ? { item: req.query.item } : {}),
        ...(req.query.all ? { all: true } : {}),
      }),
  });
}
