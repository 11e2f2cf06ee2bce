import type { DeploymentRecord } from '../catalog/index.js';
import type { DeploymentView, FailedDeploymentView } from '../services/index.js';
import type { ReleaseBackend } from './backend-release.js';
import { recorder } from './test-answer.js';
import { rollbackResult } from './test-fixtures-rollback.js';

/**
 * Sample answers of the deployment routes, every field filled with a value of its own (nulls only
 * where a field may be null), so that a response schema that drops a field fails the route tests.
 */
export const deploymentRecord: DeploymentRecord = {
  id: 'D-20261129-K7Q2XM',
  environment: 'prod',
  release: '2.4.1',
  commit: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
  change: 'CHG-1042',
  pipeline: 'https://ci.example.com/runs/77',
  status: 'started',
  source: 'api',
  externalId: '1234567',
  actor: 'token:ci',
  startedAt: '2026-11-29T10:00:00.000Z',
  finishedAt: '2026-11-29T10:05:00.000Z',
  reason: 'smoke tests failed',
  ticket: {
    id: 'CHG-1042',
    provider: 'http https://acme.service-now.com/api/now/table/change_request',
    state: 'implement',
    approval: 'approved',
    start: '2026-11-29T09:00:00.000Z',
    end: '2026-11-29T12:00:00.000Z',
    approved: true,
    inWindow: true,
    checkedAt: '2026-11-29T10:00:00.000Z',
  },
  requirements: [
    {
      item: 'payments-api-prod',
      requires: 'payments-db-prod',
      range: '>=14',
      when: '2.x',
      version: '2.4.1',
      requiredVersion: '13',
      ok: false,
      reason: 'payments-api-prod 2.4.1 requires payments-db-prod >=14, but payments-db-prod is 13 (server_version)',
    },
  ],
};

const entry = {
  deployment: deploymentRecord.id,
  phase: 'pre' as const,
  item: 'payments-api-prod',
  snapshotId: 'f'.repeat(64),
  verificationId: 'e'.repeat(64),
  status: 'unchanged',
  error: 'CAIRN_E_SOURCE: not really',
};

export const deploymentView: DeploymentView = {
  deployment: deploymentRecord,
  pre: [entry],
  post: [{ ...entry, phase: 'post', status: 'created' }],
  requirements: [...deploymentRecord.requirements],
};

export const failedDeployment: FailedDeploymentView = {
  ...deploymentView,
  deployment: { ...deploymentRecord, status: 'failed' },
  autoRollback: true,
  rollback: rollbackResult,
  rollbackError: { code: 'CAIRN_E_REPO_LOCKED', message: 'not really' },
};

/** The deployments part of the fake Backend. */
export function fakeRelease(calls: string[], results: unknown[]): ReleaseBackend {
  const answer = recorder(calls, results);
  return {
    startDeployment: answer('startDeployment', deploymentView),
    finishDeployment: answer('finishDeployment', deploymentView),
    failDeployment: answer('failDeployment', failedDeployment),
    listDeployments: answer('listDeployments', { deployments: [deploymentRecord] }),
    showDeployment: answer('showDeployment', deploymentView),
  };
}
