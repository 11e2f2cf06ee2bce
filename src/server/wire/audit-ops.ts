import { exportAudit } from '../../audit/index.js';
import type { Identity } from '../../auth/index.js';
import { verifyAuditTrail } from '../../services/index.js';
import type { AccessBackend } from '../backend-access.js';
import type { WireContext } from './wire-context.js';

type AuditOps = Pick<AccessBackend<Identity>, 'auditLog' | 'verifyAudit' | 'exportAudit'>;

/**
 * The audit trail as `cairn audit log | verify | export` show it. Verification checks the chain in
 * the catalog against the signed checkpoints in the repository, opening their sealed event copies
 * with the repository key, so an edited event is named even when every later hash was recomputed.
 */
export function auditOps(ctx: WireContext): AuditOps {
  const store = ctx.catalog.audit;
  return {
    auditLog: async (filter) => ({ events: await ctx.log.query(filter) }),
    verifyAudit: () => verifyAuditTrail(ctx),
    exportAudit: ({ format, filter }) => exportAudit(store, filter, format, { version: ctx.version }),
  };
}
