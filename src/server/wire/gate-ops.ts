import type { Identity } from '../../auth/index.js';
import { driftCheck, evaluateGate, latestDrift, type Session } from '../../services/index.js';
import type { GateBackend } from '../backend-gate.js';
import type { WireContext } from './wire-context.js';

/** The release gate and drift over the services, each with a repository opened for the request. */
export function gateOps(ctx: WireContext): GateBackend<Identity> {
  const session = (repo: Session['repo']): Session => ({ repo, catalog: ctx.catalog, close: async () => {} });
  return {
    async gate(input) {
      const policy = await ctx.policy();
      return ctx.withRepository((repo) => evaluateGate(session(repo), policy, input));
    },
    async runDrift(input) {
      const policy = await ctx.policy();
      return ctx.withRepository((repo) =>
        driftCheck(session(repo), policy, {
          environment: input.environment,
          ...(input.items ? { items: input.items } : {}),
        }),
      );
    },
    async latestDrift(input) {
      return latestDrift({ catalog: ctx.catalog }, await ctx.policy(), input.environment);
    },
  };
}
