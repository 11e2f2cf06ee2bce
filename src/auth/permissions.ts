import { ROLES, type Role } from '../policy/index.js';

/**
 * The permissions matrix: the one place that says which role may do what. The server checks a
 * route's permission here, the access layer checks its own operations here, and docs/ACCESS.md's
 * table is rendered from it (a test fails when they differ). Every role includes the viewer's
 * reads. Admin holds everything except approving: an admin provisions identities (tokens) and
 * keys, so letting the same role approve would let one person both mint an approver and approve.
 */

interface PermissionSpec {
  readonly description: string;
  /** Held without any identity at all. */
  readonly anonymous?: true;
  readonly roles: readonly Role[];
}

const everyone: readonly Role[] = ROLES;

export const PERMISSIONS = Object.freeze({
  'health.read': { description: 'Liveness and readiness (/healthz, /readyz)', anonymous: true, roles: everyone },
  'metrics.read': { description: 'Prometheus metrics (/metrics)', roles: everyone },
  'policy.read': { description: 'Read the policy', roles: everyone },
  'items.read': { description: 'List items and their state', roles: everyone },
  'snapshots.read': { description: 'Search, show, list and diff snapshots', roles: everyone },
  'stats.read': { description: 'Sizing: stored size, churn and projection per item and tier', roles: everyone },
  'replication.read': { description: "Replication lag per item (the replica's status)", roles: everyone },
  'schedules.read': { description: 'List schedules, their next and last runs, late flags', roles: everyone },
  'deployments.read': {
    description: 'List and show deployments, their bundles, tickets and requirements',
    roles: everyone,
  },
  'gate.read': { description: 'Evaluate the release gate of an environment', roles: everyone },
  'drift.read': { description: 'Read the latest drift checks of an environment', roles: everyone },
  'snapshots.create': { description: 'Take snapshots', roles: ['operator', 'admin'] },
  'drift.run': {
    description: "Compare items' live sources with their snapshots (drift check)",
    roles: ['operator', 'admin'],
  },
  'deployments.write': {
    description: 'Start, finish and fail deployments (a failure rolls back where the environment says so)',
    roles: ['operator', 'admin'],
  },
  'restore.run': { description: 'Restore a snapshot into a target', roles: ['restorer', 'admin'] },
  'rollback.run': {
    description: "Roll a deployment back into its items' restore targets (as restore.run: restorer, admin)",
    roles: ['restorer', 'admin'],
  },
  'runbooks.read': { description: 'Render the runbooks of an environment', roles: everyone },
  'check.run': { description: 'Check the repository', roles: ['operator', 'admin'] },
  'drills.read': { description: 'List and show recovery drills, their validators, timings and gaps', roles: everyone },
  'drills.run': {
    description: 'Run a recovery drill (restore into a sandbox and validate) or a staging restore',
    roles: ['operator', 'restorer', 'admin'],
  },
  'drills.signoff': {
    description: "Sign a drill off for a team the policy's access.teams lists you in (with a TOTP code)",
    roles: ['operator', 'restorer', 'approver', 'auditor', 'admin'],
  },
  'alerts.read': { description: 'List alerts, their deliveries and states; coverage against RPO', roles: everyone },
  'alerts.ack': { description: 'Acknowledge or resolve an alert', roles: ['operator', 'restorer', 'admin'] },
  'reports.generate': {
    description: 'Generate and verify the monthly compliance report',
    roles: ['auditor', 'admin'],
  },
  'forget.request': {
    description: 'Forget by policy; request forgetting or deleting snapshots outside it',
    roles: ['operator', 'admin'],
  },
  'prune.run': { description: 'Prune unreferenced data', roles: ['operator', 'admin'] },
  'replication.run': { description: "Copy the repository to the policy's replica", roles: ['operator', 'admin'] },
  'retention.manage': { description: 'Request a shorter retention', roles: ['admin'] },
  'holds.read': {
    description: 'List legal holds and their reasons',
    roles: ['operator', 'approver', 'auditor', 'admin'],
  },
  'holds.manage': { description: 'Place legal holds; request lifting one', roles: ['operator', 'admin'] },
  'keys.manage': { description: 'Add repository keys; request removing one', roles: ['admin'] },
  'approvals.read': { description: 'List and show approval requests', roles: ['approver', 'auditor', 'admin'] },
  'approvals.grant': { description: 'Approve or deny a destructive action (with a TOTP code)', roles: ['approver'] },
  'access.request': { description: 'Request a role for a while (own identity)', roles: everyone },
  'access.approve': { description: 'Approve or deny a role request', roles: ['approver'] },
  'access.revoke': { description: 'Revoke an active role grant', roles: ['approver', 'admin'] },
  'tokens.manage': { description: 'Create, list and revoke API tokens', roles: ['admin'] },
  'audit.read': { description: 'Read the audit log', roles: ['auditor', 'admin'] },
  'audit.verify': { description: 'Verify the audit chain and checkpoints', roles: ['auditor', 'admin'] },
  'audit.export': { description: 'Export the audit log', roles: ['auditor', 'admin'] },
  'mfa.enroll': { description: 'Enrol a TOTP authenticator (own identity)', roles: everyone },
  'mfa.reset': { description: "Remove someone's TOTP enrolment (lost device)", roles: ['admin'] },
} as const satisfies Record<string, PermissionSpec>);

export type Permission = keyof typeof PERMISSIONS;

export const PERMISSION_NAMES = Object.freeze(Object.keys(PERMISSIONS) as Permission[]);

/**
 * Whether an identity with these roles may do it; no roles at all means anonymous. Strings are
 * accepted as they come from routes and stored records: an unknown permission is never held, and an
 * unknown role holds nothing.
 */
export function can(roles: readonly string[], permission: string): boolean {
  if (!Object.hasOwn(PERMISSIONS, permission)) return false;
  const spec: PermissionSpec = PERMISSIONS[permission as Permission];
  if (spec.anonymous) return true;
  return roles.some((role) => (spec.roles as readonly string[]).includes(role));
}

/** Every permission these roles hold, in matrix order. */
export function permissionsOf(roles: readonly Role[]): Permission[] {
  return PERMISSION_NAMES.filter((permission) => can(roles, permission));
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
