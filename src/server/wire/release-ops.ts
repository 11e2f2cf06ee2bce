import type { Identity } from '../../auth/index.js';
import type { Repository } from '../../repo/index.js';
import {
  failAndRollBack,
  finishDeployment,
  listDeployments,
  type Session,
  showDeployment,
  startDeployment,
} from '../../services/index.js';
import type { ReleaseBackend } from '../backend-release.js';
import type { WireContext } from './wire-context.js';

/** Deployments over the services, each on a repository opened for it, as `cairn deploy` runs them. */
export function releaseOps(ctx: WireContext): ReleaseBackend<Identity> {
  const session = (repo: Repository): Session => ({ repo, catalog: ctx.catalog, close: async () => {} });
  return {
    async startDeployment(input, caller) {
      const policy = await ctx.policy();
      return ctx.withRepository((repo) =>
        startDeployment(session(repo), policy, { ...input, actor: caller.identity.subject, source: 'api' }),
      );
    },
    async finishDeployment(id, caller) {
      const policy = await ctx.policy();
      return ctx.withRepository((repo) =>
        finishDeployment(session(repo), policy, id, { actor: caller.identity.subject }),
      );
    },
    async failDeployment(id, input, caller) {
      const policy = await ctx.policy();
      return ctx.withRepository((repo) =>
        failAndRollBack(session(repo), policy, id, { ...input, actor: caller.identity.subject }),
      );
    },
    async listDeployments(query) {
      return {
        deployments: await listDeployments({ repo: ctx.repo, catalog: ctx.catalog, close: async () => {} }, query),
      };
    },
    showDeployment: (id) => showDeployment({ repo: ctx.repo, catalog: ctx.catalog, close: async () => {} }, id),
  };
}
