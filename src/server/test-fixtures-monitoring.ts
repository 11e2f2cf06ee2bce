import type { AlertRecord, CanaryRun, DrillRecord, DrillSignoff, GapRecord } from '../catalog/index.js';
import type { CoverageReport } from '../services/index.js';
import type { DrillsBackend, MonitoringBackend, MonitoringMetrics } from './backend-monitoring.js';
import { recorder } from './test-answer.js';

/** Sample answers of drills, gaps, alerts, coverage and the canary, every field filled (tests only). */

const at = '2026-11-29T10:00:00.000Z';

export const drillRecord: DrillRecord = {
  id: `dr-${'0123456789abcdef0123'}`,
  plan: 'quarterly-prod',
  kind: 'drill',
  environment: 'prod',
  trigger: 'manual',
  actor: 'token:ops',
  startedAt: at,
  finishedAt: '2026-11-29T10:04:00.000Z',
  status: 'awaiting-signoff',
  rtoMs: 240_000,
  restoreMs: 180_000,
  validateMs: 60_000,
  rpoMs: 3_600_000,
  rtoSlaMs: 1_800_000,
  rpoSlaMs: 14_400_000,
  withinSla: true,
  signoffRequired: ['operations', 'security'],
  result: {
    items: [
      {
        item: 'payments-api-prod',
        tier: 'critical',
        snapshotId: 'f'.repeat(64),
        stateAt: '2026-11-29T09:00:00.000Z',
        rpoMs: 3_600_000,
        rpoSlaMs: 14_400_000,
        rtoSlaMs: 1_800_000,
        restoreMs: 180_000,
        files: 12,
        bytes: 34_567,
        ok: false,
        error: 'one file failed its checksum',
      },
    ],
    validators: [
      {
        index: 0,
        kind: 'run',
        item: 'payments-api-prod',
        label: 'nginx -t -c {restored}/nginx.conf',
        ok: false,
        durationMs: 1200,
        output: 'nginx: [emerg] host not found in upstream "db"',
        exitCode: 1,
        timedOut: false,
        error: 'exited 1',
      },
    ],
    gaps: [
      {
        item: 'payments-api-prod',
        category: 'missing-dependency',
        key: 'upstream:db',
        message: 'host not found in upstream "db"',
      },
    ],
    sandbox: { path: '/tmp/cairn-drill-x', isolated: true, cleaned: true },
    error: 'validator 0 failed',
  },
};

export const drillSignoff: DrillSignoff = {
  drillId: drillRecord.id,
  team: 'operations',
  subject: 'token:alice',
  at: '2026-11-29T11:00:00.000Z',
};

export const gapRecord: GapRecord = {
  ...drillRecord.result!.gaps[0]!,
  id: 7,
  firstDrill: drillRecord.id,
  lastDrill: drillRecord.id,
  openedAt: at,
  closedAt: null,
  closedByDrill: null,
};

export const alertRecord: AlertRecord = {
  id: 'al-0123456789abcdef',
  dedupKey: 'canary-failed',
  kind: 'canary-failed',
  category: 'canary',
  severity: 'critical',
  summary: 'the canary round failed: restore: pack missing',
  details: { phase: 'restore' },
  state: 'open',
  count: 2,
  raisedAt: at,
  lastRaisedAt: '2026-11-29T10:15:00.000Z',
  ackedAt: null,
  ackedBy: null,
  escalatedAt: null,
  resolvedAt: null,
};

export const coverageReport: CoverageReport = {
  at,
  rows: [
    {
      environment: 'prod',
      item: 'payments-api-prod',
      tier: 'critical',
      rpoMs: 14_400_000,
      lastSnapshotId: 'f'.repeat(64),
      lastCaptureAt: '2026-11-29T09:00:00.000Z',
      ageMs: 3_600_000,
      status: 'excepted',
      exception: { reason: 'migration', ticket: 'RISK-9', expires: '2026-12-31', acceptedBy: ['ciso'] },
      consecutiveFailures: 1,
      lastCaptureId: 'd'.repeat(64),
      lastCaptureKind: 'verification',
    },
  ],
  outOfRpo: 0,
  covered: 1,
  total: 1,
  failing: 0,
};

export const canaryRun: CanaryRun = {
  id: 'cr-0123456789abcdef',
  startedAt: at,
  finishedAt: '2026-11-29T10:00:01.500Z',
  ok: true,
  latencyMs: 1500,
  phases: { change: 5, snapshot: 900, restore: 500, verify: 95 },
  snapshotId: 'e'.repeat(64),
  error: null,
};

export const monitoringMetrics: MonitoringMetrics = {
  coverage: [{ item: 'payments-api-prod', environment: 'prod', status: 'ok', ageMs: 3_600_000 }],
  outOfRpo: 0,
  alertsOpen: [{ category: 'canary', count: 1 }],
  drills: [{ plan: 'quarterly-prod', status: 'awaiting-signoff', rtoMs: 240_000 }],
  canary: { ok: true, latencyMs: 1500, finishedAt: canaryRun.finishedAt },
};

/** The drills and monitoring parts of the fake Backend. */
export function fakeMonitoring(calls: string[], results: unknown[]): DrillsBackend & MonitoringBackend {
  const answer = recorder(calls, results);
  return {
    listDrills: answer('listDrills', { drills: [drillRecord] }),
    showDrill: answer('showDrill', { ...drillRecord, signoffs: [drillSignoff] }),
    runDrill: answer('runDrill', drillRecord),
    signOffDrill: answer('signOffDrill', { ...drillRecord, status: 'passed' as const }),
    listGaps: answer('listGaps', { gaps: [gapRecord] }),
    listAlerts: answer('listAlerts', { alerts: [alertRecord] }),
    ackAlert: answer('ackAlert', {
      ...alertRecord,
      state: 'acknowledged' as const,
      ackedAt: '2026-11-29T10:20:00.000Z',
      ackedBy: 'operator-user',
    }),
    resolveAlert: answer('resolveAlert', {
      ...alertRecord,
      state: 'resolved' as const,
      resolvedAt: '2026-11-29T10:30:00.000Z',
    }),
    coverage: answer('coverage', coverageReport),
    canaryRuns: answer('canaryRuns', { runs: [canaryRun] }),
  };
}
