import type { Identity } from '../../auth/index.js';
import type { RoleGrantStatus } from '../../catalog/index.js';
import { CairnError } from '../../errors/index.js';
import { parseDuration, type Role } from '../../policy/index.js';
import type { AccessBackend, ElevationStatus } from '../backend-access.js';
import type { WireContext } from './wire-context.js';

type AccessOps = Pick<
  AccessBackend<Identity>,
  | 'createToken'
  | 'listTokens'
  | 'revokeToken'
  | 'requestAccess'
  | 'listAccessRequests'
  | 'approveAccess'
  | 'denyAccess'
  | 'cancelAccess'
  | 'revokeAccess'
  | 'enrollMfa'
  | 'confirmMfa'
  | 'resetMfa'
>;

/** A token without `expires` lives this long: every token expires. */
export const DEFAULT_TOKEN_LIFETIME = '30d';

/**
 * Tokens, just-in-time elevation and MFA enrolment over the access layer, which checks the acting
 * identity's permission, separation of duties and self-approval itself.
 */
export function accessOps(ctx: WireContext): AccessOps {
  const access = () => ctx.access();
  return {
    async createToken(input, caller) {
      const expiresInMs = duration(input.expires ?? DEFAULT_TOKEN_LIFETIME, 'body.expires');
      const roles = input.roles as Role[];
      return (await access()).createToken({ name: input.name, roles, expiresInMs, createdBy: caller.identity });
    },
    listTokens: async () => ({ tokens: await (await access()).listTokens() }),
    revokeToken: async (id, caller) => (await access()).revokeToken(id, caller.identity),
    async requestAccess(input, caller) {
      const durationMs = duration(input.for, 'body.for');
      return (await access()).requestElevation({
        requestedBy: caller.identity,
        role: input.role as Role,
        durationMs,
        reason: input.reason,
      });
    },
    async listAccessRequests({ status }) {
      const all = await (await access()).listElevations(status ? { status: [storedStatus(status)] } : {});
      return { requests: all.filter((r) => !status || r.status === status) };
    },
    // Role requests are approved without a TOTP code (docs/ACCESS.md); a code sent along is not needed.
    approveAccess: async (id, _input, caller) => (await access()).approveElevation(id, caller.identity),
    denyAccess: async (id, { reason }, caller) => (await access()).denyElevation(id, caller.identity, reason),
    cancelAccess: async (id, caller) => (await access()).cancelElevation(id, caller.identity),
    revokeAccess: async (id, { reason }, caller) => (await access()).revokeElevation(id, caller.identity, reason),
    enrollMfa: async (caller) => (await access()).enrollMfa(caller.identity),
    confirmMfa: async ({ totp }, caller) => (await access()).confirmMfa(caller.identity, totp),
    resetMfa: async (subject, caller) => (await access()).resetMfa(subject, caller.identity),
  };
}

/** `lapsed` is a pending request past its time, `expired` an active grant past its end. */
function storedStatus(status: ElevationStatus): RoleGrantStatus {
  if (status === 'lapsed') return 'pending';
  if (status === 'expired') return 'active';
  return status;
}

function duration(text: string, field: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0)
    throw new CairnError('CAIRN_E_USAGE', `${field}: ${JSON.stringify(text)} is not a duration like 30m, 8h or 30d`, {
      field,
    });
  return ms;
}
