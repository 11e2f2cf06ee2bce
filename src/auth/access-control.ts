import type { AccessStore, ApprovalFilter, RoleGrantFilter } from '../catalog/index.js';
import type { AccessPolicy } from '../policy/index.js';
import * as records from './approval-records.js';
import * as approvals from './approvals.js';
import type { AccessContext } from './context.js';
import * as elevation from './elevation.js';
import * as grants from './grants.js';
import type { Identity } from './identity.js';
import * as mfa from './mfa.js';
import type { OidcVerifier } from './oidc.js';
import type { Sealer } from './sealer.js';
import * as tokens from './tokens.js';
import { unauthenticated } from './unauthenticated.js';

export interface AccessControlOptions {
  readonly store: AccessStore;
  readonly policy: AccessPolicy;
  /** Seals TOTP secrets; the server's is keyed from the repository key. */
  readonly sealer: Sealer;
  /** Absent: OIDC bearer tokens are refused. */
  readonly oidc?: OidcVerifier;
  readonly now?: () => Date;
}

/**
 * The access layer for one policy: identities, tokens, elevation, approvals and MFA. Operations
 * that change something take the acting Identity and check its permission themselves; reads
 * (get/list) do not, and the caller checks approvals.read or the like.
 */
export class AccessControl {
  readonly #ctx: AccessContext;
  readonly #oidc: OidcVerifier | undefined;

  constructor(options: AccessControlOptions) {
    const { store, policy, sealer } = options;
    this.#ctx = Object.freeze({ store, policy, sealer, now: options.now ?? (() => new Date()) });
    this.#oidc = options.oidc;
  }

  /** An `Authorization: Bearer` credential: an API token (`cairn_…`) or, else, an OIDC JWT. */
  async authenticate(bearer: string): Promise<Identity> {
    if (typeof bearer !== 'string' || bearer.trim() === '') throw unauthenticated('bearer', 'missing');
    const credential = bearer.trim();
    if (credential.startsWith('cairn_')) return this.authenticateToken(credential);
    if (this.#oidc === undefined) throw unauthenticated('oidc', 'oidc-not-configured');
    return this.withGrants(await this.#oidc.verify(credential));
  }

  async authenticateToken(token: string): Promise<Identity> {
    return this.withGrants(await tokens.authenticateToken(this.#ctx, token));
  }

  /** Adds active just-in-time grants to an identity (for local identities, or after authenticating). */
  withGrants(identity: Identity): Promise<Identity> {
    return grants.withGrants(this.#ctx, identity);
  }

  createToken(input: tokens.NewToken): Promise<tokens.CreatedToken> {
    return tokens.createToken(this.#ctx, input);
  }
  listTokens(): Promise<tokens.TokenInfo[]> {
    return tokens.listTokens(this.#ctx);
  }
  revokeToken(id: string, by: Identity): Promise<tokens.TokenInfo> {
    return tokens.revokeToken(this.#ctx, id, by);
  }

  requestElevation(input: elevation.ElevationRequest): Promise<grants.Elevation> {
    return elevation.requestElevation(this.#ctx, input);
  }
  approveElevation(id: string, approver: Identity): Promise<grants.Elevation> {
    return elevation.approveElevation(this.#ctx, id, approver);
  }
  denyElevation(id: string, by: Identity, note?: string): Promise<grants.Elevation> {
    return elevation.denyElevation(this.#ctx, id, by, note);
  }
  cancelElevation(id: string, by: Identity): Promise<grants.Elevation> {
    return elevation.cancelElevation(this.#ctx, id, by);
  }
  revokeElevation(id: string, by: Identity, note?: string): Promise<grants.Elevation> {
    return elevation.revokeElevation(this.#ctx, id, by, note);
  }
  getElevation(id: string): Promise<grants.Elevation> {
    return grants.getElevation(this.#ctx, id);
  }
  listElevations(filter?: RoleGrantFilter): Promise<grants.Elevation[]> {
    return grants.listElevations(this.#ctx, filter);
  }

  requestApproval(input: approvals.ApprovalInput): Promise<records.Approval> {
    return approvals.requestApproval(this.#ctx, input);
  }
  grantApproval(id: string, vote: approvals.ApprovalVote): Promise<records.Approval> {
    return approvals.grantApproval(this.#ctx, id, vote);
  }
  denyApproval(id: string, by: Identity, note?: string): Promise<records.Approval> {
    return approvals.denyApproval(this.#ctx, id, by, note);
  }
  cancelApproval(id: string, by: Identity): Promise<records.Approval> {
    return approvals.cancelApproval(this.#ctx, id, by);
  }
  startExecution(id: string): Promise<records.Approval> {
    return approvals.startExecution(this.#ctx, id);
  }
  markExecuted(id: string, result: unknown): Promise<records.Approval> {
    return approvals.markExecuted(this.#ctx, id, result);
  }
  markFailed(id: string, error: string): Promise<records.Approval> {
    return approvals.markFailed(this.#ctx, id, error);
  }
  getApproval(id: string): Promise<records.Approval> {
    return records.getApproval(this.#ctx, id);
  }
  listApprovals(filter?: ApprovalFilter): Promise<records.Approval[]> {
    return records.listApprovals(this.#ctx, filter);
  }

  enrollMfa(identity: Identity): Promise<mfa.MfaEnrolment> {
    return mfa.enrollMfa(this.#ctx, identity);
  }
  confirmMfa(identity: Identity, code: string): Promise<mfa.MfaStatus> {
    return mfa.confirmMfa(this.#ctx, identity, code);
  }
  resetMfa(subject: string, by: Identity): Promise<mfa.MfaStatus> {
    return mfa.resetMfa(this.#ctx, subject, by);
  }
  mfaStatus(subject: string): Promise<mfa.MfaStatus> {
    return mfa.mfaStatus(this.#ctx, subject);
  }
  /**
   * Checks a TOTP code of the identity's own confirmed enrolment and uses it up, as an approval vote
   * does (a drill sign-off); CAIRN_E_MFA when there is none, or the code is wrong or used already.
   */
  async useMfaCode(identity: Identity, code: string): Promise<void> {
    await mfa.useMfaCode(this.#ctx, identity.subject, code);
  }
}
