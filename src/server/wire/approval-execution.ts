import type { AccessControl, Approval, Identity } from '../../auth/index.js';
import { isCairnError } from '../../errors/index.js';
import { type ForgetResult, removalAuditDetails } from '../../services/index.js';
import type { Caller } from '../backend.js';
import { runAction } from './approval-actions.js';
import type { WireContext } from './wire-context.js';

/**
 * Carries out an approval that has just reached `approved`. Of several servers sharing the catalog
 * exactly one claims it (startExecution); a server that loses the claim answers with the approval
 * as it is. The execution is audited like any action, with the approval id: `allowed` before it
 * starts (if that cannot be written, the action does not run and the approval is marked failed),
 * then `ok` or `failed`. The action's answer, or its error, is kept on the approval.
 */
export async function executeApproved(
  ctx: WireContext,
  access: AccessControl,
  approval: Approval,
  caller: Caller<Identity>,
): Promise<Approval> {
  try {
    await access.startExecution(approval.id);
  } catch (err) {
    if (isCairnError(err, 'CAIRN_E_USAGE')) return access.getApproval(approval.id); // another server has it
    throw err;
  }
  const event = (result: 'allowed' | 'ok' | 'failed', details: Record<string, unknown> = {}) =>
    ctx.log.record({
      identity: caller.identity.subject,
      roles: [...caller.identity.roles],
      ip: caller.ip,
      userAgent: caller.userAgent,
      action: approval.action,
      target: approval.target,
      result,
      changeId: caller.changeId,
      approvalId: approval.id,
      details: {
        requestId: caller.requestId,
        requestedBy: approval.requestedBy,
        approvers: approval.votes.map((v) => v.approver),
        ...details,
      },
    });
  try {
    await event('allowed');
  } catch (err) {
    await access.markFailed(approval.id, 'the audit log could not be written, so the action did not run');
    throw err;
  }
  let result: unknown;
  try {
    result = await runAction(ctx, approval.action, approval.params);
  } catch (err) {
    const code = isCairnError(err) ? err.code : 'CAIRN_E_CHECK_FAILED';
    const message = err instanceof Error ? err.message : String(err);
    const failed = await access.markFailed(approval.id, `${code}: ${message}`);
    await event('failed', { code });
    return failed;
  }
  const executed = await access.markExecuted(approval.id, result);
  await event('ok', summary(result));
  return executed;
}

function summary(result: unknown): Record<string, unknown> {
  const r = (result ?? {}) as { removed?: unknown; released?: unknown; prune?: { bytesFreed?: unknown } };
  // A forget: which snapshots it removed, with their retention dates (the monthly report reads them).
  const forgot = Array.isArray((r as Partial<ForgetResult>).decisions) ? removalAuditDetails(r as ForgetResult) : {};
  return {
    ...(r.removed !== undefined ? { removed: r.removed } : {}),
    ...forgot,
    ...(r.released !== undefined ? { released: r.released } : {}),
    ...(r.prune ? { bytesFreed: r.prune.bytesFreed } : {}),
  };
}
