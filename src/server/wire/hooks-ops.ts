import { type DeploymentRecord, HEARTBEAT_MS } from '../../catalog/index.js';
import { CairnError, isCairnError } from '../../errors/index.js';
import type { Policy } from '../../policy/index.js';
import {
  CAPTURE_FAILED,
  failAndRollBack,
  finishDeployment,
  type Session,
  startDeployment,
} from '../../services/index.js';
import type { HookApplied, HookCredential, HooksBackend } from '../backend-hooks.js';
import type { HookProvider } from '../webhooks/verify.js';
import type { WireContext } from './wire-context.js';

const DEFAULT_REPLAY_WINDOW_MS = 5 * 60_000;

export interface HooksOpsOptions {
  /** How long a finish/fail waits for the deployment's pre-deploy capture before a retryable 409. */
  readonly captureWaitMs?: number;
  readonly capturePollMs?: number;
  /** How often the heartbeat of a delivery being processed is renewed. */
  readonly heartbeatMs?: number;
}

/**
 * The webhooks' backend: secrets from the environment variables the policy names, deliveries in the
 * catalog, and the deployment services run as a CLI command would (a repository opened for the
 * request). A failure in an environment with autoRollback starts the rollback here, as `deploy fail`
 * does (failAndRollBack). While a claimed delivery is processed its heartbeat is renewed, so a slow
 * server is not taken over by a redelivery.
 */
export function hooksOps(
  ctx: WireContext,
  env: NodeJS.ProcessEnv = process.env,
  options: HooksOpsOptions = {},
): HooksBackend {
  const { catalog } = ctx;
  const captureWaitMs = options.captureWaitMs ?? 30_000;
  const capturePollMs = options.capturePollMs ?? 500;
  const heartbeats = new Map<string, NodeJS.Timeout>();
  const stopHeartbeat = (key: string) => {
    clearInterval(heartbeats.get(key));
    heartbeats.delete(key);
  };
  /** Runs a finish/fail, again while the deployment's pre-deploy capture runs, up to captureWaitMs. */
  async function afterCapture<T>(run: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + captureWaitMs;
    for (;;) {
      try {
        return await run();
      } catch (err) {
        const capturing = isCairnError(err, 'CAIRN_E_EXISTS') && err.details?.capture === 'running';
        if (!capturing || Date.now() + capturePollMs > deadline) throw err;
        await new Promise((r) => setTimeout(r, capturePollMs));
      }
    }
  }
  return {
    async webhookCredential(provider) {
      return credentialOf((await ctx.policy()).webhooks, provider, env);
    },
    async claimWebhookDelivery(claim) {
      if (await catalog.webhooks.claim(claim)) {
        const key = `${claim.provider}\0${claim.deliveryId}`;
        stopHeartbeat(key);
        const timer = setInterval(() => {
          catalog.webhooks.heartbeat(claim.provider, claim.deliveryId).then(
            (still) => still || stopHeartbeat(key),
            (err) => ctx.report(`heartbeat of ${claim.provider} delivery ${claim.deliveryId}`, err),
          );
        }, options.heartbeatMs ?? HEARTBEAT_MS);
        timer.unref();
        heartbeats.set(key, timer);
        return null;
      }
      return (await catalog.webhooks.get(claim.provider, claim.deliveryId)) ?? null;
    },
    async recordWebhookOutcome(provider, deliveryId, outcome) {
      try {
        await catalog.webhooks.complete(provider, deliveryId, outcome);
      } finally {
        stopHeartbeat(`${provider}\0${deliveryId}`);
      }
    },
    async applyWebhook(provider, cmd) {
      const policy = await ctx.policy();
      const actor = `webhook:${provider}`;
      const session = (run: (s: Session) => Promise<HookApplied>) =>
        ctx.withRepository((repo) => run({ repo, catalog, close: async () => {} }));
      if (cmd.kind === 'start') {
        const environment = cairnEnvironment(policy, cmd.environment);
        const known = cmd.externalId ? await catalog.deployments.findExternal(provider, cmd.externalId) : undefined;
        if (known?.status === 'failed' && known.reason?.startsWith(CAPTURE_FAILED))
          // Its start stopped half-way: a redelivery does not pass for a started deployment.
          throw new CairnError(
            'CAIRN_E_EXISTS',
            `${provider} deployment ${cmd.externalId} was recorded as ${known.id}, which failed: ${known.reason}; start a new deployment`,
            { deployment: known.id, status: known.status },
          );
        if (known) return applied('start', known, true);
        return session(async (s) => {
          const view = await startDeployment(s, policy, {
            environment,
            ...(cmd.release !== null ? { release: cmd.release } : {}),
            ...(cmd.commit !== null ? { commit: cmd.commit } : {}),
            ...(cmd.change !== null ? { change: cmd.change } : {}),
            ...(cmd.pipeline !== null ? { pipeline: cmd.pipeline } : {}),
            ...(cmd.externalId !== null ? { externalId: cmd.externalId } : {}),
            actor,
            source: provider,
          });
          return applied('start', view.deployment, false);
        });
      }
      if (cmd.environment !== null) cairnEnvironment(policy, cmd.environment);
      const dep = await catalog.deployments.findExternal(provider, cmd.externalId);
      if (!dep)
        throw new CairnError(
          'CAIRN_E_NOT_FOUND',
          `no ${provider} deployment ${cmd.externalId} is recorded: it was never started (a ${cmd.kind} without a start)`,
          { provider, externalId: cmd.externalId },
        );
      if (cmd.kind === 'finish') {
        if (dep.status === 'succeeded') return applied('finish', dep, true);
        // A finish that loses the race to a failure throws CAIRN_E_EXISTS with the current status.
        return session(async (s) =>
          applied(
            'finish',
            (await afterCapture(() => finishDeployment(s, policy, dep.id, { actor }))).deployment,
            false,
          ),
        );
      }
      // A failure after success is recorded too (a post-deploy check failed); anything else is final.
      if (dep.status !== 'started' && dep.status !== 'succeeded') return applied('fail', dep, true);
      return session(async (s) => {
        const failed = await afterCapture(() =>
          failAndRollBack(s, policy, dep.id, { ...(cmd.reason !== null ? { reason: cmd.reason } : {}), actor }),
        );
        const done = applied('fail', failed.deployment, false);
        if (failed.rollback)
          return { ...done, rollback: { id: failed.rollback.rollback, status: failed.rollback.status } };
        if (failed.rollbackError) {
          ctx.report(`automatic rollback of deployment ${dep.id}`, failed.rollbackError);
          const error = `${failed.rollbackError.code}: ${failed.rollbackError.message}`;
          return { ...done, rollback: { id: null, status: 'failed', error } };
        }
        return done;
      });
    },
  };
}

export function credentialOf(
  settings: Policy['webhooks'],
  provider: HookProvider,
  env: NodeJS.ProcessEnv,
): HookCredential {
  const conf =
    provider === 'github'
      ? settings.github && { name: settings.github.secretEnv, windowMs: DEFAULT_REPLAY_WINDOW_MS }
      : provider === 'gitlab'
        ? settings.gitlab && { name: settings.gitlab.tokenEnv, windowMs: DEFAULT_REPLAY_WINDOW_MS }
        : settings.generic && { name: settings.generic.secretEnv, windowMs: settings.generic.replayWindowMs };
  if (!conf) return { kind: 'not-configured' };
  const secret = env[conf.name];
  if (!secret) return { kind: 'missing-env', env: conf.name };
  return { kind: 'ready', secret, replayWindowMs: conf.windowMs || DEFAULT_REPLAY_WINDOW_MS };
}

/** The provider's environment name mapped through webhooks.environmentMap; unknown → CAIRN_E_USAGE. */
export function cairnEnvironment(policy: Policy, given: string): string {
  const name = policy.webhooks.environmentMap[given] ?? given;
  if (Object.hasOwn(policy.environments, name)) return name;
  const known = Object.keys(policy.environments).sort().join(', ') || 'none';
  const via = name === given ? '' : ` (mapped from ${given} by webhooks.environmentMap)`;
  throw new CairnError(
    'CAIRN_E_USAGE',
    `environment ${name}${via} is not in the policy (${policy.file}); environments: ${known}. Map the provider's name with webhooks.environmentMap`,
    { reason: 'unknown-environment', environment: given },
  );
}

function applied(action: HookApplied['action'], d: DeploymentRecord, already: boolean): HookApplied {
  return { action, environment: d.environment, deployment: d.id, status: d.status, already, rollback: null };
}
