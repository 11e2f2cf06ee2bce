import { CairnError } from '../errors/index.js';
import type { Role } from '../policy/index.js';
import { can, type Permission } from './permissions.js';

export type IdentitySource = 'token' | 'oidc' | 'local';

/** A just-in-time grant counted in an identity's roles. */
export interface ActiveGrant {
  readonly id: string;
  readonly role: Role;
  readonly until: string; // ISO
}

/** Who is acting: what the server records in the audit log and checks permissions against. */
export interface Identity {
  /** `token:<name>`, `oidc:<claim value>` or `local:<user>@<host>`. */
  readonly subject: string;
  /** Effective roles: the base roles plus active just-in-time grants. */
  readonly roles: readonly Role[];
  /** What the token, the OIDC claims or the local setup give, without grants. */
  readonly baseRoles: readonly Role[];
  readonly grants: readonly ActiveGrant[];
  readonly via: IdentitySource;
  readonly tokenId?: string;
  /** When the credential stops being valid (token or JWT expiry), ISO. */
  readonly expiresAt?: string;
}

/** An identity from a credential, before just-in-time grants are added. */
export function baseIdentity(
  subject: string,
  roles: readonly Role[],
  via: IdentitySource,
  extra: { tokenId?: string; expiresAt?: string } = {},
): Identity {
  return Object.freeze({ subject, roles, baseRoles: roles, grants: [], via, ...extra });
}

/** The person at the server's own console (`cairn` run locally with the repository's credentials). */
export function localIdentity(user: string, host: string, roles: readonly Role[]): Identity {
  return baseIdentity(`local:${user}@${host}`, roles, 'local');
}

/** Throws CAIRN_E_FORBIDDEN unless `identity` holds `permission`. */
export function requirePermission(identity: Identity, permission: Permission, doing: string): void {
  if (can(identity.roles, permission)) return;
  throw new CairnError(
    'CAIRN_E_FORBIDDEN',
    `${identity.subject} may not ${doing}: that needs the permission ${permission}, which roles ` +
      `${rolesText(identity.roles)} do not give; request a role that has it with \`cairn access request\``,
    { subject: identity.subject, roles: identity.roles, permission },
  );
}

function rolesText(roles: readonly Role[]): string {
  return roles.length === 0 ? '(none)' : roles.join(', ');
}
