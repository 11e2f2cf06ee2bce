import type { DeploymentRecord } from '../../catalog/index.js';
import { CairnError } from '../../errors/index.js';
import type { Policy } from '../../policy/index.js';
import {
  failDeployment,
  finishDeployment,
  rollbackDeployment,
  type Session,
  startDeployment,
} from '../../services/index.js';
import type { HookApplied, HookCredential, HooksBackend } from '../backend-hooks.js';
import type { HookProvider } from '../webhooks/verify.js';
import type { WireContext } from './wire-context.js';

const DEFAULT_REPLAY_WINDOW_MS = 5 * 60_000;

/**
 * The webhooks' backend: secrets from the environment variables the policy names, deliveries in the
 * catalog, and the deployment services run as a CLI command would (a repository opened for the
 * request). A failure in an environment with autoRollback starts the rollback here, as `deploy fail` does.
 */
export function hooksOps(ctx: WireContext, env: NodeJS.ProcessEnv = process.env): HooksBackend {
  const { catalog } = ctx;
  return {
    async webhookCredential(provider) {
      return credentialOf((await ctx.policy()).webhooks, provider, env);
    },
    async claimWebhookDelivery(claim) {
      if (await catalog.webhooks.claim(claim)) return null;
      return (await catalog.webhooks.get(claim.provider, claim.deliveryId)) ?? null;
    },
    recordWebhookOutcome: (provider, deliveryId, outcome) => catalog.webhooks.complete(provider, deliveryId, outcome),
    async applyWebhook(provider, cmd) {
      const policy = await ctx.policy();
      const actor = `webhook:${provider}`;
      const session = (run: (s: Session) => Promise<HookApplied>) =>
        ctx.withRepository((repo) => run({ repo, catalog, close: async () => {} }));
      if (cmd.kind === 'start') {
        const environment = cairnEnvironment(policy, cmd.environment);
        const known = cmd.externalId ? await catalog.deployments.findExternal(provider, cmd.externalId) : undefined;
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
        return session(async (s) =>
          applied('finish', (await finishDeployment(s, policy, dep.id, { actor })).deployment, false),
        );
      }
      if (dep.status !== 'started') return applied('fail', dep, true);
      return session(async (s) => {
        const failed = await failDeployment(s, policy, dep.id, {
          ...(cmd.reason !== null ? { reason: cmd.reason } : {}),
          actor,
        });
        if (!failed.autoRollback) return applied('fail', failed.deployment, false);
        try {
          const r = await rollbackDeployment(s, policy, { deployment: dep.id, actor });
          const after = (await catalog.deployments.get(dep.id)) ?? failed.deployment;
          return { ...applied('fail', after, false), rollback: { id: r.rollback, status: r.status } };
        } catch (err) {
          ctx.report(`automatic rollback of deployment ${dep.id}`, err);
          const message = err instanceof Error ? err.message : String(err);
          const after = (await catalog.deployments.get(dep.id)) ?? failed.deployment;
          return { ...applied('fail', after, false), rollback: { id: null, status: 'failed', error: message } };
        }
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
