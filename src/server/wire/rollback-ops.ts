import type { Identity } from '../../auth/index.js';
import type { Repository } from '../../repo/index.js';
import { renderRunbooks, rollbackDeployment, type Session } from '../../services/index.js';
import type { RollbackBackend } from '../backend-rollback.js';
import type { WireContext } from './wire-context.js';

/** Rollbacks and runbooks over the services, each on a repository opened for it, as the CLI runs them. */
export function rollbackOps(ctx: WireContext): RollbackBackend<Identity> {
  const session = (repo: Repository): Session => ({ repo, catalog: ctx.catalog, close: async () => {} });
  return {
    async rollbackDeployment(deployment, input, caller) {
      const policy = await ctx.policy();
      return ctx.withRepository((repo) =>
        rollbackDeployment(session(repo), policy, {
          deployment,
          dryRun: input.dryRun,
          actor: caller.identity.subject,
          ...(input.change !== undefined ? { change: input.change } : {}),
          ...(input.allowOlder ? { allowOlder: true } : {}),
        }),
      );
    },
    async runbooks(input) {
      const policy = await ctx.policy();
      return renderRunbooks(session(ctx.repo), policy, { environment: input.environment });
    },
  };
}
