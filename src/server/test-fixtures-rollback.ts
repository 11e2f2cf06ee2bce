import type { RollbackResult, Runbooks } from '../services/index.js';
import type { RollbackBackend } from './backend-rollback.js';
import { recorder } from './test-answer.js';

/** Sample answers of rollback and runbooks, every field filled (tests only). */
export const rollbackResult: RollbackResult = {
  rollback: 'R-20261129-abcdef',
  deployment: 'D-20261129-k3x9qa',
  environment: 'prod',
  dryRun: false,
  status: 'completed',
  resumed: true,
  ticket: {
    id: 'CHG-1042',
    provider: 'file',
    state: 'implement',
    approval: 'approved',
    start: '2026-11-29T09:00:00.000Z',
    end: '2026-11-29T12:00:00.000Z',
    approved: true,
    inWindow: true,
    checkedAt: '2026-11-29T10:00:00.000Z',
  },
  ticketError: { code: 'CAIRN_E_CHANGE_TICKET', message: 'ticket CHG-1042 is not approved' },
  items: [
    {
      item: 'payments-api-prod',
      snapshot: 'f'.repeat(64),
      from: 'before-start',
      snapshotTime: '2026-11-29T08:00:00.000Z',
      target: 'command `kubectl apply -f -`',
      diff: {
        item: 'payments-api-prod',
        snapshot: 'f'.repeat(64),
        drifted: true,
        changes: [{ path: 'deploy.yaml', kind: 'modified', detail: ['spec.replicas'] }],
        ignored: 1,
        readFiles: 1,
        error: { code: 'CAIRN_E_SOURCE', message: 'not read' },
      },
      state: 'failed',
      verify: 'live',
      error: { code: 'CAIRN_E_TARGET', message: 'command `kubectl apply -f -` exited 1' },
    },
  ],
  baseline: { snapshots: ['e'.repeat(64)], error: { code: 'CAIRN_E_SOURCE', message: 'not taken' } },
};

export const runbooks: Runbooks = {
  environment: 'prod',
  files: [
    { name: 'payments-api-prod.md', content: '# Runbook: payments-api-prod\n' },
    { name: 'README.md', content: '# Runbooks: prod\n' },
  ],
};

/** Rollback and runbooks answering with the samples; `calls` and `results` as the fake Backend's. */
export function fakeRollback(calls: string[], results: unknown[]): RollbackBackend {
  const answer = recorder(calls, results);
  return {
    rollbackDeployment: answer('rollbackDeployment', rollbackResult),
    runbooks: answer('runbooks', runbooks),
  };
}
