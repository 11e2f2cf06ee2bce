import { CairnError } from '../errors/index.js';
import { type AccessContext, nowIso } from './context.js';
import { type Identity, requirePermission } from './identity.js';
import { terminalQr } from './qr.js';
import { newTotpSecret, otpauthUri, TOTP_DIGITS, totpStep } from './totp.js';

/**
 * TOTP enrolment and verification. The secret is sealed (the server's sealer, keyed from the
 * repository key) together with the subject it belongs to, so a sealed secret copied onto another
 * person's row does not open as theirs. Each code is accepted once: the last accepted time step is
 * kept per person, and a code of that step or an earlier one is refused, whichever request it is for.
 */

export interface MfaEnrolment {
  readonly subject: string;
  /** Base32, for typing into an authenticator by hand. */
  readonly secret: string;
  readonly otpauthUri: string;
  /** The URI as a QR code for the terminal. */
  readonly qr: string;
}

export interface MfaStatus {
  readonly subject: string;
  readonly enrolled: boolean;
  readonly confirmed: boolean;
  readonly confirmedAt: string | null;
}

export const MFA_ISSUER = 'Cairn';

/** Starts (or restarts, while unconfirmed) an enrolment; confirmMfa with a first code completes it. */
export async function enrollMfa(ctx: AccessContext, identity: Identity): Promise<MfaEnrolment> {
  requirePermission(identity, 'mfa.enroll', 'enrol in MFA');
  const { subject } = identity;
  const secret = newTotpSecret();
  const sealed = await ctx.sealer.seal(new TextEncoder().encode(JSON.stringify({ subject, secret })));
  if (!(await ctx.store.putMfaEnrolment(subject, sealed, nowIso(ctx)))) {
    throw new CairnError(
      'CAIRN_E_EXISTS',
      `${subject} is already enrolled in MFA: to enrol a new device, ask an admin to reset it (\`cairn mfa reset\`)`,
      { subject },
    );
  }
  const uri = otpauthUri(MFA_ISSUER, subject, secret);
  return { subject, secret, otpauthUri: uri, qr: await terminalQr(uri) };
}

export async function confirmMfa(ctx: AccessContext, identity: Identity, code: string): Promise<MfaStatus> {
  requirePermission(identity, 'mfa.enroll', 'enrol in MFA');
  const { subject } = identity;
  const enrolment = await ctx.store.getMfaEnrolment(subject);
  if (enrolment === undefined || enrolment.confirmed) {
    throw new CairnError(
      'CAIRN_E_MFA',
      enrolment ? `${subject} is already confirmed` : `${subject} has no MFA enrolment: run \`cairn mfa enroll\``,
      { subject },
    );
  }
  const step = await stepOf(subject, await secretOf(ctx, subject, enrolment.sealedSecret), code, ctx.now());
  if (!(await ctx.store.confirmMfaEnrolment(subject, nowIso(ctx), step))) {
    throw new CairnError('CAIRN_E_MFA', `the enrolment of ${subject} changed meanwhile: enrol again`, { subject });
  }
  return mfaStatus(ctx, subject);
}

/**
 * Checks a code of `subject`'s confirmed enrolment and uses it up; CAIRN_E_MFA when there is no
 * enrolment, the code is wrong or not current, or it (or a later one) was used already.
 */
export async function useMfaCode(ctx: AccessContext, subject: string, code: string): Promise<number> {
  const enrolment = await ctx.store.getMfaEnrolment(subject);
  if (enrolment === undefined || !enrolment.confirmed) {
    throw new CairnError(
      'CAIRN_E_MFA',
      `${subject} has no confirmed MFA enrolment: run \`cairn mfa enroll\` and confirm it with a first code`,
      { subject, reason: 'not-enrolled' },
    );
  }
  const step = await stepOf(subject, await secretOf(ctx, subject, enrolment.sealedSecret), code, ctx.now());
  if ((enrolment.lastStep !== null && step <= enrolment.lastStep) || !(await ctx.store.useMfaStep(subject, step))) {
    throw new CairnError(
      'CAIRN_E_MFA',
      `that TOTP code of ${subject} has been used already: wait for the next code (every 30 s) and try again`,
      { subject, reason: 'reused' },
    );
  }
  return step;
}

export async function resetMfa(ctx: AccessContext, subject: string, by: Identity): Promise<MfaStatus> {
  requirePermission(by, 'mfa.reset', "reset someone's MFA enrolment");
  await ctx.store.deleteMfaEnrolment(subject);
  return mfaStatus(ctx, subject);
}

export async function mfaStatus(ctx: AccessContext, subject: string): Promise<MfaStatus> {
  const enrolment = await ctx.store.getMfaEnrolment(subject);
  return {
    subject,
    enrolled: enrolment !== undefined,
    confirmed: enrolment?.confirmed ?? false,
    confirmedAt: enrolment?.confirmedAt ?? null,
  };
}

async function stepOf(subject: string, secret: string, code: string, now: Date): Promise<number> {
  const digits = new RegExp(`^\\d{${TOTP_DIGITS}}$`);
  const step = typeof code === 'string' && digits.test(code) ? await totpStep(secret, code, now) : undefined;
  if (step === undefined) {
    throw new CairnError(
      'CAIRN_E_MFA',
      `that is not the current TOTP code of ${subject}: give the ${TOTP_DIGITS}-digit code your authenticator shows now`,
      { subject, reason: 'invalid' },
    );
  }
  return step;
}

async function secretOf(ctx: AccessContext, subject: string, sealed: Uint8Array): Promise<string> {
  let content: { subject?: unknown; secret?: unknown };
  try {
    content = JSON.parse(new TextDecoder().decode(await ctx.sealer.open(sealed))) as typeof content;
  } catch (err) {
    throw unusable(subject, 'it cannot be opened with the server key', err);
  }
  if (content.subject !== subject || typeof content.secret !== 'string') {
    throw unusable(subject, 'it was sealed for someone else');
  }
  return content.secret;
}

function unusable(subject: string, why: string, cause?: unknown): CairnError {
  return new CairnError(
    'CAIRN_E_MFA',
    `the MFA enrolment of ${subject} is unusable (${why}): an admin must reset it and ${subject} enrol again`,
    { subject, reason: 'unusable' },
    cause === undefined ? undefined : { cause },
  );
}
