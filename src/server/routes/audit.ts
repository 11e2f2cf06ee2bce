import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { AuditEventFilter } from '../../catalog/index.js';
import { parseSearchTime } from '../../services/index.js';
import type { ServerContext } from '../context.js';
import { addRoute } from '../route-kit.js';
import { auditEventsSchema, auditVerifySchema } from '../schemas/access.js';
import { isoTime, obj, str } from '../schemas/common.js';

interface LogQuery {
  identity?: string;
  action?: string;
  result?: AuditEventFilter['result'];
  target?: string;
  since?: string;
  until?: string;
  after?: number;
  limit?: number;
  order?: 'seq' | 'newest';
}

type ExportQuery = Omit<LogQuery, 'after' | 'order'> & { format: 'jsonl' | 'cef' };

const filterFields = {
  identity: str(),
  action: str(128, { pattern: '^[a-z0-9.*-]+$' }),
  result: { type: 'string', enum: ['allowed', 'denied', 'ok', 'failed', 'requested'] },
  target: str(1024),
  since: isoTime,
  until: isoTime,
  limit: { type: 'integer', minimum: 1, maximum: 1_000_000 },
};

/** The filter of `cairn audit log`: `action` may name a family (`snapshot.*`); until is inclusive. */
function toFilter(q: LogQuery): AuditEventFilter {
  return {
    ...(q.identity ? { identity: q.identity } : {}),
    ...(q.action ? { action: q.action } : {}),
    ...(q.result ? { result: q.result } : {}),
    ...(q.target ? { target: q.target } : {}),
    ...(q.since ? { since: parseSearchTime(q.since, 'querystring.since').toISOString() } : {}),
    ...(q.until ? { until: parseSearchTime(q.until, 'querystring.until', true).toISOString() } : {}),
    ...(q.after !== undefined ? { afterSeq: q.after } : {}),
    ...(q.limit ? { limit: q.limit } : {}),
    ...(q.order ? { order: q.order } : {}),
  };
}

const CONTENT_TYPES = { jsonl: 'application/x-ndjson; charset=utf-8', cef: 'text/plain; charset=utf-8' } as const;

/** The audit log: search it, verify its chain and checkpoints, export it for a SIEM. */
export function registerAuditRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { backend } = ctx.deps;

  addRoute<{ Querystring: LogQuery }, unknown>(app, ctx, {
    method: 'GET',
    url: '/api/v1/audit/events',
    permission: 'audit.read',
    action: 'audit.log',
    kind: 'read',
    summary: 'Audit events, oldest first (or newest first with order=newest), filtered (`cairn audit log`)',
    tags: ['audit'],
    schema: {
      querystring: obj({
        ...filterFields,
        after: { type: 'integer', minimum: 0 },
        order: { type: 'string', enum: ['seq', 'newest'] },
      }),
      response: auditEventsSchema,
    },
    handle: async (req) => backend.auditLog(toFilter(req.query)),
  });

  addRoute(app, ctx, {
    method: 'POST',
    url: '/api/v1/audit/verify',
    permission: 'audit.verify',
    action: 'audit.verify',
    kind: 'write',
    summary:
      'Verify the hash chain against the signed checkpoints; names the first bad sequence (`cairn audit verify`)',
    tags: ['audit'],
    schema: { response: auditVerifySchema },
    handle: async () => backend.verifyAudit(),
    outcome: (r) => ({ details: { ok: (r as { ok: boolean }).ok } }),
  });

  addRoute<{ Querystring: ExportQuery }, unknown>(app, ctx, {
    method: 'GET',
    url: '/api/v1/audit/export',
    permission: 'audit.export',
    action: 'audit.export',
    kind: 'read',
    summary: 'The audit log as a text stream, one event a line: JSON Lines or CEF (`cairn audit export`)',
    tags: ['audit'],
    schema: {
      querystring: obj({ format: { type: 'string', enum: ['jsonl', 'cef'] }, ...filterFields }, ['format']),
      text: 'application/x-ndjson',
    },
    target: (req) => req.query.format,
    handle: async (req, reply) => {
      const { format, ...filter } = req.query;
      const lines = backend.exportAudit({ format, filter: toFilter(filter) });
      // Read the first chunk before answering, so a failure to start is an error answer, not a cut stream.
      const it = lines[Symbol.asyncIterator]();
      const first = await it.next();
      reply.type(CONTENT_TYPES[format]);
      return Readable.from(
        (async function* () {
          if (first.done) return;
          yield `${first.value}\n`;
          for (let next = await it.next(); !next.done; next = await it.next()) yield `${next.value}\n`;
        })(),
      );
    },
  });
}
