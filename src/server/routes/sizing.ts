import type { FastifyInstance } from 'fastify';
import type { ReplicateResult, ReplicationStatus } from '../../services/index.js';
import type { ServerContext } from '../context.js';
import { callerOf } from '../request-audit.js';
import { addRoute } from '../route-kit.js';
import { arr, bool, obj, str } from '../schemas/common.js';
import { replicateResultSchema, replicationStatusSchema, statsReportSchema } from '../schemas/storage.js';

interface StatsQuery {
  projection: string;
  window: string;
  item?: string[];
  tier?: string;
}

/** A replica location: a server-side path or an s3:// URL (the backend decides which it allows). */
const location = str(4096, { minLength: 1 });

/** `--projection`, `--window`: whole days, weeks, months or years (range checked by the backend). */
const period = (fallback: string) => str(16, { pattern: '^[0-9]{1,6}[dwmy]$', default: fallback });

/** Sizing (`cairn stats`) and replication (`cairn replicate [--status]`). */
export function registerSizingRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { backend } = ctx.deps;

  addRoute<{ Querystring: StatsQuery }, unknown>(app, ctx, {
    method: 'GET',
    url: '/api/v1/stats',
    permission: 'stats.read',
    action: 'stats.show',
    kind: 'read',
    summary: 'Logical and stored size per item and tier, churn per day and the projected stored size (`cairn stats`)',
    tags: ['repository'],
    schema: {
      querystring: obj({ projection: period('12m'), window: period('30d'), item: arr(str(), 1000), tier: str() }),
      response: statsReportSchema,
    },
    target: (req) => req.query.item?.join(',') ?? (req.query.tier ? `tier:${req.query.tier}` : null),
    handle: async (req) => {
      const q = req.query;
      return backend.stats({
        projection: q.projection,
        window: q.window,
        ...(q.item ? { items: q.item } : {}),
        ...(q.tier !== undefined ? { tier: q.tier } : {}),
      });
    },
  });

  addRoute<{ Querystring: { to?: string } }, ReplicationStatus>(app, ctx, {
    method: 'GET',
    url: '/api/v1/replication/status',
    permission: 'replication.read',
    action: 'replication.status',
    kind: 'read',
    summary:
      "Per item, how many snapshots the replica lacks and since when (`cairn replicate --status`); `to` defaults to the policy's replication.to",
    tags: ['repository'],
    schema: { querystring: obj({ to: location }), response: replicationStatusSchema },
    target: (req) => req.query.to ?? null,
    handle: async (req) => backend.replicationStatus(req.query.to !== undefined ? { to: req.query.to } : {}),
    outcome: (r) => ({ target: r.to, details: { behind: r.behind, late: r.late } }),
  });

  addRoute<{ Body: { to?: string; syncLocks?: boolean; concurrency?: number } }, ReplicateResult>(app, ctx, {
    method: 'POST',
    url: '/api/v1/replicate',
    permission: 'replication.run',
    action: 'replication.run',
    kind: 'write',
    summary:
      "Copy every object the replica lacks, each verified on arrival (`cairn replicate`); `to` defaults to the policy's replication.to",
    tags: ['repository'],
    schema: {
      body: obj({ to: location, syncLocks: bool, concurrency: { type: 'integer', minimum: 1, maximum: 64 } }),
      response: replicateResultSchema,
    },
    target: (req) => req.body.to ?? null,
    handle: async (req) =>
      backend.replicate(
        {
          ...(req.body.to !== undefined ? { to: req.body.to } : {}),
          syncLocks: req.body.syncLocks ?? false,
          concurrency: req.body.concurrency ?? 8,
        },
        callerOf(req),
      ),
    outcome: (r) => ({
      target: r.to,
      details: { ok: r.ok, copied: r.copied, copiedBytes: r.copiedBytes, failed: r.failed.length },
    }),
  });
}
