import type { Identity } from '../../auth/index.js';
import { CairnError } from '../../errors/index.js';
import { listGaps, runDrill, type Session, signOffDrill } from '../../services/index.js';
import type { DrillsBackend } from '../backend-monitoring.js';
import type { WireContext } from './wire-context.js';

/**
 * Drills over the services: a drill runs with a repository opened for it, as the caller (its actor);
 * a sign-off is the caller's, for a team access.teams lists them in, and its TOTP code is checked and
 * used up by the access layer exactly as an approval vote's is.
 */
export function drillOps(ctx: WireContext): DrillsBackend<Identity> {
  const session = (repo: Session['repo']): Session => ({ repo, catalog: ctx.catalog, close: async () => {} });
  return {
    async listDrills(input) {
      return { drills: await ctx.catalog.drills.list(input) };
    },
    async showDrill(id) {
      const drill = await ctx.catalog.drills.get(id);
      if (!drill) throw new CairnError('CAIRN_E_NOT_FOUND', `no drill ${id} (see \`cairn drill list\`)`, { drill: id });
      return { ...drill, signoffs: await ctx.catalog.drills.signoffs(drill.id) };
    },
    async runDrill(input, caller) {
      const policy = await ctx.policy();
      return ctx.withRepository((repo) =>
        runDrill(session(repo), policy, ctx.log, {
          plan: input.plan,
          trigger: 'manual',
          actor: caller.identity.subject,
        }),
      );
    },
    async signOffDrill(id, input, caller) {
      const [policy, access] = await Promise.all([ctx.policy(), ctx.access()]);
      return signOffDrill(ctx.catalog, ctx.log, policy, {
        drillId: id,
        team: input.team,
        subject: caller.identity.subject,
        verifyCode: () => access.useMfaCode(caller.identity, input.code),
      });
    },
    async listGaps(input) {
      return { gaps: await listGaps(ctx.catalog, input) };
    },
  };
}
