import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WebhookOutcome } from '../../catalog/index.js';
import { CairnError, isCairnError } from '../../errors/index.js';
import type { HooksBackend } from '../backend-hooks.js';
import type { ServerContext } from '../context.js';
import { SIGNED_WEBHOOK } from '../permissions.js';
import { errorSchema, obj } from '../schemas/common.js';
import { recordHookEvent, recordRefusalSummary } from './audit.js';
import { commandFor, eventName } from './events.js';
import { RefusalLimiter } from './refusals.js';
import {
  DELIVERY_HEADER,
  deliveryIdOf,
  HOOK_PROVIDERS,
  type HookProvider,
  type Verdict,
  verifyGeneric,
  verifyGithub,
  verifyGitlab,
} from './verify.js';

/**
 * POST /api/v1/hooks/{github,gitlab,generic}: authenticated by the provider's signature, not by a
 * bearer token (permission SIGNED_WEBHOOK). Registered in a plugin of their own whose content-type
 * parser keeps the body as the raw bytes, since those bytes are what was signed. Every delivery is
 * audited; each verified one is claimed in the catalog before anything is done, so a second delivery
 * of the same id (or the same delivery at another replica) answers the first outcome and does nothing.
 * The answer is sent when the work is done (docs/WEBHOOKS.md). Refusals are limited per IP
 * (RefusalLimiter): past 20 a minute they are answered 429 and audited as one summary event.
 */
export function registerHookRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { backend } = ctx.deps;
  const limiter = new RefusalLimiter((summary) => recordRefusalSummary(ctx, app.log, summary));
  app.addHook('onClose', () => limiter.close());
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    for (const provider of HOOK_PROVIDERS) {
      scope.route({
        method: 'POST',
        url: `/api/v1/hooks/${provider}`,
        config: { permission: SIGNED_WEBHOOK, action: `webhook.${provider}` },
        schema: {
          summary: `Receive a ${provider} deployment webhook (signed; no bearer token), see docs/WEBHOOKS.md`,
          tags: ['deployments'],
          security: [],
          querystring: obj({}),
          response: { '4xx': errorSchema, '5xx': errorSchema },
        },
        handler: (req, reply) => receive(ctx, backend, limiter, provider, req, reply),
      });
    }
  });
}

async function receive(
  ctx: ServerContext,
  backend: HooksBackend,
  limiter: RefusalLimiter,
  provider: HookProvider,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const now = new Date();
  const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  const refuse = async (status: number, error: CairnError, reason: string, extra: Record<string, unknown> = {}) => {
    await recordHookEvent(ctx, req, provider, 'failed', null, { reason, code: error.code, status, ...extra });
    return reply.code(status).send({ error: error.toJSON() });
  };
  /** A delivery not proven to come from the provider: counted per IP, past the limit 429 and not audited. */
  const unauthenticated = async (status: number, error: CairnError, reason: string, extra = {}) => {
    req.cairnAudit.closed = true;
    const wait = limiter.refuse(req.ip, provider);
    if (wait === 0) return refuse(status, error, reason, extra);
    reply.header('retry-after', String(wait));
    const limited = new CairnError(
      'CAIRN_E_RATE_LIMITED',
      `too many refused webhook deliveries from this address; try again in ${wait}s (${error.message})`,
      { retryAfterSeconds: wait },
    );
    return reply.code(429).send({ error: limited.toJSON() });
  };

  let cred: Awaited<ReturnType<HooksBackend['webhookCredential']>>;
  try {
    cred = await backend.webhookCredential(provider);
  } catch (err) {
    req.log.error({ err, provider }, 'webhook settings could not be read');
    const code = isCairnError(err) ? err.code : 'internal';
    return refuse(
      503,
      new CairnError(
        'CAIRN_E_WEBHOOK',
        `the ${provider} webhook cannot be verified: its settings could not be read (${code}); see the server log`,
      ),
      'credential-error',
      { cause: code },
    );
  }
  if (cred.kind === 'not-configured')
    return unauthenticated(
      404,
      new CairnError('CAIRN_E_NOT_FOUND', `webhook not configured: the policy has no webhooks.${provider}`),
      'not-configured',
    );
  if (cred.kind === 'missing-env') {
    req.log.error({ provider, env: cred.env }, `webhook secret missing: environment variable ${cred.env} is not set`);
    return refuse(
      503,
      new CairnError(
        'CAIRN_E_WEBHOOK',
        `the ${provider} webhook cannot be verified: its secret is not set on the server`,
      ),
      'secret-missing',
    );
  }
  const verdict: Verdict =
    provider === 'github'
      ? verifyGithub(req.headers, raw, cred.secret)
      : provider === 'gitlab'
        ? verifyGitlab(req.headers, cred.secret)
        : verifyGeneric(req.headers, raw, cred.secret, cred.replayWindowMs, now);
  const deliveryId = deliveryIdOf(provider, req.headers);
  if (!verdict.ok)
    return unauthenticated(401, new CairnError('CAIRN_E_WEBHOOK', verdict.message), verdict.reason, {
      deliveryId: deliveryId ?? null,
    });
  if (deliveryId === undefined)
    return refuse(
      400,
      new CairnError('CAIRN_E_USAGE', `header ${DELIVERY_HEADER[provider]} (the delivery id) is missing or malformed`),
      'missing-delivery-id',
    );
  const payload = parsePayload(raw, req.headers['content-type']);
  if (payload instanceof CairnError) return refuse(400, payload, 'bad-payload', { deliveryId });
  const event = eventName(provider, req.headers, payload);

  // Audited before the claim: an audit log that is down refuses the delivery before it is claimed,
  // so the provider's retry is acted on rather than answered as a duplicate.
  await recordHookEvent(ctx, req, provider, 'allowed', null, { deliveryId, event });
  try {
    return await handleClaimed(ctx, backend, provider, req, reply, { deliveryId, event, payload, now });
  } catch (err) {
    // A claim or catalog failure after `allowed`: its `failed` event, unless the trail is closed already
    // (an audit write failed). The error handler answers it (and would write the event if this could not).
    if (!req.cairnAudit.closed && !isCairnError(err, 'CAIRN_E_AUDIT')) {
      const code = isCairnError(err) ? err.code : 'CAIRN_E_SERVER';
      await recordHookEvent(ctx, req, provider, 'failed', null, { deliveryId, event, reason: 'internal', code });
    }
    throw err;
  }
}

async function handleClaimed(
  ctx: ServerContext,
  backend: HooksBackend,
  provider: HookProvider,
  req: FastifyRequest,
  reply: FastifyReply,
  d: { deliveryId: string; event: string; payload: Record<string, unknown>; now: Date },
): Promise<FastifyReply> {
  const { deliveryId, event, payload, now } = d;
  const earlier = await backend.claimWebhookDelivery({ provider, deliveryId, event, receivedAt: now.toISOString() });
  if (earlier) {
    await recordHookEvent(ctx, req, provider, 'ok', earlier.deployment ?? earlier.environment, {
      deliveryId,
      event,
      duplicate: true,
      firstResult: earlier.result,
    });
    return reply.code(200).send({ duplicate: true, delivery: earlier });
  }

  const { status, outcome, body } = await act(backend, provider, event, payload);
  await backend.recordWebhookOutcome(provider, deliveryId, outcome);
  const target = outcome.deployment ?? outcome.environment ?? null;
  const ok = outcome.result === 'ok' || outcome.result === 'ignored';
  await recordHookEvent(ctx, req, provider, ok ? 'ok' : 'failed', target, {
    deliveryId,
    event,
    result: outcome.result,
    status,
    ...(outcome.detail ? { reason: outcome.detail } : {}),
    ...(body.rollback ? { rollback: body.rollback } : {}),
  });
  return reply.code(status).send(ok ? { delivery: deliveryId, event, ...body } : body);
}

interface Acted {
  readonly status: number;
  readonly outcome: WebhookOutcome;
  readonly body: Record<string, unknown>;
}

async function act(
  backend: HooksBackend,
  provider: HookProvider,
  event: string,
  payload: Record<string, unknown>,
): Promise<Acted> {
  try {
    const cmd = commandFor(provider, event, payload);
    if (cmd.kind === 'ping')
      return { status: 200, outcome: { result: 'ignored', statusCode: 200, detail: 'ping' }, body: { pong: true } };
    if (cmd.kind === 'ignore')
      return {
        status: 200,
        outcome: { result: 'ignored', statusCode: 200, detail: cmd.reason },
        body: { ignored: cmd.reason },
      };
    const done = await backend.applyWebhook(provider, cmd);
    return {
      status: 200,
      outcome: { result: 'ok', statusCode: 200, environment: done.environment, deployment: done.deployment },
      body: { ...done },
    };
  } catch (err) {
    const error = isCairnError(err)
      ? err
      : new CairnError('CAIRN_E_SERVER', 'the delivery could not be processed: see the server log', undefined, {
          cause: err,
        });
    const [status, result]: [number, WebhookOutcome['result']] =
      error.code === 'CAIRN_E_USAGE'
        ? [error.details?.reason === 'unknown-environment' ? 422 : 400, 'rejected']
        : error.code === 'CAIRN_E_NOT_FOUND'
          ? [404, 'not-found']
          : [error.httpStatus, 'failed'];
    const environment = typeof error.details?.environment === 'string' ? error.details.environment : null;
    // Temporary: the provider's redelivery of the same id acts again (repository locked, a pre-deploy
    // capture still running, a 5xx, a finish that arrived before its start).
    const retryable =
      status >= 500 || status === 423 || status === 429 || result === 'not-found' || error.details?.retryable === true;
    return {
      status,
      outcome: {
        result,
        statusCode: status,
        environment,
        detail: `${error.code}: ${error.message}`.slice(0, 2000),
        retryable,
      },
      body: { error: error.toJSON() },
    };
  }
}

/** JSON, or GitHub's form encoding (`payload=<json>`). */
function parsePayload(raw: Buffer, contentType: string | undefined): Record<string, unknown> | CairnError {
  let text = raw.toString('utf8');
  if (contentType?.startsWith('application/x-www-form-urlencoded'))
    text = new URLSearchParams(text).get('payload') ?? '';
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {}
  return new CairnError('CAIRN_E_USAGE', 'the delivery body is not a JSON object');
}
