import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CairnError, isCairnError } from '../errors/index.js';
import type { ServerContext } from './context.js';
import { toCairnError } from './error-mapping.js';
import { failureResult, recordEvent } from './request-audit.js';

/**
 * One error shape for every route: `{ error: { code, message, details? } }` with the code's HTTP
 * status. A request whose audit trail is open gets its `failed` (or `denied`) event first; if that
 * cannot be written the answer becomes 503 CAIRN_E_AUDIT.
 */
export function installErrorHandling(app: FastifyInstance, ctx: ServerContext): void {
  app.setErrorHandler(async (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    let { error, internal } = toCairnError(err, ctx.options.bodyLimit);
    if (internal) req.log.error({ err }, 'unexpected error');
    else req.log.info({ code: error.code }, error.message);
    const state = req.cairnAudit;
    if (state?.open && !state.closed && !isCairnError(err, 'CAIRN_E_AUDIT')) {
      try {
        await recordEvent(ctx, req, failureResult(error), { details: { code: error.code, status: error.httpStatus } });
      } catch (auditErr) {
        error = auditErr as CairnError;
      }
    }
    return sendError(reply, error);
  });

  app.setNotFoundHandler(async (req, reply) =>
    sendError(
      reply,
      new CairnError(
        'CAIRN_E_NOT_FOUND',
        `no route ${req.method} ${req.url.split('?')[0]}; the routes are listed in /api/v1/openapi.json`,
      ),
    ),
  );
}

function sendError(reply: FastifyReply, error: CairnError) {
  return reply.code(error.httpStatus).type('application/json; charset=utf-8').send({ error: error.toJSON() });
}
