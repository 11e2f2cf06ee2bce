import type { AuditEventFilter, AuditEventRecord } from '../catalog/index.js';
import type { Caller } from './backend.js';
import type { Identity } from './deps.js';

/**
 * The access and audit use cases of the Backend: tokens, just-in-time elevation, approvals of
 * destructive actions, MFA and the audit log. The shapes follow src/auth's and the catalog's records
 * (what `cairn token|access|approvals|mfa|audit --json` print); the token secret and the TOTP secret
 * appear only in the answer that creates them.
 */

export type TokenState = 'active' | 'expired' | 'revoked';

/** A token as listed: never its hash, never its secret. */
export interface TokenView {
  readonly id: string;
  readonly name: string;
  /** `token:<name>`. */
  readonly subject: string;
  readonly roles: readonly string[];
  readonly state: TokenState;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly revokedAt: string | null;
  readonly revokedBy: string | null;
  readonly lastUsedAt: string | null;
}

export interface TokenCreateInput {
  readonly name: string;
  readonly roles: readonly string[];
  /** A duration (`30d`); the backend's default when absent (every token expires). */
  readonly expires?: string;
}

/** `cairn token create --json`: the secret, shown once (only its hash is stored), and the token. */
export interface CreatedToken {
  readonly token: string;
  readonly info: TokenView;
}

export interface Vote {
  readonly approver: string;
  readonly time: string;
}

export type ElevationStatus = 'pending' | 'active' | 'denied' | 'revoked' | 'cancelled' | 'lapsed' | 'expired';

/** A request for a role for a while; once approved, the grant it became. */
export interface ElevationView {
  readonly id: string;
  readonly subject: string;
  readonly role: string;
  readonly baseRoles: readonly string[];
  readonly reason: string;
  readonly durationMs: number;
  readonly required: number;
  readonly requestedAt: string;
  readonly lapsesAt: string;
  readonly status: ElevationStatus;
  readonly activeFrom: string | null;
  readonly activeUntil: string | null;
  readonly statusBy: string | null;
  readonly statusAt: string | null;
  readonly statusNote: string | null;
  readonly votes: readonly Vote[];
}

/** Destructive actions that need N approvals with a fresh TOTP each (src/auth's APPROVAL_ACTIONS). */
export type ApprovalAction = 'snapshot.forget' | 'snapshot.delete' | 'retention.shorten' | 'hold.remove' | 'key.remove';

export interface ApprovalRequestInput {
  readonly action: ApprovalAction;
  /** What it acts on: snapshot ids (comma-separated), a key id. */
  readonly target: string;
  /** Everything the backend needs to perform the action once approved (JSON). */
  readonly params: Readonly<Record<string, unknown>>;
  readonly reason?: string;
}

export type ApprovalStatus =
  | 'pending'
  | 'approved'
  | 'executing'
  | 'executed'
  | 'failed'
  | 'denied'
  | 'cancelled'
  | 'expired';

export interface ApprovalView {
  readonly id: string;
  readonly action: ApprovalAction;
  readonly target: string;
  readonly params: unknown;
  readonly reason: string | null;
  readonly requestedBy: string;
  /** Distinct approvals needed, none from the requester. */
  readonly required: number;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly status: ApprovalStatus;
  readonly statusBy: string | null;
  readonly statusAt: string | null;
  readonly statusNote: string | null;
  /** What the action returned (e.g. `cairn forget --json`) once executed, or why it failed. */
  readonly result: unknown;
  readonly votes: readonly Vote[];
}

/** `cairn mfa enroll --json`. */
export interface MfaEnrollment {
  readonly subject: string;
  readonly secret: string;
  readonly otpauthUri: string;
  /** The URI as a terminal QR code. */
  readonly qr: string;
}

export interface MfaStatus {
  readonly subject: string;
  readonly enrolled: boolean;
  readonly confirmed: boolean;
  readonly confirmedAt: string | null;
}

/** `cairn audit verify --json`. */
export interface AuditVerifyReport {
  readonly ok: boolean;
  readonly events: number;
  readonly checkpoints: number;
  readonly contentsChecked: boolean;
  /** The first sequence that does not verify, and why; absent when all do. */
  readonly firstBad?: { readonly seq: number; readonly problem: string; readonly message: string };
}

export interface AccessBackend<I extends Identity = Identity> {
  createToken(input: TokenCreateInput, caller: Caller<I>): Promise<CreatedToken>;
  listTokens(): Promise<{ tokens: readonly TokenView[] }>;
  revokeToken(id: string, caller: Caller<I>): Promise<TokenView>;
  /** `for` is a duration (`30m`). */
  requestAccess(input: { role: string; for: string; reason: string }, caller: Caller<I>): Promise<ElevationView>;
  listAccessRequests(input: { status?: ElevationStatus }): Promise<{ requests: readonly ElevationView[] }>;
  approveAccess(id: string, input: { totp?: string }, caller: Caller<I>): Promise<ElevationView>;
  denyAccess(id: string, input: { reason?: string }, caller: Caller<I>): Promise<ElevationView>;
  /** Only the requester may cancel (CAIRN_E_FORBIDDEN otherwise). */
  cancelAccess(id: string, caller: Caller<I>): Promise<ElevationView>;
  revokeAccess(id: string, input: { reason?: string }, caller: Caller<I>): Promise<ElevationView>;
  listApprovals(input: { status?: ApprovalStatus }): Promise<{ approvals: readonly ApprovalView[] }>;
  showApproval(id: string): Promise<ApprovalView>;
  /** Grants with a fresh TOTP; the grant that completes the approval performs the action (and audits it). */
  grantApproval(id: string, input: { totp: string }, caller: Caller<I>): Promise<ApprovalView>;
  denyApproval(id: string, input: { reason?: string }, caller: Caller<I>): Promise<ApprovalView>;
  /** Only the requester may cancel (CAIRN_E_FORBIDDEN otherwise). */
  cancelApproval(id: string, caller: Caller<I>): Promise<ApprovalView>;
  enrollMfa(caller: Caller<I>): Promise<MfaEnrollment>;
  confirmMfa(input: { totp: string }, caller: Caller<I>): Promise<MfaStatus>;
  resetMfa(subject: string, caller: Caller<I>): Promise<MfaStatus>;
  /** `cairn audit log --json`. */
  auditLog(filter: AuditEventFilter): Promise<{ events: readonly AuditEventRecord[] }>;
  verifyAudit(): Promise<AuditVerifyReport>;
  /** `cairn audit export`: one event per line (JSON Lines or CEF), without the newline. */
  exportAudit(input: {
    format: 'jsonl' | 'cef';
    filter: Omit<AuditEventFilter, 'order' | 'afterSeq'>;
  }): AsyncIterable<string>;
}
