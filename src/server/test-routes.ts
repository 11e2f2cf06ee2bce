import { SNAP_ID } from './test-fixtures.js';

/**
 * One valid request per route, for tests that call every route: its URL (params and query filled),
 * body, success status, and how its answer relates to the fake backend's: `same` (the backend's
 * answer, unchanged), `approval` (`{ approval }`), `ready` (/readyz), `none` (not JSON of the backend).
 */
export interface RouteExample {
  readonly url: string;
  readonly body?: unknown;
  readonly status: number;
  readonly shape: 'same' | 'approval' | 'ready' | 'none';
}

export const ROUTE_EXAMPLES: Readonly<Record<string, RouteExample>> = {
  'GET /healthz': { url: '/healthz', status: 200, shape: 'none' },
  'GET /readyz': { url: '/readyz', status: 200, shape: 'ready' },
  'GET /metrics': { url: '/metrics', status: 200, shape: 'none' },
  'GET /api/v1/openapi.json': { url: '/api/v1/openapi.json', status: 200, shape: 'none' },
  'GET /api/v1/policy': { url: '/api/v1/policy', status: 200, shape: 'same' },
  'GET /api/v1/policy/check': { url: '/api/v1/policy/check', status: 200, shape: 'same' },
  'GET /api/v1/items': { url: '/api/v1/items', status: 200, shape: 'same' },
  'GET /api/v1/snapshots': {
    url: '/api/v1/snapshots?item=payments-api-prod&env=prod&trigger=pre-deploy&since=2026-01-01&until=2026-12-31T00:00:00Z&limit=5',
    status: 200,
    shape: 'same',
  },
  'GET /api/v1/snapshots/:id': { url: `/api/v1/snapshots/${SNAP_ID}`, status: 200, shape: 'same' },
  'GET /api/v1/snapshots/:id/files': {
    url: `/api/v1/snapshots/${SNAP_ID}/files?path=a.yaml`,
    status: 200,
    shape: 'same',
  },
  'GET /api/v1/diff': { url: `/api/v1/diff?from=aaaa&to=${'e'.repeat(64)}&patch=true`, status: 200, shape: 'same' },
  'POST /api/v1/snapshots': {
    url: '/api/v1/snapshots',
    body: { items: ['payments-api-prod'], trigger: 'pre-deploy', release: '2.4.1', change: 'CHG-1042', force: true },
    status: 200,
    shape: 'same',
  },
  'POST /api/v1/restore': {
    url: '/api/v1/restore',
    body: { snapshot: SNAP_ID, target: '/srv/app/config', include: ['a.yaml'], dryRun: true },
    status: 200,
    shape: 'same',
  },
  'POST /api/v1/check': { url: '/api/v1/check', body: { readDataSubset: 10 }, status: 200, shape: 'same' },
  'POST /api/v1/forget': {
    url: '/api/v1/forget',
    body: { applyPolicy: true, dryRun: true },
    status: 200,
    shape: 'same',
  },
  'POST /api/v1/prune': { url: '/api/v1/prune', body: { dryRun: true, maxUnused: 10 }, status: 200, shape: 'same' },
  'DELETE /api/v1/snapshots/:id': { url: `/api/v1/snapshots/${SNAP_ID}`, status: 202, shape: 'approval' },
  'POST /api/v1/snapshots/:id/retention': {
    url: `/api/v1/snapshots/${SNAP_ID}/retention`,
    body: { retainUntil: '2027-01-01', reason: 'ticket LEGAL-9' },
    status: 202,
    shape: 'approval',
  },
  'GET /api/v1/schedules': { url: '/api/v1/schedules', status: 200, shape: 'same' },
  'GET /api/v1/gate': { url: '/api/v1/gate?env=prod&release=2.4.1', status: 200, shape: 'same' },
  'POST /api/v1/drift': {
    url: '/api/v1/drift',
    body: { environment: 'prod', items: ['payments-api-prod'] },
    status: 200,
    shape: 'same',
  },
  'GET /api/v1/drift': { url: '/api/v1/drift?env=prod', status: 200, shape: 'same' },
  'POST /api/v1/deployments/:id/rollback': {
    url: '/api/v1/deployments/D-20261129-k3x9qa/rollback',
    body: { dryRun: true, change: 'CHG-1042' },
    status: 200,
    shape: 'same',
  },
  'POST /api/v1/deployments': {
    url: '/api/v1/deployments',
    body: {
      environment: 'prod',
      release: '2.4.1',
      commit: 'a1b2c3d',
      change: 'CHG-1042',
      pipeline: 'https://ci/1',
      id: 'D-1',
    },
    status: 201,
    shape: 'same',
  },
  'POST /api/v1/deployments/:id/finish': { url: '/api/v1/deployments/D-1/finish', status: 200, shape: 'same' },
  'POST /api/v1/deployments/:id/fail': {
    url: '/api/v1/deployments/D-1/fail',
    body: { reason: 'smoke tests failed' },
    status: 200,
    shape: 'same',
  },
  'GET /api/v1/deployments': {
    url: '/api/v1/deployments?environment=prod&release=2.4.1&status=failed&limit=5',
    status: 200,
    shape: 'same',
  },
  'GET /api/v1/deployments/:id': { url: '/api/v1/deployments/D-1', status: 200, shape: 'same' },
  'GET /api/v1/runbooks': { url: '/api/v1/runbooks?env=prod', status: 200, shape: 'same' },
  'GET /api/v1/stats': {
    url: '/api/v1/stats?projection=2y&window=90d&item=payments-api-prod&item=legacy&tier=critical',
    status: 200,
    shape: 'same',
  },
  'GET /api/v1/replication/status': {
    url: '/api/v1/replication/status?to=s3%3A%2F%2Freplica-eu%2Fcairn',
    status: 200,
    shape: 'same',
  },
  'POST /api/v1/replicate': {
    url: '/api/v1/replicate',
    body: { to: 's3://replica-eu/cairn', syncLocks: true, concurrency: 4 },
    status: 200,
    shape: 'same',
  },
  'GET /api/v1/holds': { url: '/api/v1/holds', status: 200, shape: 'same' },
  'POST /api/v1/holds': {
    url: '/api/v1/holds',
    body: { snapshot: SNAP_ID.slice(0, 12), reason: 'LEGAL-7' },
    status: 201,
    shape: 'same',
  },
  'DELETE /api/v1/holds/:id': {
    url: `/api/v1/holds/${SNAP_ID}`,
    body: { reason: 'case closed' },
    status: 202,
    shape: 'approval',
  },
  'GET /api/v1/keys': { url: '/api/v1/keys', status: 200, shape: 'same' },
  'POST /api/v1/keys': {
    url: '/api/v1/keys',
    body: { password: 'correct horse battery', label: 'ops' },
    status: 201,
    shape: 'same',
  },
  'DELETE /api/v1/keys/:id': { url: '/api/v1/keys/k1', status: 202, shape: 'approval' },
  'POST /api/v1/tokens': {
    url: '/api/v1/tokens',
    body: { name: 'ci', roles: ['operator'], expires: '30d' },
    status: 201,
    shape: 'same',
  },
  'GET /api/v1/tokens': { url: '/api/v1/tokens', status: 200, shape: 'same' },
  'DELETE /api/v1/tokens/:id': { url: '/api/v1/tokens/tok-9', status: 200, shape: 'same' },
  'POST /api/v1/access/requests': {
    url: '/api/v1/access/requests',
    body: { role: 'restorer', for: '30m', reason: 'incident INC-7' },
    status: 201,
    shape: 'same',
  },
  'GET /api/v1/access/requests': { url: '/api/v1/access/requests?status=pending', status: 200, shape: 'same' },
  'POST /api/v1/access/requests/:id/approve': {
    url: '/api/v1/access/requests/jit-1/approve',
    body: { totp: '123456' },
    status: 200,
    shape: 'same',
  },
  'POST /api/v1/access/requests/:id/deny': {
    url: '/api/v1/access/requests/jit-1/deny',
    body: {},
    status: 200,
    shape: 'same',
  },
  'POST /api/v1/access/requests/:id/cancel': {
    url: '/api/v1/access/requests/jit-1/cancel',
    status: 200,
    shape: 'same',
  },
  'POST /api/v1/access/requests/:id/revoke': {
    url: '/api/v1/access/requests/jit-1/revoke',
    body: { reason: 'incident over' },
    status: 200,
    shape: 'same',
  },
  'POST /api/v1/approvals/:id/cancel': { url: '/api/v1/approvals/apr-1/cancel', status: 200, shape: 'same' },
  'DELETE /api/v1/mfa/enrolments/:subject': { url: '/api/v1/mfa/enrolments/token%3Aci', status: 200, shape: 'same' },
  'GET /api/v1/approvals': { url: '/api/v1/approvals?status=pending', status: 200, shape: 'same' },
  'GET /api/v1/approvals/:id': { url: '/api/v1/approvals/apr-1', status: 200, shape: 'same' },
  'POST /api/v1/approvals/:id/grant': {
    url: '/api/v1/approvals/apr-1/grant',
    body: { totp: '123456' },
    status: 200,
    shape: 'same',
  },
  'POST /api/v1/approvals/:id/deny': {
    url: '/api/v1/approvals/apr-1/deny',
    body: { reason: 'no' },
    status: 200,
    shape: 'same',
  },
  'POST /api/v1/mfa/enroll': { url: '/api/v1/mfa/enroll', status: 200, shape: 'same' },
  'POST /api/v1/mfa/confirm': { url: '/api/v1/mfa/confirm', body: { totp: '654321' }, status: 200, shape: 'same' },
  'GET /api/v1/audit/events': {
    url: '/api/v1/audit/events?identity=viewer-user&action=snapshot.*&result=ok&since=2026-01-01&after=0&order=newest&limit=10',
    status: 200,
    shape: 'same',
  },
  'POST /api/v1/audit/verify': { url: '/api/v1/audit/verify', status: 200, shape: 'same' },
  'GET /api/v1/audit/export': {
    url: '/api/v1/audit/export?format=cef&until=2026-12-31&limit=100',
    status: 200,
    shape: 'none',
  },
  'GET /api/v1/drills': {
    url: '/api/v1/drills?plan=quarterly-prod&status=awaiting-signoff&limit=5',
    status: 200,
    shape: 'same',
  },
  'GET /api/v1/drills/:id': { url: '/api/v1/drills/dr-0123456789', status: 200, shape: 'same' },
  'POST /api/v1/drills/run': {
    url: '/api/v1/drills/run',
    body: { plan: 'quarterly-prod' },
    status: 200,
    shape: 'same',
  },
  'POST /api/v1/drills/:id/signoff': {
    url: '/api/v1/drills/dr-0123456789/signoff',
    body: { team: 'operations', code: '123456' },
    status: 200,
    shape: 'same',
  },
  'GET /api/v1/gaps': { url: '/api/v1/gaps?item=payments-api-prod&all=true', status: 200, shape: 'same' },
  'GET /api/v1/alerts': { url: '/api/v1/alerts?state=open', status: 200, shape: 'same' },
  'POST /api/v1/alerts/:id/ack': { url: '/api/v1/alerts/al-0123456789ab/ack', status: 200, shape: 'same' },
  'POST /api/v1/alerts/:id/resolve': {
    url: '/api/v1/alerts/al-0123456789ab/resolve',
    body: { reason: 'fixed by INC-7' },
    status: 200,
    shape: 'same',
  },
  'GET /api/v1/coverage': { url: '/api/v1/coverage?env=prod', status: 200, shape: 'same' },
  'GET /api/v1/canary': { url: '/api/v1/canary?limit=3', status: 200, shape: 'same' },
  'GET /api/v1/reports/:month': { url: '/api/v1/reports/2026-11?format=csv', status: 200, shape: 'none' },
  'POST /api/v1/reports/verify': {
    url: '/api/v1/reports/verify?name=cairn-report-2026-11.json',
    body: { report: { kind: 'cairn-monthly-report' } },
    status: 200,
    shape: 'same',
  },
  // Signed, not bearer-authenticated (permission webhook.signed): src/server/webhooks/routes.test.ts.
  'POST /api/v1/hooks/github': { url: '/api/v1/hooks/github', body: { zen: 'x' }, status: 401, shape: 'none' },
  'POST /api/v1/hooks/gitlab': { url: '/api/v1/hooks/gitlab', body: { object_kind: 'x' }, status: 401, shape: 'none' },
  'POST /api/v1/hooks/generic': { url: '/api/v1/hooks/generic', body: { event: 'x' }, status: 401, shape: 'none' },
};
