import type { Policy } from '../policy/index.js';
import type { Permission } from './permissions.js';

/**
 * The destructive actions that run only after multi-person approval, each with the permission
 * needed to ask for it. The action runs on the server once approved; asking does nothing yet.
 */
export const APPROVAL_ACTIONS = Object.freeze({
  /** Forget snapshots the retention policy would keep. */
  'snapshot.forget': 'forget.request',
  /** Delete snapshots (and, after prune, their data) outright. */
  'snapshot.delete': 'forget.request',
  'retention.shorten': 'retention.manage',
  'hold.remove': 'holds.manage',
  'key.remove': 'keys.manage',
} as const satisfies Record<string, Permission>);

export type ApprovalAction = keyof typeof APPROVAL_ACTIONS;

export function isApprovalAction(value: unknown): value is ApprovalAction {
  return typeof value === 'string' && Object.hasOwn(APPROVAL_ACTIONS, value);
}

/**
 * Approvals an action on snapshots of these tiers needs: the largest `deleteApprovals` among them,
 * a tier without one counting as `access.approvals.defaultApprovers` (as does an empty list); at
 * least one, whatever the policy says: a destructive action never runs on its requester's word alone.
 */
export function requiredApprovals(
  policy: Pick<Policy, 'access' | 'tiers'>,
  tiers: readonly (string | null | undefined)[] = [],
): number {
  const fallback = policy.access.approvals.defaultApprovers;
  const counts = tiers.map((tier) => (tier ? policy.tiers[tier]?.deleteApprovals : undefined) ?? fallback);
  return Math.max(1, ...(counts.length > 0 ? counts : [fallback]));
}
