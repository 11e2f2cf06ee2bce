import { CairnError } from '../errors/index.js';
import type { IdentitySource } from './identity.js';

/**
 * Why a credential was refused. It goes into the audit record (details.reason); the message stays
 * the same for every reason, so a caller learns nothing about which tokens exist or were revoked.
 */
export type AuthFailure =
  | 'missing'
  | 'malformed'
  | 'unknown'
  | 'revoked'
  | 'expired'
  | 'not-yet-valid'
  | 'bad-signature'
  | 'unknown-key'
  | 'bad-algorithm'
  | 'wrong-issuer'
  | 'wrong-audience'
  | 'missing-claim'
  | 'bad-claims'
  | 'oidc-not-configured';

export const AUTHENTICATION_FAILED =
  'authentication failed: present a valid, unexpired API token or OIDC bearer token (Authorization: Bearer …)';

export function unauthenticated(
  via: IdentitySource | 'bearer',
  reason: AuthFailure,
  details: Record<string, unknown> = {},
): CairnError {
  return new CairnError('CAIRN_E_UNAUTHENTICATED', AUTHENTICATION_FAILED, { via, reason, ...details });
}
