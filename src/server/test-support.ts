import { Writable } from 'node:stream';
import { CairnError } from '../errors/index.js';
import type { Backend } from './backend.js';
import type { AuditEventInput, AuditSink, Guard, Identity, ServerDeps } from './deps.js';
import type { Permission } from './permissions.js';
import { recorder } from './test-answer.js';
import * as f from './test-fixtures.js';
import { fakeGate } from './test-fixtures-gate.js';
import { fakeHooks } from './test-fixtures-hooks.js';
import { fakeMonitoring } from './test-fixtures-monitoring.js';
import { fakeRelease } from './test-fixtures-release.js';
import { fakeReports } from './test-fixtures-reports.js';
import { fakeRollback } from './test-fixtures-rollback.js';
import { fakeSchedules } from './test-fixtures-schedules.js';
import * as fs from './test-fixtures-storage.js';

/**
 * Fakes for the server's tests: a Guard whose tokens are `token-<role>`, an AuditSink that can be
 * made to fail, a Backend that records which methods ran and answers with fixtures, and a
 * permissions matrix of our own that mirrors the documented one (docs/API.md).
 */

export const ROLES = ['viewer', 'operator', 'restorer', 'approver', 'auditor', 'admin'] as const;

const everyone: Permission[] = [
  'metrics.read',
  'policy.read',
  'items.read',
  'snapshots.read',
  'stats.read',
  'replication.read',
  'gate.read',
  'drift.read',
  'schedules.read',
  'runbooks.read',
  'deployments.read',
  'access.request',
  'mfa.enroll',
  'drills.read',
  'alerts.read',
];
const audit: Permission[] = ['audit.read', 'audit.verify', 'audit.export'];

/** Mirrors the table in docs/ACCESS.md (src/auth's matrix); a test compares the two. */
export const MATRIX: Readonly<Record<string, readonly Permission[]>> = {
  viewer: everyone,
  operator: [
    ...everyone,
    'snapshots.create',
    'deployments.write',
    'drift.run',
    'check.run',
    'forget.request',
    'prune.run',
    'replication.run',
    'holds.read',
    'holds.manage',
    'drills.run',
    'drills.signoff',
    'alerts.ack',
  ],
  restorer: [...everyone, 'restore.run', 'rollback.run', 'drills.run', 'drills.signoff', 'alerts.ack'],
  approver: [
    ...everyone,
    'holds.read',
    'approvals.read',
    'approvals.grant',
    'access.approve',
    'access.revoke',
    'drills.signoff',
  ],
  auditor: [...everyone, 'holds.read', 'approvals.read', ...audit, 'drills.signoff', 'reports.generate'],
  admin: [
    ...everyone,
    'snapshots.create',
    'deployments.write',
    'drift.run',
    'restore.run',
    'rollback.run',
    'check.run',
    'forget.request',
    'prune.run',
    'replication.run',
    'retention.manage',
    'holds.read',
    'holds.manage',
    'keys.manage',
    'approvals.read',
    'access.revoke',
    'tokens.manage',
    ...audit,
    'mfa.reset',
    'drills.run',
    'drills.signoff',
    'alerts.ack',
    'reports.generate',
  ],
};

export function matrixCan(roles: readonly string[], permission: string): boolean {
  return roles.some((r) => (MATRIX[r] as readonly string[] | undefined)?.includes(permission));
}

export function tokenFor(role: string): string {
  return `token-${role}`;
}

export function fakeGuard(): Guard {
  return {
    async authenticate(bearer): Promise<Identity> {
      const role = /^token-([a-z]+)$/.exec(bearer)?.[1];
      if (role && (ROLES as readonly string[]).includes(role))
        return { subject: `${role}-user`, roles: [role], via: 'token' };
      if (bearer === 'token-none') return { subject: 'nobody', roles: [], via: 'token' };
      throw new CairnError('CAIRN_E_UNAUTHENTICATED', 'the token is not known', { reason: 'unknown' });
    },
    can: matrixCan,
  };
}

export class FakeAudit implements AuditSink {
  readonly events: AuditEventInput[] = [];
  failing = false;
  async record(e: AuditEventInput): Promise<void> {
    if (this.failing) throw new CairnError('CAIRN_E_AUDIT', 'audit store down');
    this.events.push(e);
  }
}

export type FakeBackend = Backend & { calls: string[]; results: unknown[] };

/** A Backend answering with fixtures; `calls` lists the methods that ran, `results` their answers. */
export function fakeBackend(): FakeBackend {
  const calls: string[] = [];
  const results: unknown[] = [];
  const answer = recorder(calls, results);
  return {
    calls,
    results,
    ...fakeHooks(calls, results),
    ...fakeSchedules(calls, results),
    ...fakeGate(calls, results),
    ...fakeRollback(calls, results),
    ...fakeRelease(calls, results),
    ...fakeMonitoring(calls, results),
    ...fakeReports(calls, results),
    ready: answer('ready', { catalog: { ok: true }, repository: { ok: true } }),
    metrics: answer('metrics', {
      snapshots: [{ item: 'payments-api-prod', status: 'complete', count: 3 }],
      items: [{ item: 'payments-api-prod', lastSnapshotBytes: 34_567, lastSuccess: '2026-11-29T08:00:00.000Z' }],
    }),
    policy: answer('policy', { version: 1, items: [{ name: 'payments-api-prod' }] }),
    checkPolicy: answer('checkPolicy', {
      valid: true as const,
      file: '/etc/cairn.yaml',
      items: 1,
      tiers: 1,
      exceptions: 0,
      issues: [],
    }),
    listItems: answer('listItems', {
      items: [{ name: 'payments-api-prod', owner: 'payments', tier: 'critical', environment: 'prod', component: null }],
    }),
    searchSnapshots: answer('searchSnapshots', { snapshots: [f.hit] }),
    showSnapshot: answer('showSnapshot', { ...f.snapshot, verifications: [f.verification] }),
    listFiles: answer('listFiles', {
      snapshot: f.SNAP_ID,
      entries: [
        { path: 'a.yaml', type: 'file' as const, mode: 420, size: 3, mtime: '2026-01-01T00:00:00.000Z', sha256: 'f' },
      ],
    }),
    diff: answer('diff', f.diff),
    createSnapshots: answer('createSnapshots', { snapshots: [f.itemResult] }),
    resolveRestore: answer('resolveRestore', {
      snapshot: f.SNAP_ID,
      item: 'payments-api-prod',
      restoreDirectory: '/srv/app/config',
    }),
    restore: answer('restore', f.restoreResult),
    check: answer('check', f.checkReport),
    forgetByPolicy: answer('forgetByPolicy', { ...f.forgetResult, prune: f.pruneResult }),
    previewForget: answer('previewForget', { ...f.forgetResult, dryRun: true }),
    prune: answer('prune', f.pruneResult),
    listKeys: answer('listKeys', {
      keys: [{ id: 'k1', kind: 'password' as const, created: '2026-01-01', host: 'h', user: 'u', current: true }],
    }),
    addKey: answer('addKey', {
      id: 'k2',
      kind: 'password' as const,
      created: '2026-01-02',
      host: 'h',
      user: 'u',
      label: 'ops',
    }),
    requestApproval: answer('requestApproval', f.approval),
    stats: answer('stats', fs.statsReport),
    replicationStatus: answer('replicationStatus', fs.replicationStatus),
    replicate: answer('replicate', fs.replicateResult),
    // Read on every scrape, like metrics: not recorded in calls.
    replicationMetrics: async () => fs.replicationMetrics,
    listHolds: answer('listHolds', { holds: [fs.holdRecord] }),
    addHold: answer('addHold', fs.holdResult),
    createToken: answer('createToken', f.createdToken),
    listTokens: answer('listTokens', { tokens: [f.tokenView] }),
    revokeToken: answer('revokeToken', { ...f.tokenView, state: 'revoked' as const, revokedAt: f.snapshot.time }),
    requestAccess: answer('requestAccess', f.elevation),
    listAccessRequests: answer('listAccessRequests', { requests: [f.elevation] }),
    approveAccess: answer('approveAccess', { ...f.elevation, status: 'active' as const }),
    denyAccess: answer('denyAccess', { ...f.elevation, status: 'denied' as const }),
    cancelAccess: answer('cancelAccess', { ...f.elevation, status: 'cancelled' as const }),
    revokeAccess: answer('revokeAccess', { ...f.elevation, status: 'revoked' as const }),
    listApprovals: answer('listApprovals', { approvals: [f.approval] }),
    showApproval: answer('showApproval', f.approval),
    grantApproval: answer('grantApproval', { ...f.approval, status: 'executed' as const, result: { removed: 1 } }),
    denyApproval: answer('denyApproval', { ...f.approval, status: 'denied' as const }),
    cancelApproval: answer('cancelApproval', { ...f.approval, status: 'cancelled' as const }),
    enrollMfa: answer('enrollMfa', f.mfaEnrollment),
    confirmMfa: answer('confirmMfa', f.mfaStatus),
    resetMfa: answer('resetMfa', { ...f.mfaStatus, enrolled: false, confirmed: false, confirmedAt: null }),
    auditLog: answer('auditLog', { events: [f.auditRecord] }),
    verifyAudit: answer('verifyAudit', {
      ok: false,
      events: 6,
      checkpoints: 1,
      contentsChecked: true,
      firstBad: { seq: 7, problem: 'edited', message: 'event 7 no longer gives its hash' },
    }),
    exportAudit(input) {
      calls.push('exportAudit');
      results.push(undefined);
      return (async function* () {
        yield JSON.stringify({ seq: 1, format: input.format, filter: input.filter });
        yield JSON.stringify({ seq: 2 });
      })();
    },
  };
}

export function fakeDeps(): ServerDeps & { audit: FakeAudit; backend: FakeBackend } {
  return { guard: fakeGuard(), audit: new FakeAudit(), backend: fakeBackend() };
}

/** A log destination that keeps every line, for tests that read the log. */
export function logCapture(): { stream: Writable; text(): string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}
