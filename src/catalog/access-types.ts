/**
 * What the access layer stores in the catalog (see access-store.ts): API tokens (hashes only),
 * just-in-time role grants with their approvals, approval requests for destructive actions with
 * their votes, and MFA enrolments (sealed secrets). Unlike snapshot rows these are records, not an
 * index: nothing in the repository recreates them. Roles are plain strings here; auth/ checks them.
 * Every state change is a compare-and-set on the current status (or TOTP step), so several servers
 * sharing PostgreSQL never both win the same transition.
 */

export interface TokenRecord {
  readonly id: string;
  readonly name: string;
  readonly roles: readonly string[];
  /** SHA-256 of the whole token string, hex; the token itself is never stored. */
  readonly hash: string;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly revokedAt: string | null;
  readonly revokedBy: string | null;
  readonly lastUsedAt: string | null;
}

export interface VoteRecord {
  readonly approver: string;
  readonly time: string;
}

export type RoleGrantStatus = 'pending' | 'active' | 'denied' | 'revoked' | 'cancelled';

/** A request for a role for a while; once approved, the grant it becomes. */
export interface NewRoleGrant {
  readonly id: string;
  readonly subject: string;
  readonly role: string;
  readonly baseRoles: readonly string[];
  readonly reason: string;
  readonly durationMs: number;
  /** Distinct approvals needed. */
  readonly required: number;
  readonly requestedAt: string;
  readonly lapsesAt: string;
}

export interface RoleGrantRecord extends NewRoleGrant {
  /** As stored: an active grant past activeUntil, or a pending one past lapsesAt, still says so. */
  readonly status: RoleGrantStatus;
  readonly activeFrom: string | null;
  readonly activeUntil: string | null;
  /** Who made the latest status change, when, and why (all null while the request is new). */
  readonly statusBy: string | null;
  readonly statusAt: string | null;
  readonly statusNote: string | null;
  /** Oldest first. */
  readonly votes: readonly VoteRecord[];
}

export type ApprovalStatus = 'pending' | 'approved' | 'executing' | 'executed' | 'failed' | 'denied' | 'cancelled';

export interface NewApprovalRequest {
  readonly id: string;
  readonly action: string;
  readonly target: string;
  /** Any JSON value. */
  readonly params: unknown;
  readonly reason: string | null;
  readonly requestedBy: string;
  readonly required: number;
  readonly createdAt: string;
  readonly expiresAt: string;
}

export interface ApprovalRequestRecord extends NewApprovalRequest {
  /** As stored: a pending request past expiresAt still says pending. */
  readonly status: ApprovalStatus;
  /** Who made the latest status change, when, and why (all null while the request is new). */
  readonly statusBy: string | null;
  readonly statusAt: string | null;
  readonly statusNote: string | null;
  /** What the execution returned or why it failed (JSON), once executed or failed. */
  readonly result: unknown;
  /** Oldest first. */
  readonly votes: readonly VoteRecord[];
}

/** A status change that happens only if the row is still in one of `from`. */
export interface Transition<S extends string> {
  readonly from: readonly S[];
  readonly to: S;
  readonly at: string;
  readonly by?: string | null;
  readonly note?: string | null;
}

export interface MfaEnrolmentRecord {
  readonly subject: string;
  readonly sealedSecret: Uint8Array;
  readonly confirmed: boolean;
  readonly createdAt: string;
  readonly confirmedAt: string | null;
  readonly lastStep: number | null;
}

export interface RoleGrantFilter {
  readonly subject?: string;
  readonly status?: readonly RoleGrantStatus[];
}

export interface ApprovalFilter {
  readonly status?: readonly ApprovalStatus[];
  readonly requestedBy?: string;
  readonly action?: string;
  /** The newest `limit` requests. */
  readonly limit?: number;
}

export interface AccessStore {
  insertToken(token: TokenRecord): Promise<void>;
  getToken(id: string): Promise<TokenRecord | undefined>;
  /** Oldest first. */
  listTokens(): Promise<TokenRecord[]>;
  /** False when there is no such token or it is already revoked. */
  revokeToken(id: string, by: string, at: string): Promise<boolean>;
  touchToken(id: string, at: string): Promise<void>;

  insertRoleGrant(grant: NewRoleGrant): Promise<void>;
  getRoleGrant(id: string): Promise<RoleGrantRecord | undefined>;
  /** Newest request first. */
  listRoleGrants(filter?: RoleGrantFilter): Promise<RoleGrantRecord[]>;
  /** Grants of `subject` with status active whose activeUntil is after `at`. */
  activeRoleGrants(subject: string, at: string): Promise<RoleGrantRecord[]>;
  /** False when this approver has already voted on this grant. */
  addRoleGrantVote(id: string, approver: string, time: string): Promise<boolean>;
  /** pending → active for [from, until); false when it was no longer pending. */
  activateRoleGrant(id: string, from: string, until: string): Promise<boolean>;
  /** Sets status and statusAt/By/Note; false when the status was not in `from`. */
  transitionRoleGrant(id: string, change: Transition<RoleGrantStatus>): Promise<boolean>;

  insertApproval(request: NewApprovalRequest): Promise<void>;
  getApproval(id: string): Promise<ApprovalRequestRecord | undefined>;
  /** Newest first. */
  listApprovals(filter?: ApprovalFilter): Promise<ApprovalRequestRecord[]>;
  /** False when this approver has already voted on this request. */
  addApprovalVote(id: string, approver: string, time: string): Promise<boolean>;
  /** Sets status, statusAt/By/Note (and result when given); false when the status was not in `from`. */
  transitionApproval(id: string, change: Transition<ApprovalStatus> & { readonly result?: unknown }): Promise<boolean>;

  /** Stores a new, unconfirmed enrolment, replacing an unconfirmed one; false when a confirmed one exists. */
  putMfaEnrolment(subject: string, sealedSecret: Uint8Array, at: string): Promise<boolean>;
  getMfaEnrolment(subject: string): Promise<MfaEnrolmentRecord | undefined>;
  /** unconfirmed → confirmed, with `step` as the last used step; false when not pending confirmation. */
  confirmMfaEnrolment(subject: string, at: string, step: number): Promise<boolean>;
  /** Records `step` as used if the enrolment is confirmed and every earlier use was older; else false. */
  useMfaStep(subject: string, step: number): Promise<boolean>;
  deleteMfaEnrolment(subject: string): Promise<boolean>;
}
