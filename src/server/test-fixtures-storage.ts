import type {
  HoldRecord,
  HoldResult,
  ItemStats,
  ReplicateResult,
  ReplicationStatus,
  StatsReport,
} from '../services/index.js';
import type { ReplicationMetrics } from './backend-storage.js';
import { SNAP_ID } from './test-fixtures.js';

/**
 * Sample answers of sizing, replication and legal holds, every field filled with a value of its own
 * (fractions where figures may be fractional), so that a response schema that drops or rounds a
 * field fails the tests that compare the route's answer with the backend's.
 */

const item: ItemStats = {
  item: 'payments-api-prod',
  tier: 'critical',
  inPolicy: true,
  snapshots: 14,
  oldest: '2026-10-01T08:00:00.000Z',
  newest: '2026-11-29T08:00:00.000Z',
  logical: { latest: 34_567, retained: 483_938 },
  stored: { unique: 12_001, shared: 2_048 },
  churn: { days: 30, addedBytes: 9_000, snapshots: 12, bytesPerDay: 300.5, snapshotsPerDay: 0.4 },
  projection: {
    lockDays: 90,
    keepDays: null,
    horizonDays: null,
    historyDays: 59.25,
    growthBytes: 109_682.5,
    storedBytes: 123_731.5,
  },
};

const group = {
  snapshots: 14,
  logical: { latest: 34_567, retained: 483_938 },
  stored: { unique: 12_001, shared: 2_048 },
  churn: { addedBytes: 9_000, snapshots: 12, bytesPerDay: 300.5, snapshotsPerDay: 0.4 },
  projection: { growthBytes: 109_682.5, storedBytes: 123_731.5 },
};

export const statsReport: StatsReport = {
  time: '2026-11-29T09:00:00.000Z',
  window: { period: '30d', days: 30, since: '2026-10-30T09:00:00.000Z' },
  projection: { period: '12m', days: 365, model: 'storedBytes = …' },
  items: [item, { ...item, item: 'legacy', tier: null, inPolicy: false, oldest: null, newest: null }],
  tiers: [{ tier: 'critical', items: ['payments-api-prod'], ...group }],
  total: { items: 2, ...group },
  repository: {
    packs: 3,
    packBytes: 20_000,
    uniqueToItems: 12_001,
    sharedBetweenItems: 2_048,
    unreferenced: 5_000,
    unindexed: 951,
    missingPacks: 1,
    missingBlobs: 2,
  },
  days: [{ day: '2026-11-28', snapshots: 1, addedBytes: 700 }],
};

export const replicationStatus: ReplicationStatus = {
  from: '/srv/backups/cairn',
  to: 's3://replica-eu/cairn',
  items: [
    {
      item: 'payments-api-prod',
      tier: 'critical',
      replicate: true,
      snapshots: 14,
      replicated: 12,
      behind: 2,
      newest: '2026-11-29T08:00:00.000Z',
      newestReplicated: '2026-11-28T08:00:00.000Z',
      oldestMissing: '2026-11-28T20:00:00.000Z',
      lagMs: 46_800_000,
    },
    {
      item: 'legacy',
      tier: null,
      replicate: false,
      snapshots: 0,
      replicated: 0,
      behind: 0,
      newest: null,
      newestReplicated: null,
      oldestMissing: null,
      lagMs: 0,
    },
  ],
  behind: 2,
  late: ['payments-api-prod'],
};

export const replicateResult: ReplicateResult = {
  ok: false,
  from: '/srv/backups/cairn',
  to: 's3://replica-eu/cairn',
  repository: 'f'.repeat(64),
  objects: 40,
  alreadyThere: 30,
  copied: 9,
  copiedBytes: 123_456,
  copiedByKind: { keys: 1, config: 1, packs: 4, index: 1, snapshots: 1, verifications: 1, other: 0 },
  locksRaised: 2,
  verified: { objects: 9, bytes: 123_456, readMs: 12.5, writeMs: 30.25, verifyMs: 8.125 },
  heldBack: [{ key: `snapshots/${SNAP_ID}`, code: 'CAIRN_E_INTEGRITY', message: 'a pack it needs failed' }],
  failed: [{ key: `packs/${'b'.repeat(64)}`, code: 'CAIRN_E_INTEGRITY', message: 'read back differs' }],
  durationMs: 1_234.5,
};

export const replicationMetrics: ReplicationMetrics = {
  to: 's3://replica-eu/cairn',
  computedAt: '2026-11-29T08:30:00.000Z',
  items: [
    { item: 'payments-api-prod', behind: 2, oldestMissing: '2026-11-28T20:00:00.000Z' },
    { item: 'legacy', behind: 0, oldestMissing: null },
  ],
};

export const holdRecord: HoldRecord = {
  version: 1,
  snapshot: SNAP_ID,
  item: 'payments-api-prod',
  reason: 'LEGAL-7: litigation hold',
  time: '2026-11-29T08:30:00.000Z',
  actor: 'token:operator',
};

export const holdResult: HoldResult = { hold: holdRecord, objects: 6, alreadyHeld: false };
