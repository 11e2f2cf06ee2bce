/**
 * auth/ — who is acting and what they may do. Identities from API tokens (stored only as hashes)
 * and OIDC bearer tokens (verified against the provider's JWKS); the permissions matrix (one place,
 * also rendered into docs/ACCESS.md); separation of duties from the policy; just-in-time elevation;
 * multi-person approval of destructive actions with TOTP. It keeps its records in the catalog's
 * AccessStore and returns plain data or throws CairnError. It must not speak HTTP, write the audit
 * log or run the actions it approves: the server does those, calling this layer first.
 */
export { AccessControl, type AccessControlOptions } from './access-control.js';
export {
  APPROVAL_ACTIONS,
  type ApprovalAction,
  isApprovalAction,
  requiredApprovals,
} from './approval-actions.js';
export type { Approval, ApprovalState } from './approval-records.js';
export type { ApprovalInput, ApprovalVote } from './approvals.js';
export { checkDuties, type DutyConflict, type DutyPairs, dutyConflicts } from './duties.js';
export type { ElevationRequest } from './elevation.js';
export type { Elevation, ElevationStatus } from './grants.js';
export {
  type ActiveGrant,
  baseIdentity,
  type Identity,
  type IdentitySource,
  localIdentity,
  requirePermission,
} from './identity.js';
export { MFA_ISSUER, type MfaEnrolment, type MfaStatus } from './mfa.js';
export { type OidcConfig, type OidcOptions, OidcVerifier } from './oidc.js';
export { can, isRole, PERMISSION_NAMES, PERMISSIONS, type Permission, permissionsOf } from './permissions.js';
export { renderPermissionsTable, withPermissionsTable } from './permissions-table.js';
export { aesGcmSealer, type Sealer } from './sealer.js';
export type { CreatedToken, NewToken, TokenInfo, TokenState } from './tokens.js';
export { AUTHENTICATION_FAILED, type AuthFailure } from './unauthenticated.js';
