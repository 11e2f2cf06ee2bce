import type { RoleGrantRecord, RoleGrantStatus } from '../catalog/index.js';
import { CairnError } from '../errors/index.js';
import { ROLES, type Role } from '../policy/index.js';
import { type AccessContext, isPast, nowIso } from './context.js';
import { checkDuties } from './duties.js';
import type { Identity } from './identity.js';
import { isRole } from './permissions.js';

/**
 * Role grants as the access layer shows them, and the roles they add to an identity. Whether a
 * grant still counts is computed from the clock whenever roles are looked up: nothing has to run
 * for a grant to end.
 */

/** As stored, plus `lapsed` (pending, too late to approve) and `expired` (active, past its end). */
export type ElevationStatus = RoleGrantStatus | 'lapsed' | 'expired';

export interface Elevation extends Omit<RoleGrantRecord, 'status' | 'role' | 'baseRoles'> {
  readonly role: Role;
  readonly baseRoles: readonly Role[];
  readonly status: ElevationStatus;
}

export async function getElevation(ctx: AccessContext, id: string): Promise<Elevation> {
  const grant = await ctx.store.getRoleGrant(id);
  if (grant === undefined) {
    throw new CairnError('CAIRN_E_NOT_FOUND', `no role request ${JSON.stringify(id)}: see \`cairn access list\``, {
      id,
    });
  }
  return elevation(ctx, grant);
}

export async function listElevations(
  ctx: AccessContext,
  filter: { subject?: string; status?: readonly RoleGrantStatus[] } = {},
): Promise<Elevation[]> {
  return (await ctx.store.listRoleGrants(filter)).map((grant) => elevation(ctx, grant));
}

/** `identity` with the roles of its active grants added; CAIRN_E_DUTY_CONFLICT if they clash. */
export async function withGrants(ctx: AccessContext, identity: Identity): Promise<Identity> {
  const active = (await ctx.store.activeRoleGrants(identity.subject, nowIso(ctx))).filter((g) => isRole(g.role));
  if (active.length === 0) return identity;
  const held = new Set<Role>([...identity.baseRoles, ...active.map((g) => g.role as Role)]);
  const roles = ROLES.filter((role) => held.has(role));
  checkDuties(
    roles,
    ctx.policy.separationOfDuties,
    identity.subject,
    `revoke grant ${active.map((g) => g.id).join(' or ')} (\`cairn access revoke\`) or wait until it ends`,
  );
  const grants = active.map((g) => ({ id: g.id, role: g.role as Role, until: g.activeUntil as string }));
  return Object.freeze({ ...identity, roles, grants });
}

export async function closeElevation(
  ctx: AccessContext,
  id: string,
  change: { from: RoleGrantStatus[]; to: RoleGrantStatus; by: string; note?: string | undefined },
): Promise<void> {
  const done = await ctx.store.transitionRoleGrant(id, { ...change, at: nowIso(ctx), note: change.note ?? null });
  if (!done) {
    const now = await getElevation(ctx, id);
    throw new CairnError('CAIRN_E_USAGE', `role request ${id} is ${now.status} now: it was changed meanwhile`, { id });
  }
}

function elevation(ctx: AccessContext, grant: RoleGrantRecord): Elevation {
  let status: ElevationStatus = grant.status;
  if (status === 'pending' && isPast(ctx, grant.lapsesAt)) status = 'lapsed';
  if (status === 'active' && grant.activeUntil !== null && isPast(ctx, grant.activeUntil)) status = 'expired';
  return { ...grant, role: grant.role as Role, baseRoles: grant.baseRoles.filter(isRole), status };
}
