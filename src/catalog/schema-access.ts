import type { Int8 } from './schema.js';

/**
 * The access layer's tables (migrations/0003-access.ts), with the conventions of schema.ts: times are
 * ISO-8601 UTC text with milliseconds, role lists and parameters JSON text, booleans 0/1.
 */

export interface TokensTable {
  id: string; // 16 hex, the middle part of `cairn_<id>_<secret>`
  name: string;
  roles: string; // JSON array
  hash: string; // SHA-256 of the whole token, hex
  created_by: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
  revoked_by: string | null;
  last_used_at: string | null;
}

export interface RoleGrantsTable {
  id: string;
  subject: string;
  role: string;
  base_roles: string; // JSON array: what the requester held when asking
  reason: string;
  duration_ms: Int8;
  required: number;
  requested_at: string;
  lapses_at: string; // a pending request not approved by then is void
  status: string; // pending | active | denied | revoked | cancelled
  active_from: string | null;
  active_until: string | null;
  status_by: string | null;
  status_at: string | null;
  status_note: string | null;
}

export interface RoleGrantVotesTable {
  grant_id: string;
  approver: string;
  time: string;
}

export interface ApprovalRequestsTable {
  id: string;
  action: string;
  target: string;
  params: string; // JSON
  reason: string | null;
  requested_by: string;
  required: number;
  created_at: string;
  expires_at: string;
  status: string; // pending | approved | executing | executed | failed | denied | cancelled
  status_by: string | null;
  status_at: string | null;
  status_note: string | null;
  result: string | null; // JSON
}

export interface ApprovalVotesTable {
  request_id: string;
  approver: string;
  time: string;
}

export interface MfaEnrolmentsTable {
  subject: string;
  sealed_secret: string; // base64 of the sealer's output
  confirmed: number; // 0 | 1
  created_at: string;
  confirmed_at: string | null;
  last_step: Int8 | null; // the last TOTP time step accepted; a code of this step or older is refused
}

export interface AccessTables {
  tokens: TokensTable;
  role_grants: RoleGrantsTable;
  role_grant_votes: RoleGrantVotesTable;
  approval_requests: ApprovalRequestsTable;
  approval_votes: ApprovalVotesTable;
  mfa_enrolments: MfaEnrolmentsTable;
}
