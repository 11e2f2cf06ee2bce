import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import { CairnError } from '../../errors/index.js';
import type { ServerContext } from '../context.js';
import type { AuditResult } from '../deps.js';
import { userAgentOf } from '../request-audit.js';
import type { RefusalSummary } from './refusals.js';
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
  // After `allowed` the trail is open: a failure the route does not record itself is recorded by the
  // error handler, so an allowed delivery never ends without its outcome.
  if (result === 'allowed') req.cairnAudit.open = true;
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

/**
 * The one event per IP and minute that stands for the refused deliveries answered 429 (not audited one
 * by one). Written outside any request (at the window's end): a failure is logged, not thrown.
 */
export async function recordRefusalSummary(
  ctx: ServerContext,
  log: FastifyBaseLogger,
  s: RefusalSummary,
): Promise<void> {
  try {
    await ctx.deps.audit.record({
      identity: `webhook:${s.providers.join(',')}`,
      roles: [],
      ip: s.ip,
      userAgent: null,
      action: 'webhook.rate-limited',
      target: null,
      result: 'denied',
      changeId: null,
      approvalId: null,
      details: {
        reason: 'rate-limited',
        suppressed: s.suppressed,
        providers: s.providers,
        windowStart: s.windowStart,
        windowEnd: s.windowEnd,
      },
    });
    ctx.metrics.auditEvents.inc({ result: 'denied' });
  } catch (err) {
    ctx.metrics.auditWriteFailures.inc();
    log.error({ err, ip: s.ip, suppressed: s.suppressed }, 'webhook refusal summary could not be audited');
  }
}
