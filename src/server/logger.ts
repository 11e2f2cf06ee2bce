import type { FastifyRequest } from 'fastify';
import type { LoggerOptions } from 'pino';
import type { ServerOptions } from './options.js';

/**
 * Pino options for the server: JSON lines, and no secret ever written. Request lines carry method,
 * URL (with secret-looking query values blanked), IP and route; headers are not logged at all, and
 * Authorization, cookies and any `token`, `totp`, `secret` or `password` field that reaches a log
 * object is censored.
 */
const SECRET_FIELDS = ['token', 'totp', 'secret', 'password', 'authorization', 'cookie'];

export const REDACT_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  ...SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]),
];

const SECRET_QUERY = /([?&](?:access_token|token|totp|secret|password|code|key)=)[^&#]*/gi;

export function redactUrl(url: string): string {
  return url.replace(SECRET_QUERY, '$1[REDACTED]');
}

export function loggerOptions(logger: ServerOptions['logger']): false | (LoggerOptions & { stream?: unknown }) {
  if (logger === false) return false;
  return {
    level: logger?.level ?? 'info',
    ...(logger?.stream ? { stream: logger.stream } : {}),
    redact: { paths: [...REDACT_PATHS], censor: '[REDACTED]' },
    serializers: {
      req(req: FastifyRequest) {
        return {
          method: req.method,
          url: redactUrl(req.url),
          route: req.routeOptions?.url,
          remoteAddress: req.ip,
        };
      },
    },
  };
}
