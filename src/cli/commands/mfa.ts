import type { Command } from 'commander';
import type { MfaEnrollment, MfaStatus } from '../../server/index.js';
import type { Context } from '../context.js';
import { requireServer, segment } from '../remote-mode.js';
import { action } from '../run.js';
import { totpCode } from './approvals.js';

/**
 * TOTP enrolment on the server, for the identity of the token in use: approvers need it to grant.
 * A confirmed enrolment is replaced only after an admin resets it (lost device).
 */
export function registerMfa(program: Command): void {
  const mfa = program
    .command('mfa')
    .description('TOTP authenticator for approvals on the server: enroll, confirm, reset');
  mfa
    .command('enroll')
    .description('start enrolling an authenticator app: prints the otpauth URI and a QR code to scan')
    .addHelpText(
      'after',
      '\nThen confirm with the first code the app shows: `cairn mfa confirm CODE`. Until confirmed, running\n' +
        'enroll again starts over. With --json the secret and URI are in the document: keep it private.',
    )
    .action(
      action(async (ctx) => {
        const remote = requireServer(ctx, 'mfa enroll');
        const e = await remote.call<MfaEnrollment>('POST', '/api/v1/mfa/enroll');
        ctx.out.result(e, () =>
          [
            `scan this with your authenticator app (enrolling ${e.subject}):`,
            '',
            e.qr.trimEnd(),
            '',
            `or add it by hand: ${e.otpauthUri}`,
            `secret: ${e.secret}`,
            '',
            'then confirm with the code the app shows: cairn mfa confirm CODE',
          ].join('\n'),
        );
        return 0;
      }),
    );
  mfa
    .command('confirm [code]')
    .description('finish enrolling with the first code the authenticator shows (asked for on a terminal)')
    .action(
      action(async (ctx, code: string | undefined) => {
        const remote = requireServer(ctx, 'mfa confirm');
        const totp = await totpCode(code);
        return show(ctx, await remote.call('POST', '/api/v1/mfa/confirm', { body: { totp } }));
      }),
    );
  mfa
    .command('reset <subject>')
    .description("remove someone's enrolment after a lost device (admin); they enroll again")
    .addHelpText('after', '\nSUBJECT is the identity as the audit log names it: token:ci-bot, oidc:alice@acme.')
    .action(
      action(async (ctx, subject: string) => {
        const remote = requireServer(ctx, 'mfa reset');
        return show(ctx, await remote.call('DELETE', `/api/v1/mfa/enrolments/${segment(subject)}`));
      }),
    );
}

function show(ctx: Context, s: MfaStatus): number {
  ctx.out.result(s, () => {
    if (s.confirmed) return `${s.subject}: enrolled, confirmed at ${s.confirmedAt}`;
    if (s.enrolled) return `${s.subject}: enrolment started, not confirmed: cairn mfa confirm CODE`;
    return `${s.subject}: not enrolled (cairn mfa enroll)`;
  });
  return 0;
}
