import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import { callerOf } from '../request-audit.js';
import { addRoute } from '../route-kit.js';
import { mfaEnrollmentSchema, mfaStatusSchema } from '../schemas/access.js';
import { obj, str, totp } from '../schemas/common.js';

/** TOTP enrolment of the caller (`cairn mfa enroll`), and its reset by an admin after a lost device. */
export function registerMfaRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { backend } = ctx.deps;

  addRoute(app, ctx, {
    method: 'POST',
    url: '/api/v1/mfa/enroll',
    permission: 'mfa.enroll',
    action: 'mfa.enroll',
    kind: 'write',
    summary: 'Start (or restart, until confirmed) TOTP enrolment: the otpauth URI, its secret and a QR code',
    tags: ['access'],
    schema: { response: mfaEnrollmentSchema },
    handle: async (req) => backend.enrollMfa(callerOf(req)),
  });

  addRoute<{ Body: { totp: string } }, unknown>(app, ctx, {
    method: 'POST',
    url: '/api/v1/mfa/confirm',
    permission: 'mfa.enroll',
    action: 'mfa.confirm',
    kind: 'write',
    summary: 'Finish TOTP enrolment with a first code',
    tags: ['access'],
    schema: { body: obj({ totp }, ['totp']), response: mfaStatusSchema },
    handle: async (req) => backend.confirmMfa({ totp: req.body.totp }, callerOf(req)),
  });

  addRoute<{ Params: { subject: string } }, unknown>(app, ctx, {
    method: 'DELETE',
    url: '/api/v1/mfa/enrolments/:subject',
    permission: 'mfa.reset',
    action: 'mfa.reset',
    kind: 'write',
    summary: "Remove someone's TOTP enrolment (lost device); they enrol again",
    tags: ['access'],
    schema: {
      params: obj({ subject: str(256, { pattern: '^[\\x21-\\x7e]+$' }) }, ['subject']),
      response: mfaStatusSchema,
    },
    target: (req) => req.params.subject,
    handle: async (req) => backend.resetMfa(req.params.subject, callerOf(req)),
  });
}
