import { generateSecret, verify } from 'otplib';

/**
 * TOTP as authenticator apps do it (RFC 6238): SHA-1, 6 digits, 30-second steps. A code from the
 * step before or after the current one is accepted, for clocks a few seconds apart.
 */
export const TOTP_PERIOD_SEC = 30;
export const TOTP_DIGITS = 6;

export function newTotpSecret(): string {
  return generateSecret({ length: 20 });
}

/** The time step the code belongs to, or undefined when it is not a current code of this secret. */
export async function totpStep(secret: string, code: string, now: Date): Promise<number | undefined> {
  const result = await verify({
    secret,
    token: code,
    epoch: Math.floor(now.getTime() / 1000),
    epochTolerance: TOTP_PERIOD_SEC,
    period: TOTP_PERIOD_SEC,
    digits: TOTP_DIGITS,
  });
  return result.valid && 'timeStep' in result ? result.timeStep : undefined;
}

/** The key URI authenticator apps scan; the issuer prefixes the label and is repeated as a parameter. */
export function otpauthUri(issuer: string, account: string, secret: string): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  const query = new URLSearchParams({
    secret,
    issuer,
    algorithm: 'SHA1',
    digits: String(TOTP_DIGITS),
    period: String(TOTP_PERIOD_SEC),
  });
  return `otpauth://totp/${label}?${query}`;
}
