import { hostname } from 'node:os';
import { baseIdentity } from '../../auth/index.js';
import { executeApproved } from './approval-execution.js';
import type { WireContext } from './wire-context.js';

/**
 * Approvals that reached `approved` but were never claimed (a server stopped between the last grant
 * and the claim) are carried out when a server starts, under the server's own identity; the claim
 * in executeApproved keeps several starting servers from running one twice.
 */
export async function resumeApprovedActions(ctx: WireContext, onError: (what: string, err: unknown) => void) {
  const access = await ctx.access();
  const server = baseIdentity(`server:${hostname()}`, [], 'local');
  for (const approval of await access.listApprovals({ status: ['approved'] })) {
    try {
      await executeApproved(ctx, access, approval, {
        identity: server,
        ip: '127.0.0.1',
        userAgent: 'cairn-serve',
        requestId: `resume-${approval.id}`,
        changeId: null,
      });
    } catch (err) {
      onError(`approved action ${approval.id}`, err);
    }
  }
}
