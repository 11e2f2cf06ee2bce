import type { FastifyReply, FastifyRequest } from 'fastify';
import { CairnError, isCairnError } from '../errors/index.js';
import type { ServerContext } from './context.js';
import type { Identity } from './deps.js';
import { ANY_IDENTITY, SIGNED_WEBHOOK } from './permissions.js';
import { failureResult, recordEvent, userAgentOf } from './request-audit.js';

/**
 * The onRequest hook that decides who may use a route, before its body is even read: an IP with
 * too many recent authentication failures is refused (429); then the bearer token is authenticated
 * (401) and the route's `config.permission` checked against the identity's roles (403). Each
 * refusal is audited; a request that gets through has its audit trail opened.
 */
export function accessHook(ctx: ServerContext) {
  return async function checkAccess(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const { permission } = req.routeOptions.config;
    if (permission === undefined || permission === 'health.read') return; // unknown route, or a probe
    if (permission === SIGNED_WEBHOOK) return; // the webhook route verifies the provider's signature
    const wait = ctx.failures.retryAfter(req.ip);
    if (wait > 0) {
      reply.header('retry-after', String(wait));
      throw new CairnError(
        'CAIRN_E_RATE_LIMITED',
        `too many failed authentications from this address; try again in ${wait}s`,
        { retryAfterSeconds: wait },
      );
    }
    if (permission === 'metrics.read' && ctx.options.metricsAnonymous) {
      req.cairnAudit.open = true;
      return;
    }
    req.identity = await authenticate(ctx, req, reply);
    if (permission !== ANY_IDENTITY && !ctx.deps.guard.can(req.identity.roles, permission)) {
      await recordEvent(ctx, req, 'denied', { target: pathOf(req), details: { permission } });
      const roles = req.identity.roles.length ? req.identity.roles.join(', ') : 'no role';
      throw new CairnError(
        'CAIRN_E_FORBIDDEN',
        `${roles} may not ${permission}; ask an admin, or request a role for a while with \`cairn access request\``,
        { permission },
      );
    }
    req.cairnAudit.open = true;
  };
}

const BEARER_RE = /^Bearer ([\x21-\x7e]{1,4096})$/i;

async function authenticate(ctx: ServerContext, req: FastifyRequest, reply: FastifyReply): Promise<Identity> {
  const header = req.headers.authorization;
  if (header === undefined) {
    return refuse(ctx, req, reply, 'missing', 'this route needs a token: send Authorization: Bearer <token>', false);
  }
  const bearer = BEARER_RE.exec(header)?.[1];
  if (bearer === undefined) {
    return refuse(ctx, req, reply, 'malformed', 'the Authorization header must be "Bearer <token>"', true);
  }
  try {
    return await ctx.deps.guard.authenticate(bearer, { ip: req.ip, userAgent: userAgentOf(req) });
  } catch (err) {
    if (isCairnError(err, 'CAIRN_E_UNAUTHENTICATED')) {
      const reason = typeof err.details?.reason === 'string' ? err.details.reason : 'invalid';
      return refuse(ctx, req, reply, reason, err.message, true);
    }
    // A genuine credential refused for another reason (no role, conflicting duties), or the guard
    // could not decide (JWKS unreachable): audited, answered with its own code, never counted.
    const reason = isCairnError(err) ? err.code : 'internal';
    await recordEvent(ctx, req, failureResult(err), { action: 'auth.fail', target: pathOf(req), details: { reason } });
    throw err;
  }
}

/** Audits and counts an authentication failure, then refuses with 401. */
async function refuse(
  ctx: ServerContext,
  req: FastifyRequest,
  reply: FastifyReply,
  reason: string,
  message: string,
  counted: boolean,
): Promise<never> {
  ctx.metrics.authFailures.inc();
  if (counted && ctx.failures.fail(req.ip)) {
    req.log.warn({ ip: req.ip }, 'authentication failure limit reached; address refused for the rest of the window');
  }
  await recordEvent(ctx, req, 'denied', { action: 'auth.fail', target: pathOf(req), details: { reason } });
  reply.header('www-authenticate', counted ? 'Bearer error="invalid_token"' : 'Bearer');
  throw new CairnError('CAIRN_E_UNAUTHENTICATED', message);
}

function pathOf(req: FastifyRequest): string {
  return `${req.method} ${req.url.split('?')[0]}`;
}
