import { arr, bool, type JsonSchema, nullable, obj, openObject, str } from './common.js';

/**
 * Deployments (`cairn deploy … --json`): the record, its pre/post-deploy bundles, the change ticket
 * checked and the `requires` rules evaluated. Closed objects: what is not listed is not sent.
 */
const s = { type: 'string' };
const ns = { type: ['string', 'null'] };

/** A deployment id: given by the pipeline or `D-<yyyymmdd>-<random>`. */
export const deploymentId = str(128, { pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]*$' });

export const ticketStateSchema: JsonSchema = obj({
  id: s,
  provider: s,
  state: ns,
  approval: ns,
  start: ns,
  end: ns,
  approved: bool,
  inWindow: bool,
  checkedAt: s,
});

export const requirementResultSchema: JsonSchema = obj({
  item: s,
  requires: s,
  range: ns,
  when: ns,
  version: ns,
  requiredVersion: ns,
  ok: bool,
  reason: s,
});

const requirements = arr(requirementResultSchema, 10_000);

export const deploymentRecordSchema: JsonSchema = obj({
  id: s,
  environment: s,
  release: ns,
  commit: ns,
  change: ns,
  pipeline: ns,
  status: s,
  source: s,
  externalId: ns,
  actor: s,
  startedAt: s,
  finishedAt: ns,
  reason: ns,
  ticket: nullable(ticketStateSchema),
  requirements,
});

const bundle = arr(
  obj({ deployment: s, phase: s, item: s, snapshotId: ns, verificationId: ns, status: s, error: ns }),
  100_000,
);

const viewProperties = { deployment: deploymentRecordSchema, pre: bundle, post: bundle, requirements };

export const deploymentViewSchema: JsonSchema = obj(viewProperties);

/** `deploy fail`: the rollback result is R's RollbackResult, passed through whole. */
export const failedDeploymentSchema: JsonSchema = obj({
  ...viewProperties,
  autoRollback: bool,
  rollback: openObject,
  rollbackError: obj({ code: s, message: s }),
});

export const deploymentListSchema: JsonSchema = obj({ deployments: arr(deploymentRecordSchema, 10_000) });

const optional = (n = 256) => str(n, { minLength: 1 });

export const startDeploymentBody: JsonSchema = obj(
  {
    environment: optional(128),
    release: optional(128),
    commit: optional(128),
    change: str(128, { pattern: '^[\\w.:/#-]{1,128}$' }),
    pipeline: optional(2048),
    id: deploymentId,
  },
  ['environment'],
);

export const failDeploymentBody: JsonSchema = obj({ reason: str(2000) });

export const deploymentQuery: JsonSchema = obj({
  environment: optional(128),
  release: optional(128),
  status: {
    type: 'string',
    enum: ['started', 'succeeded', 'failed', 'rolling-back', 'rolled-back', 'rollback-failed'],
  },
  limit: { type: 'integer', minimum: 1, maximum: 10_000 },
});
