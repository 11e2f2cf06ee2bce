import type { FastifyRequest } from 'fastify';
import { CairnError, isCairnError } from '../errors/index.js';
import type { Caller } from './backend.js';
import type { ServerContext } from './context.js';
import { ANONYMOUS, type AuditResult } from './deps.js';
import type { AuditState } from './fastify-types.js';

/**
 * The audit trail of one request. Fail closed: when an event cannot be written the request ends
 * in 503 CAIRN_E_AUDIT. A mutating route writes `allowed` before acting and `ok`/`failed` after,
 * so the action never runs unrecorded; a read writes one event after computing its answer and
 * before sending it; denials and authentication failures are written where they happen.
 */

export function newAuditState(): AuditState {
  return { open: false, closed: false, target: null, changeId: null, approvalId: null };
}

export interface EventExtra {
  readonly action?: string;
  readonly target?: string | null;
  readonly approvalId?: string | null;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** Records one event for `req`; `final` closes its trail. Throws CAIRN_E_AUDIT when it cannot. */
export async function recordEvent(
  ctx: ServerContext,
  req: FastifyRequest,
  result: AuditResult,
  extra: EventExtra = {},
  final = true,
): Promise<void> {
  const state = req.cairnAudit;
  if (final) state.closed = true;
  const identity = req.identity;
  try {
    await ctx.deps.audit.record({
      identity: identity?.subject ?? ANONYMOUS,
      roles: identity ? [...identity.roles] : [],
      ip: req.ip,
      userAgent: userAgentOf(req),
      action: extra.action ?? req.routeOptions.config.action ?? 'unknown',
      target: extra.target !== undefined ? extra.target : state.target,
      result,
      changeId: state.changeId,
      approvalId: extra.approvalId ?? state.approvalId,
      details: {
        requestId: req.id,
        method: req.method,
        route: req.routeOptions.url ?? null,
        ...(identity ? { via: identity.via } : {}),
        ...(identity?.grants?.length ? { grants: identity.grants.map((g) => g.id) } : {}),
        ...extra.details,
      },
    });
    ctx.metrics.auditEvents.inc({ result });
  } catch (err) {
    state.closed = true;
    ctx.metrics.auditWriteFailures.inc();
    req.log.error({ err, auditResult: result }, 'audit event could not be written; request refused');
    if (isCairnError(err, 'CAIRN_E_AUDIT')) throw err;
    throw new CairnError(
      'CAIRN_E_AUDIT',
      'the audit log cannot be written, so the request was refused; try again when it is back',
      undefined,
      { cause: err },
    );
  }
}

/** The outcome of a request that failed after it was allowed: `denied` for a policy refusal. */
export function failureResult(err: unknown): AuditResult {
  return isCairnError(err) && ['CAIRN_E_FORBIDDEN', 'CAIRN_E_DUTY_CONFLICT', 'CAIRN_E_MFA'].includes(err.code)
    ? 'denied'
    : 'failed';
}

export function userAgentOf(req: FastifyRequest): string | null {
  const ua = req.headers['user-agent'];
  return typeof ua === 'string' ? ua.slice(0, 512) : null;
}

const CHANGE_RE = /^[\w.:/#-]{1,128}$/;

/** `X-Cairn-Change: CHG-1042`: the change ticket a request is made under, for the audit log. */
export function changeHeader(req: FastifyRequest): string | null {
  const value = req.headers['x-cairn-change'];
  if (value === undefined) return null;
  if (typeof value !== 'string' || !CHANGE_RE.test(value))
    throw new CairnError(
      'CAIRN_E_USAGE',
      'header X-Cairn-Change must be one change id (letters, digits, . : / # - _)',
      {
        field: 'headers.x-cairn-change',
      },
    );
  return value;
}

/** The caller a backend method is told about; only for routes that require an identity. */
export function callerOf(req: FastifyRequest): Caller {
  if (!req.identity) throw new CairnError('CAIRN_E_UNAUTHENTICATED', 'this route needs an identity');
  return {
    identity: req.identity,
    ip: req.ip,
    userAgent: userAgentOf(req),
    requestId: req.id,
    changeId: req.cairnAudit.changeId,
  };
}
