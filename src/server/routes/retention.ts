import type { FastifyInstance } from 'fastify';
import { CairnError } from '../../errors/index.js';
import { type ForgetResult, removalAuditDetails } from '../../services/index.js';
import { pendingApproval, requirePermission } from '../approval-answer.js';
import type { ServerContext } from '../context.js';
import { callerOf } from '../request-audit.js';
import { addRoute } from '../route-kit.js';
import { pendingApprovalSchema } from '../schemas/access.js';
import { arr, bool, obj, snapshotId, str } from '../schemas/common.js';
import { forgetResultSchema, pruneResultSchema } from '../schemas/results.js';

interface ForgetBody {
  applyPolicy?: boolean;
  ids?: string[];
  items?: string[];
  dryRun?: boolean;
  prune?: boolean;
  reason?: string;
}

/**
 * Retention: forgetting by the tiers' keep rules runs at once; forgetting named snapshots is outside
 * the policy, so unless it is a dry run it becomes an approval request (202) that the backend carries
 * out once the required approvers have granted it.
 */
export function registerRetentionRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { backend } = ctx.deps;

  addRoute<{ Body: ForgetBody }, unknown>(app, ctx, {
    method: 'POST',
    url: '/api/v1/forget',
    permission: 'forget.request',
    action: 'forget',
    kind: 'write',
    summary:
      'Forget snapshots by the keep rules (applyPolicy) now; named ids only after approvals (202) (`cairn forget`)',
    tags: ['retention'],
    schema: {
      body: obj({
        applyPolicy: bool,
        ids: arr(snapshotId, 10_000),
        items: arr(str(), 1000),
        dryRun: bool,
        prune: bool,
        reason: str(1000),
      }),
      response: forgetResultSchema,
      responses: { 202: pendingApprovalSchema },
    },
    target: (req) =>
      req.body.ids?.length ? req.body.ids.join(',') : `policy:${req.body.items?.join(',') ?? 'all items'}`,
    outcome: (r) =>
      Array.isArray((r as Partial<ForgetResult>)?.decisions) ? { details: removalAuditDetails(r as ForgetResult) } : {},
    handle: async (req) => {
      const b = req.body;
      const ids = b.ids ?? [];
      if (!b.applyPolicy && ids.length === 0)
        throw new CairnError('CAIRN_E_USAGE', 'name snapshots to forget (ids), or set applyPolicy', {
          field: 'body.ids',
        });
      if (b.applyPolicy && ids.length > 0)
        throw new CairnError('CAIRN_E_USAGE', 'give either ids or applyPolicy, not both', { field: 'body.ids' });
      if (b.prune && !b.dryRun) requirePermission(ctx, req, 'prune.run');
      if (b.applyPolicy) {
        return backend.forgetByPolicy(
          { ...(b.items ? { items: b.items } : {}), dryRun: b.dryRun ?? false, prune: b.prune ?? false },
          callerOf(req),
        );
      }
      if (b.dryRun) return backend.previewForget(ids);
      const approval = await backend.requestApproval(
        {
          action: 'snapshot.forget',
          target: ids.join(','),
          params: { ids, prune: b.prune ?? false },
          ...(b.reason ? { reason: b.reason } : {}),
        },
        callerOf(req),
      );
      return pendingApproval(approval);
    },
  });

  addRoute<{ Body: { dryRun?: boolean; maxUnused?: number } }, unknown>(app, ctx, {
    method: 'POST',
    url: '/api/v1/prune',
    permission: 'prune.run',
    action: 'prune',
    kind: 'write',
    summary: 'Delete data no snapshot needs; packs under WORM retention stay (`cairn prune`)',
    tags: ['retention'],
    schema: {
      body: obj({ dryRun: bool, maxUnused: { type: 'number', minimum: 0, maximum: 100 } }),
      response: pruneResultSchema,
    },
    handle: async (req) =>
      backend.prune({ dryRun: req.body.dryRun ?? false, maxUnused: (req.body.maxUnused ?? 50) / 100 }, callerOf(req)),
  });
}
