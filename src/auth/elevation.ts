import { CairnError } from '../errors/index.js';
import { formatDuration, ROLES, type Role } from '../policy/index.js';
import { type AccessContext, isPast, laterIso, newId, nowIso } from './context.js';
import { checkDuties } from './duties.js';
import { closeElevation, type Elevation, getElevation } from './grants.js';
import { type Identity, requirePermission } from './identity.js';
import { isRole } from './permissions.js';
import { refuseSelfApproval } from './same-person.js';

/**
 * Just-in-time elevation: a role for a while, with a reason, approved by `policy.access.jit.approvers`
 * distinct approvers, active from the last approval for the duration asked (grants.ts says when a
 * grant counts). A request not approved within `policy.access.approvals.expireAfterMs` lapses.
 */

export interface ElevationRequest {
  readonly requestedBy: Identity;
  readonly role: Role;
  readonly durationMs: number;
  readonly reason: string;
}

const reasonLimit = 1000;

export async function requestElevation(ctx: AccessContext, input: ElevationRequest): Promise<Elevation> {
  const { requestedBy: who, role, durationMs } = input;
  requirePermission(who, 'access.request', 'request a role');
  if (!isRole(role)) {
    throw new CairnError('CAIRN_E_USAGE', `${JSON.stringify(role)} is not a role: use one of ${ROLES.join(', ')}`, {
      role,
    });
  }
  if (who.roles.includes(role)) {
    throw new CairnError('CAIRN_E_USAGE', `${who.subject} already holds ${role}`, { subject: who.subject, role });
  }
  const max = ctx.policy.jit.maxDurationMs;
  if (!Number.isSafeInteger(durationMs) || durationMs <= 0 || durationMs > max) {
    throw new CairnError(
      'CAIRN_E_USAGE',
      `ask for the role for a positive duration up to ${formatDuration(max)} (policy access.jit.maxDuration)`,
      { durationMs, maxDurationMs: max },
    );
  }
  const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
  if (reason === '' || reason.length > reasonLimit) {
    throw new CairnError(
      'CAIRN_E_USAGE',
      `say why you need the role (--reason, up to ${reasonLimit} characters), e.g. the incident or change ticket`,
      { reasonLength: reason.length },
    );
  }
  checkDuties(
    [...who.roles, role],
    ctx.policy.separationOfDuties,
    who.subject,
    'ask for a role that does not conflict',
  );
  const open = await ctx.store.listRoleGrants({ subject: who.subject, status: ['pending'] });
  const same = open.find((grant) => grant.role === role && !isPast(ctx, grant.lapsesAt));
  if (same !== undefined) {
    throw new CairnError(
      'CAIRN_E_EXISTS',
      `${who.subject} already has a pending request for ${role} (${same.id}): wait for it or cancel it`,
      { id: same.id },
    );
  }
  const id = newId('jit');
  await ctx.store.insertRoleGrant({
    id,
    subject: who.subject,
    role,
    baseRoles: who.baseRoles,
    reason,
    durationMs,
    required: Math.max(1, ctx.policy.jit.approvers), // a grant never approves itself
    requestedAt: nowIso(ctx),
    lapsesAt: laterIso(ctx, ctx.policy.approvals.expireAfterMs),
  });
  return getElevation(ctx, id);
}

/** One approval; the grant becomes active when it has as many as the policy asks for. */
export async function approveElevation(ctx: AccessContext, id: string, approver: Identity): Promise<Elevation> {
  requirePermission(approver, 'access.approve', 'approve role requests');
  const grant = await pendingGrant(ctx, id);
  await refuseSelfApproval(ctx, approver, grant.subject, `role request ${id}`);
  const active = await ctx.store.activeRoleGrants(grant.subject, nowIso(ctx));
  const roles = [...grant.baseRoles, ...active.map((g) => g.role).filter(isRole), grant.role];
  checkDuties(
    roles,
    ctx.policy.separationOfDuties,
    grant.subject,
    `deny request ${id} or revoke the conflicting grant`,
  );
  if (!(await ctx.store.addRoleGrantVote(id, approver.subject, nowIso(ctx)))) {
    throw new CairnError('CAIRN_E_EXISTS', `${approver.subject} has already approved ${id}; another approver must`, {
      id,
    });
  }
  const votes = (await ctx.store.getRoleGrant(id))?.votes.length ?? 0;
  if (votes >= grant.required) await ctx.store.activateRoleGrant(id, nowIso(ctx), laterIso(ctx, grant.durationMs));
  return getElevation(ctx, id);
}

export async function denyElevation(ctx: AccessContext, id: string, by: Identity, note?: string): Promise<Elevation> {
  requirePermission(by, 'access.approve', 'deny role requests');
  await pendingGrant(ctx, id);
  await closeElevation(ctx, id, { from: ['pending'], to: 'denied', by: by.subject, note });
  return getElevation(ctx, id);
}

/** The requester withdraws a pending request. */
export async function cancelElevation(ctx: AccessContext, id: string, by: Identity): Promise<Elevation> {
  const grant = await getElevation(ctx, id);
  if (grant.subject !== by.subject) {
    throw new CairnError('CAIRN_E_FORBIDDEN', `only ${grant.subject} may cancel ${id}; approvers deny instead`, { id });
  }
  if (grant.status !== 'pending') {
    throw new CairnError('CAIRN_E_USAGE', `role request ${id} is ${grant.status}, no longer pending`, { id });
  }
  await closeElevation(ctx, id, { from: ['pending'], to: 'cancelled', by: by.subject });
  return getElevation(ctx, id);
}

/** Ends an active grant now: by its holder (done early) or by someone holding access.revoke. */
export async function revokeElevation(ctx: AccessContext, id: string, by: Identity, note?: string): Promise<Elevation> {
  const grant = await getElevation(ctx, id);
  if (grant.subject !== by.subject) requirePermission(by, 'access.revoke', 'revoke role grants');
  if (grant.status !== 'active') {
    throw new CairnError('CAIRN_E_USAGE', `${id} is ${grant.status}, not active: nothing to revoke`, { id });
  }
  await closeElevation(ctx, id, { from: ['active'], to: 'revoked', by: by.subject, note });
  return getElevation(ctx, id);
}

async function pendingGrant(ctx: AccessContext, id: string): Promise<Elevation> {
  const grant = await getElevation(ctx, id);
  if (grant.status === 'lapsed') {
    throw new CairnError(
      'CAIRN_E_EXPIRED',
      `role request ${id} lapsed at ${grant.lapsesAt} without enough approvals: ask again`,
      { id, lapsesAt: grant.lapsesAt },
    );
  }
  if (grant.status !== 'pending') {
    throw new CairnError('CAIRN_E_USAGE', `role request ${id} is ${grant.status}, no longer pending`, {
      id,
      status: grant.status,
    });
  }
  return grant;
}
