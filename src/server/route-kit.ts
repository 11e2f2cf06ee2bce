import type { FastifyInstance, FastifyReply, FastifyRequest, RouteGenericInterface } from 'fastify';
import type { ServerContext } from './context.js';
import type { AuditResult } from './deps.js';
import type { RoutePermission } from './permissions.js';
import { changeHeader, type EventExtra, recordEvent } from './request-audit.js';
import { errorSchema, type JsonSchema, obj } from './schemas/common.js';

/**
 * How a route is declared: its permission, its audit action and kind, its schemas and a handler
 * that returns the answer. addRoute turns that into a Fastify route whose handler keeps the audit
 * order (request-audit.ts), so no route has to remember it.
 *
 * Kinds: `read` (one event after the answer is computed, before it is sent), `write` (`allowed`
 * before acting, `ok` after), `probe` (not audited: /healthz, /readyz). A handler may answer with
 * an Answer instead of a plain value to choose another status and audit result (202 `requested`).
 */
export interface RouteSpec<G extends RouteGenericInterface, R> {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly url: string;
  readonly permission: RoutePermission;
  readonly action: string;
  readonly kind: 'read' | 'write' | 'probe';
  readonly summary: string;
  readonly tags: readonly string[];
  readonly schema?: {
    readonly params?: JsonSchema;
    readonly querystring?: JsonSchema;
    readonly body?: JsonSchema;
    /** The success answer's schema; errors get the common error schema. */
    readonly response?: JsonSchema;
    /** Schemas of other answers an Answer may give, by status (202). */
    readonly responses?: Readonly<Record<number, JsonSchema>>;
    /** Content type of a text answer (an export, the metrics), instead of a JSON schema. */
    readonly text?: string;
  };
  /** The success status (200 unless said). */
  readonly status?: number;
  /** What the request acts on, for the audit log. */
  readonly target?: (req: FastifyRequest<G>) => string | null;
  /** The approval or elevation request the request acts on. */
  readonly approvalId?: (req: FastifyRequest<G>) => string;
  /** A change id the request carries in its body (else the X-Cairn-Change header). */
  readonly changeId?: (req: FastifyRequest<G>) => string | undefined;
  readonly handle: (req: FastifyRequest<G>, reply: FastifyReply) => Promise<R | Answer<unknown>>;
  /** Audit fields taken from the answer (an approval id, counts). */
  readonly outcome?: (result: R) => EventExtra;
}

export function addRoute<G extends RouteGenericInterface, R>(
  app: FastifyInstance,
  ctx: ServerContext,
  spec: RouteSpec<G, R>,
): void {
  const status = spec.status ?? 200;
  const { response, responses, text, ...declared } = spec.schema ?? {};
  // Closed even when a route takes none: an unknown query parameter or body field is a 400.
  const input = {
    ...declared,
    querystring: declared.querystring ?? obj({}),
    ...(spec.method === 'GET' ? {} : { body: declared.body ?? obj({}) }),
  };
  const anonymous =
    spec.permission === 'health.read' || (spec.permission === 'metrics.read' && ctx.options.metricsAnonymous);
  app.route({
    method: spec.method,
    url: spec.url,
    config: { permission: spec.permission, action: spec.action },
    schema: {
      summary: spec.summary,
      tags: [...spec.tags],
      ...(anonymous ? { security: [] } : {}),
      ...input,
      response: {
        ...(response ? { [status]: response } : {}),
        ...responses,
        ...(text ? { [status]: { description: text, content: { [text]: { schema: { type: 'string' } } } } } : {}),
        '4xx': errorSchema,
        '5xx': errorSchema,
      },
    },
    // A POST whose fields are all optional may come without a body: validate it as {}.
    ...('body' in input
      ? {
          preValidation: async (req: FastifyRequest) => {
            if (req.body === undefined || req.body === null) req.body = {};
          },
        }
      : {}),
    handler: async (raw, reply) => {
      const req = raw as unknown as FastifyRequest<G>;
      if (spec.kind === 'probe') return reply.code(status).send(await spec.handle(req, reply));
      const state = req.cairnAudit;
      state.changeId = spec.changeId?.(req) ?? changeHeader(req);
      state.target = spec.target?.(req) ?? null;
      state.approvalId = spec.approvalId?.(req) ?? null;
      if (spec.kind !== 'read') await recordEvent(ctx, req, 'allowed', {}, false);
      const result = await spec.handle(req, reply);
      if (result instanceof Answer) {
        await recordEvent(ctx, req, result.audit, result.extra);
        return reply.code(result.status).send(result.body);
      }
      await recordEvent(ctx, req, 'ok', spec.outcome?.(result) ?? {});
      return reply.code(status).send(result);
    },
  });
}

/** An answer with its own status and audit result, e.g. 202 `requested` for an approval request. */
export class Answer<T> {
  constructor(
    readonly status: number,
    readonly body: T,
    readonly audit: AuditResult,
    readonly extra: EventExtra = {},
  ) {}
}
