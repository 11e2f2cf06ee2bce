import { arr, bool, int, type JsonSchema, nullable, obj, openObject } from './common.js';

/**
 * Response schemas of the access and audit routes. Closed objects: a token's hash or a stored TOTP
 * secret can never reach a response by accident, because no schema names them.
 */

const s = { type: 'string' } as const;
const ns = nullable(s);
const strings = arr(s);
const votes = arr(obj({ approver: s, time: s }));

export const tokenSchema = obj({
  id: s,
  name: s,
  subject: s,
  roles: strings,
  state: s,
  createdBy: s,
  createdAt: s,
  expiresAt: s,
  revokedAt: ns,
  revokedBy: ns,
  lastUsedAt: ns,
});
export const createdTokenSchema = obj({ token: s, info: tokenSchema });
export const tokensSchema = obj({ tokens: arr(tokenSchema, 100_000) });

export const elevationSchema = obj({
  id: s,
  subject: s,
  role: s,
  baseRoles: strings,
  reason: s,
  durationMs: int,
  required: int,
  requestedAt: s,
  lapsesAt: s,
  status: s,
  activeFrom: ns,
  activeUntil: ns,
  statusBy: ns,
  statusAt: ns,
  statusNote: ns,
  votes,
});
export const elevationsSchema = obj({ requests: arr(elevationSchema, 100_000) });

export const approvalSchema = obj({
  id: s,
  action: s,
  target: s,
  params: {},
  reason: ns,
  requestedBy: s,
  required: int,
  createdAt: s,
  expiresAt: s,
  status: s,
  statusBy: ns,
  statusAt: ns,
  statusNote: ns,
  result: {},
  votes,
});
export const approvalsSchema = obj({ approvals: arr(approvalSchema, 100_000) });
/** 202 Accepted: the destructive action waits for its approvals. */
export const pendingApprovalSchema = obj({ approval: approvalSchema });

export const mfaEnrollmentSchema = obj({ subject: s, secret: s, otpauthUri: s, qr: s });
export const mfaStatusSchema = obj({ subject: s, enrolled: bool, confirmed: bool, confirmedAt: ns });

export const auditEventSchema: JsonSchema = obj({
  seq: int,
  id: s,
  time: s,
  identity: s,
  roles: strings,
  ip: ns,
  userAgent: ns,
  action: s,
  target: ns,
  result: s,
  changeId: ns,
  approvalId: ns,
  details: openObject,
  prevHash: s,
  hash: s,
});
export const auditEventsSchema = obj({ events: arr(auditEventSchema, 1_000_000) });

export const auditVerifySchema = obj({
  ok: bool,
  events: int,
  checkpoints: int,
  contentsChecked: bool,
  firstBad: obj({ seq: int, problem: s, message: s }),
});
