import type {
  BundleEntry,
  DeploymentRecord,
  DeploymentSource,
  DeploymentStatus,
  RequirementResult,
} from '../catalog/index.js';
import { CairnError, isCairnError } from '../errors/index.js';
import type { Environment, Policy } from '../policy/index.js';
import { checkChangeTicket } from './change-tickets/index.js';
import {
  bundleOf,
  CAPTURE_FAILED,
  entry,
  newDeploymentId,
  PENDING,
  refuseWhileCapturing,
  runOf,
  snapshotsOf,
} from './deploy-bundles.js';
import { environmentItems } from './environments.js';
import { noProgress, type ProgressSink } from './progress.js';
import { evaluateRequirements } from './requirements.js';
import { type RollbackResult, rollbackDeployment } from './rollback.js';
import { runMetadata } from './run-metadata.js';
import type { Session } from './session.js';
import { takeSnapshots } from './snapshot.js';

export {
  CAPTURE_ABANDONED_MS,
  CAPTURE_FAILED,
  captureRunning,
  newDeploymentId,
  PENDING,
} from './deploy-bundles.js';

export interface DeploymentView {
  readonly deployment: DeploymentRecord;
  readonly pre: BundleEntry[];
  readonly post: BundleEntry[];
  readonly requirements: RequirementResult[];
}

export interface StartDeploymentInput {
  readonly environment: string;
  readonly release?: string | undefined;
  readonly commit?: string | undefined;
  readonly change?: string | undefined;
  readonly pipeline?: string | undefined;
  readonly id?: string | undefined;
  readonly actor?: string | undefined;
  readonly source?: DeploymentSource | undefined;
  readonly externalId?: string | undefined;
  readonly now?: Date | undefined;
}

export interface DeploymentFilterInput {
  readonly environment?: string | undefined;
  readonly release?: string | undefined;
  readonly status?: DeploymentStatus | undefined;
  readonly limit?: number | undefined;
}

const ID = /^[A-Za-z0-9][\w.:-]{0,127}$/;

/**
 * Starts a deployment of an environment (C3.2): checks the change ticket the policy asks for, takes the
 * pre-deploy bundle (a snapshot, or a verification of the unchanged state, of every item of the
 * environment), checks the `requires` rules on it (C4.5) and records all of it. An item that failed to
 * snapshot or a failed requirement does not stop the record: the view says so and the caller decides.
 */
export async function startDeployment(
  session: Session,
  policy: Policy,
  input: StartDeploymentInput,
  progress: ProgressSink = noProgress,
): Promise<DeploymentView> {
  const now = input.now ?? new Date();
  const items = environmentItems(policy, input.environment);
  const id = input.id ?? newDeploymentId(now);
  if (!ID.test(id)) {
    throw new CairnError(
      'CAIRN_E_USAGE',
      `deployment id ${JSON.stringify(id)} is not valid: letters, digits, and . _ : - (at most 128, starting with a letter or digit)`,
      { field: 'id' },
    );
  }
  const d = session.catalog.deployments;
  const taken =
    (await d.get(id)) ?? (input.externalId && (await d.findExternal(input.source ?? 'cli', input.externalId)));
  if (taken) {
    throw new CairnError('CAIRN_E_EXISTS', `deployment ${taken.id} exists already (${taken.status})`, {
      deployment: taken.id,
      status: taken.status,
    });
  }
  const meta = runMetadata(
    {
      ...(input.release ? { release: input.release } : {}),
      ...(input.commit ? { commit: input.commit } : {}),
      ...(input.change ? { change: input.change } : {}),
      ...(input.actor ? { actor: input.actor } : {}),
      deployment: id,
    },
    { name: '', tier: '' },
    now,
  );
  const ticket = await checkChangeTicket(policy, {
    action: 'deploy',
    tiers: items.map((i) => i.tier),
    environment: input.environment,
    change: meta.change,
    now,
  });
  // The record first (status started, every item `pending`), then the capture: a finish or fail that
  // arrives meanwhile finds the deployment and waits for the capture (captureRunning) instead of a 404.
  const record: DeploymentRecord = {
    id,
    environment: input.environment,
    release: meta.release,
    commit: meta.commit,
    change: meta.change,
    pipeline: input.pipeline ?? meta.pipeline,
    status: 'started',
    source: input.source ?? 'cli',
    externalId: input.externalId ?? null,
    actor: meta.actor,
    startedAt: now.toISOString(),
    finishedAt: null,
    reason: null,
    ticket,
    requirements: [],
  };
  await d.create(record);
  const pending = items.map((i) => entry(id, 'pre', i.name, PENDING, null));
  await d.putBundle(pending);
  let pre: BundleEntry[];
  let requirements: RequirementResult[];
  try {
    const results = await takeSnapshots(
      session,
      policy,
      { environment: input.environment, run: runOf(meta, 'pre-deploy'), now, ...(ticket ? { ticket } : {}) },
      progress,
    );
    pre = bundleOf(id, 'pre', results);
    const taken = new Set(pre.map((e) => e.item));
    for (const p of pending)
      if (!taken.has(p.item)) pre.push(entry(id, 'pre', p.item, 'failed', 'not captured by the pre-deploy run'));
    requirements = await evaluateRequirements(session, policy, items, await snapshotsOf(session, results));
  } catch (err) {
    // A capture that failed half-way leaves a consistent record: failed, with the reason, and every item
    // not captured marked failed with the error (no finish can follow it; a new start can).
    const why = isCairnError(err) ? `${err.code}: ${err.message}` : String(err);
    try {
      await d.putBundle(pending.map((p) => entry(id, 'pre', p.item, 'failed', why)));
      await d.setStatus(
        id,
        'failed',
        { finishedAt: new Date().toISOString(), reason: `${CAPTURE_FAILED} ${why}`.slice(0, 2000) },
        ['started'],
      );
    } catch {
      // The catalog failing too: the capture's own error is the one to report.
    }
    throw err;
  }
  await d.setRequirements(id, requirements);
  await d.putBundle(pre);
  return { deployment: { ...record, requirements }, pre, post: [], requirements };
}

/** Finishes a started deployment: the post-deploy bundle is taken and the deployment succeeded. */
export async function finishDeployment(
  session: Session,
  policy: Policy,
  id: string,
  input: { actor?: string | undefined; now?: Date | undefined } = {},
  progress: ProgressSink = noProgress,
): Promise<DeploymentView> {
  const now = input.now ?? new Date();
  const record = await mustGet(session, id);
  const d = session.catalog.deployments;
  // A succeeded deployment whose post-deploy bundle has failed items (a source that answered 500) may be
  // finished again: only those items are taken again, and the status stays.
  const retake =
    record.status === 'succeeded'
      ? (await d.bundle(record.id, 'post')).filter((e) => e.status === 'failed').map((e) => e.item)
      : [];
  if (record.status !== 'started' && retake.length === 0) throw notStarted(record, 'finished');
  environmentItems(policy, record.environment);
  await refuseWhileCapturing(session, record, 'finished', now);
  const run = {
    trigger: 'post-deploy' as const,
    deployment: record.id,
    ...(record.release ? { release: record.release } : {}),
    ...(record.commit ? { commit: record.commit } : {}),
    ...(record.change ? { change: record.change } : {}),
    ...(input.actor ? { actor: input.actor } : {}),
  };
  // The ticket checked when the deployment started covers its captures, even once its window has closed.
  const covered = record.ticket ? { ticket: record.ticket } : {};
  const only = retake.length > 0 ? { items: retake } : {};
  const results = await takeSnapshots(
    session,
    policy,
    { environment: record.environment, run, now, ...covered, ...only },
    progress,
  );
  await d.putBundle(bundleOf(record.id, 'post', results));
  // Compare-and-set: a failure recorded while the post-deploy bundle was taken wins (CAIRN_E_EXISTS here).
  if (retake.length === 0) await d.setStatus(record.id, 'succeeded', { finishedAt: now.toISOString() }, ['started']);
  return showDeployment(session, record.id);
}

/**
 * Marks a deployment failed (from started, or after it succeeded when later checks failed). It does not
 * roll back: `autoRollback` says whether the environment wants it, and the caller runs rollbackDeployment.
 */
export async function failDeployment(
  session: Session,
  policy: Policy,
  id: string,
  input: { reason?: string | undefined; actor?: string | undefined; now?: Date | undefined } = {},
): Promise<DeploymentView & { autoRollback: boolean }> {
  const now = input.now ?? new Date();
  const record = await mustGet(session, id);
  if (record.status !== 'started' && record.status !== 'succeeded') throw notStarted(record, 'failed');
  await refuseWhileCapturing(session, record, 'failed', now);
  await session.catalog.deployments.setStatus(
    record.id,
    'failed',
    { finishedAt: now.toISOString(), reason: input.reason ?? null },
    ['started', 'succeeded'],
  );
  const env: Environment | undefined = policy.environments[record.environment];
  return { ...(await showDeployment(session, record.id)), autoRollback: env?.autoRollback ?? false };
}

/** A failed deployment, and the rollback run when the environment wants one (`deploy fail`, the API). */
export interface FailedDeploymentView extends DeploymentView {
  readonly autoRollback: boolean;
  readonly rollback?: RollbackResult;
  /** The automatic rollback could not run (a change ticket refused, the repository locked…): the failure is recorded. */
  readonly rollbackError?: { readonly code: string; readonly message: string };
}

/**
 * failDeployment, then, where the environment has autoRollback, rollbackDeployment of its pre-deploy
 * bundle. A rollback that throws leaves the deployment failed and is reported in `rollbackError`.
 */
export async function failAndRollBack(
  session: Session,
  policy: Policy,
  id: string,
  input: { reason?: string | undefined; actor?: string | undefined; now?: Date | undefined } = {},
  onRollback: () => void = () => {},
): Promise<FailedDeploymentView> {
  const failed = await failDeployment(session, policy, id, input);
  if (!failed.autoRollback) return failed;
  onRollback();
  try {
    const rollback = await rollbackDeployment(session, policy, {
      deployment: failed.deployment.id,
      ...(input.actor ? { actor: input.actor } : {}),
      ...(input.now ? { now: input.now } : {}),
    });
    return { ...(await showDeployment(session, failed.deployment.id)), autoRollback: true, rollback };
  } catch (err) {
    if (!isCairnError(err)) throw err;
    return { ...failed, rollbackError: { code: err.code, message: err.message } };
  }
}

export function listDeployments(session: Session, filter: DeploymentFilterInput = {}): Promise<DeploymentRecord[]> {
  return session.catalog.deployments.list({
    ...(filter.environment !== undefined ? { environment: filter.environment } : {}),
    ...(filter.release !== undefined ? { release: filter.release } : {}),
    ...(filter.status !== undefined ? { status: filter.status } : {}),
    limit: filter.limit ?? 100,
  });
}

export async function showDeployment(session: Session, id: string): Promise<DeploymentView> {
  const deployment = await mustGet(session, id);
  const bundle = await session.catalog.deployments.bundle(deployment.id);
  return {
    deployment,
    pre: bundle.filter((e) => e.phase === 'pre'),
    post: bundle.filter((e) => e.phase === 'post'),
    requirements: [...deployment.requirements],
  };
}

async function mustGet(session: Session, id: string): Promise<DeploymentRecord> {
  const record = await session.catalog.deployments.get(id);
  if (!record)
    throw new CairnError('CAIRN_E_NOT_FOUND', `no deployment ${id} (see \`cairn deploy list\`)`, { deployment: id });
  return record;
}

function notStarted(record: DeploymentRecord, verb: string): CairnError {
  return new CairnError(
    'CAIRN_E_EXISTS',
    `deployment ${record.id} is ${record.status}${record.finishedAt ? ` since ${record.finishedAt}` : ''}; only a started deployment can be ${verb}` +
      (record.status === 'rolling-back' || record.status === 'rollback-failed'
        ? `; its rollback did not complete: run \`cairn rollback --deployment ${record.id}\` to resume it`
        : ''),
    { deployment: record.id, status: record.status },
  );
}
