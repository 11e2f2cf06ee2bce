import type { FastifyRequest } from 'fastify';
import { CairnError } from '../../errors/index.js';
import type { ServerContext } from '../context.js';
import type { AuditResult } from '../deps.js';
import { userAgentOf } from '../request-audit.js';
import type { HookProvider } from './verify.js';

/**
 * The audit events of a webhook delivery: identity `webhook:<provider>`, action `webhook.<provider>`,
 * the delivery id and the reason in the details. Fail closed like every route: an event that cannot
 * be written ends the request in 503 CAIRN_E_AUDIT (before acting, nothing is done).
 */
export async function recordHookEvent(
  ctx: ServerContext,
  req: FastifyRequest,
  provider: HookProvider,
  result: AuditResult,
  target: string | null,
  details: Readonly<Record<string, unknown>>,
): Promise<void> {
  req.cairnAudit.closed = result !== 'allowed';
  try {
    await ctx.deps.audit.record({
      identity: `webhook:${provider}`,
      roles: [],
      ip: req.ip,
      userAgent: userAgentOf(req),
      action: `webhook.${provider}`,
      target,
      result,
      changeId: null,
      approvalId: null,
      details: { requestId: req.id, method: req.method, route: req.routeOptions.url ?? null, ...details },
    });
    ctx.metrics.auditEvents.inc({ result });
  } catch (err) {
    req.cairnAudit.closed = true;
    ctx.metrics.auditWriteFailures.inc();
    req.log.error({ err, auditResult: result }, 'audit event could not be written; webhook refused');
    throw new CairnError(
      'CAIRN_E_AUDIT',
      'the audit log cannot be written, so the delivery was refused; redeliver it when it is back',
      undefined,
      { cause: err },
    );
  }
}
