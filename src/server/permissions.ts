/**
 * The permissions routes declare in `config.permission`. Which roles hold which permission is
 * src/auth's one matrix (passed in as Guard.can); the server only knows the names, and that
 * `health.read` needs no identity and `authenticated` any identity at all.
 */
export const PERMISSIONS = Object.freeze([
  'health.read',
  'metrics.read',
  'policy.read',
  'items.read',
  'snapshots.read',
  'stats.read',
  'replication.read',
  'schedules.read',
  'deployments.read',
  'gate.read',
  'drift.read',
  'runbooks.read',
  'snapshots.create',
  'drift.run',
  'deployments.write',
  'restore.run',
  'rollback.run',
  'check.run',
  'forget.request',
  'prune.run',
  'replication.run',
  'retention.manage',
  'holds.read',
  'holds.manage',
  'approvals.read',
  'approvals.grant',
  'access.request',
  'access.approve',
  'access.revoke',
  'tokens.manage',
  'audit.read',
  'audit.verify',
  'audit.export',
  'keys.manage',
  'mfa.enroll',
  'mfa.reset',
  'drills.read',
  'drills.run',
  'drills.signoff',
  'alerts.read',
  'alerts.ack',
  'reports.generate',
] as const);

export type Permission = (typeof PERMISSIONS)[number];

/** Any authenticated identity, whatever its roles (the OpenAPI document). Not a matrix entry. */
export const ANY_IDENTITY = 'authenticated';

/**
 * Inbound webhooks: no bearer token, no role; the route checks the provider's signature over the raw
 * body itself (src/server/webhooks/). Not a matrix entry.
 */
export const SIGNED_WEBHOOK = 'webhook.signed';

export type RoutePermission = Permission | typeof ANY_IDENTITY | typeof SIGNED_WEBHOOK;

export function isRoutePermission(value: unknown): value is RoutePermission {
  return value === ANY_IDENTITY || value === SIGNED_WEBHOOK || (PERMISSIONS as readonly unknown[]).includes(value);
}
