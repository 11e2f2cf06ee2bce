import { type AccessControl, can, type Identity } from '../../auth/index.js';
import type { Guard, RequestMeta } from '../deps.js';

/**
 * The server's Guard over the access layer: a bearer credential (API token or OIDC JWT) becomes an
 * identity with its just-in-time grants, and permissions are read from the one matrix in src/auth.
 * The access layer is asked for on every request, so a changed policy (OIDC, duties) applies at once.
 */
export class AccessGuard implements Guard<Identity> {
  readonly #access: () => Promise<AccessControl>;

  constructor(access: () => Promise<AccessControl>) {
    this.#access = access;
  }

  async authenticate(bearer: string, _meta: RequestMeta): Promise<Identity> {
    return (await this.#access()).authenticate(bearer);
  }

  can(roles: readonly string[], permission: string): boolean {
    return can(roles, permission);
  }
}
