import type { Identity } from '../../auth/index.js';
import { generateReport, recordReportGenerated, type Session, verifyReportFile } from '../../services/index.js';
import type { ReportsBackend } from '../backend-reports.js';
import type { WireContext } from './wire-context.js';

/**
 * The monthly report over the services, as `cairn report` does it locally: built and signed with a
 * repository opened for the request, then `report.generated` recorded as the caller; verify
 * recomputes every figure with the server's policy.
 */
export function reportOps(ctx: WireContext): ReportsBackend<Identity> {
  const session = (repo: Session['repo']): Session => ({ repo, catalog: ctx.catalog, close: async () => {} });
  return {
    async generateReport(input, caller) {
      const policy = await ctx.policy();
      const g = await ctx.withRepository((repo) =>
        generateReport(session(repo), policy, ctx.log, {
          month: input.month,
          format: input.format,
          generator: `cairn ${ctx.version}`,
        }),
      );
      const who = {
        identity: caller.identity.subject,
        roles: [...caller.identity.roles],
        ip: caller.ip,
        userAgent: caller.userAgent,
      };
      await recordReportGenerated(ctx.log, who, { ...g, format: input.format });
      return {
        month: g.signed.report.month,
        format: input.format,
        bytes: g.bytes,
        sha256: g.sha256,
        bodySha256: g.signed.signature.bodySha256,
        figures: g.signed.report.figures.length,
      };
    },
    async verifyReport(input) {
      const policy = await ctx.policy();
      return ctx.withRepository((repo) =>
        verifyReportFile(session(repo), policy, input.bytes, input.name ? { name: input.name } : {}),
      );
    },
  };
}
