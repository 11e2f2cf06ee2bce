import type { DriftCheckRecord } from '../catalog/index.js';
import type { DriftReport, GateReport } from '../services/index.js';
import type { GateBackend } from './backend-gate.js';
import { recorder } from './test-answer.js';

/** Sample answers of the release gate and drift, every field filled (tests only). */
export const gateReport: GateReport = {
  environment: 'prod',
  release: '2.4.1',
  checkedAt: '2026-11-29T10:00:00.000Z',
  passed: false,
  items: [
    {
      item: 'payments-api-prod',
      snapshot: 'f'.repeat(64),
      verification: 'e'.repeat(64),
      checks: [
        { name: 'captured', ok: true, reason: 'verified unchanged against snapshot ffffffffffff' },
        { name: 'intact', ok: true, reason: 'tree and every blob present' },
        { name: 'current', ok: false, reason: 'live state differs from snapshot ffffffffffff in 1 file (deploy.yaml)' },
      ],
    },
  ],
  requirements: [
    {
      item: 'payments-api-prod',
      requires: 'payments-db',
      range: '>=14',
      when: '2.x',
      version: '2.4.1',
      requiredVersion: '13.2',
      ok: false,
      reason: 'payments-db is 13.2, not >=14',
    },
  ],
  failed: [
    'payments-api-prod: live state differs from snapshot ffffffffffff in 1 file (deploy.yaml)',
    'payments-api-prod: requires payments-db >=14: payments-db is 13.2, not >=14',
  ],
};

export const driftReport: DriftReport = {
  environment: 'prod',
  checkedAt: '2026-11-29T10:00:00.000Z',
  drifted: true,
  items: [
    {
      item: 'payments-api-prod',
      snapshot: 'f'.repeat(64),
      drifted: true,
      changes: [{ path: 'deploy.yaml', kind: 'modified', detail: ['~ spec.replicas'] }],
      ignored: 1,
      readFiles: 2,
    },
    {
      item: 'flags',
      snapshot: null,
      drifted: true,
      changes: [],
      ignored: 0,
      readFiles: 0,
      error: { code: 'CAIRN_E_NOT_FOUND', message: 'item flags was never captured: no complete snapshot' },
    },
  ],
};

const check: DriftCheckRecord = {
  id: '0b6a1c1e-6f0e-4f7e-9d55-3c1b0a3e2f10',
  environment: 'prod',
  item: 'payments-api-prod',
  checkedAt: '2026-11-29T10:00:00.000Z',
  snapshotId: 'f'.repeat(64),
  drifted: true,
  ignored: 1,
  changes: [{ path: 'deploy.yaml', kind: 'modified', detail: ['~ spec.replicas'] }],
  error: null,
};

/** The gate and drift part of the fake Backend. */
export function fakeGate(calls: string[], results: unknown[]): GateBackend {
  const answer = recorder(calls, results);
  return {
    gate: answer('gate', gateReport),
    runDrift: answer('runDrift', driftReport),
    latestDrift: answer('latestDrift', { environment: 'prod', items: [check] }),
  };
}
