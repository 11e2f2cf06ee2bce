import type { WebhookDelivery } from '../catalog/index.js';
import { CairnError } from '../errors/index.js';
import type { HookApplied, HookCredential, HooksBackend } from './backend-hooks.js';
import type { HookProvider } from './webhooks/verify.js';

/** The fake backend's webhook secrets, and the environments it knows (`production` maps to `prod`). */
export const HOOK_SECRETS: Readonly<Record<HookProvider, string>> = {
  github: 'gh-hook-secret',
  gitlab: 'gl-hook-token',
  generic: 'generic-hook-secret',
};
export const HOOK_REPLAY_WINDOW_MS = 300_000;
const ENVIRONMENTS = new Set(['prod', 'staging']);
const ENVIRONMENT_MAP: Readonly<Record<string, string>> = { production: 'prod' };

export type FakeHooks = HooksBackend & {
  /** Per provider: what webhookCredential answers (default: configured with HOOK_SECRETS). */
  credentials: Partial<Record<HookProvider, HookCredential>>;
  deliveries: Map<string, WebhookDelivery>;
  /** Deployments by `<provider>:<external id>`, with their status. */
  deployments: Map<string, { id: string; environment: string; status: string }>;
  autoRollback: boolean;
};

/** Webhook deliveries and deployments in memory; `calls` and `results` as the fake Backend's. */
export function fakeHooks(calls: string[], results: unknown[]): FakeHooks {
  const deliveries = new Map<string, WebhookDelivery>();
  const deployments = new Map<string, { id: string; environment: string; status: string }>();
  const hooks: FakeHooks = {
    credentials: {},
    deliveries,
    deployments,
    autoRollback: false,
    async webhookCredential(provider) {
      return (
        hooks.credentials[provider] ?? {
          kind: 'ready',
          secret: HOOK_SECRETS[provider],
          replayWindowMs: HOOK_REPLAY_WINDOW_MS,
        }
      );
    },
    async claimWebhookDelivery(c) {
      const key = `${c.provider}:${c.deliveryId}`;
      const earlier = deliveries.get(key);
      if (earlier) return earlier;
      deliveries.set(key, {
        ...c,
        environment: null,
        deployment: null,
        result: 'processing',
        statusCode: null,
        detail: null,
        finishedAt: null,
      });
      return null;
    },
    async recordWebhookOutcome(provider, deliveryId, o) {
      const key = `${provider}:${deliveryId}`;
      const d = deliveries.get(key);
      if (!d) return;
      deliveries.set(key, {
        ...d,
        result: o.result,
        statusCode: o.statusCode,
        environment: o.environment ?? d.environment,
        deployment: o.deployment ?? d.deployment,
        detail: o.detail ?? null,
        finishedAt: o.finishedAt ?? new Date().toISOString(),
      });
    },
    async applyWebhook(provider, cmd) {
      calls.push('applyWebhook');
      if (cmd.environment !== null) {
        const env = ENVIRONMENT_MAP[cmd.environment] ?? cmd.environment;
        if (!ENVIRONMENTS.has(env))
          throw new CairnError(
            'CAIRN_E_USAGE',
            `environment ${env} is not in the policy; environments: prod, staging`,
            {
              reason: 'unknown-environment',
              environment: cmd.environment,
            },
          );
      }
      const key = `${provider}:${cmd.externalId ?? `n${deployments.size}`}`;
      let d = deployments.get(key);
      if (cmd.kind === 'start') {
        d ??= { id: `D-20261129-${String(deployments.size).padStart(6, 'A')}`, environment: '', status: 'started' };
        d.environment = ENVIRONMENT_MAP[cmd.environment] ?? cmd.environment;
        deployments.set(key, d);
      } else if (!d) {
        throw new CairnError('CAIRN_E_NOT_FOUND', `no ${provider} deployment ${cmd.externalId} is recorded`);
      } else {
        d.status = cmd.kind === 'finish' ? 'succeeded' : hooks.autoRollback ? 'rolled-back' : 'failed';
      }
      const out: HookApplied = {
        action: cmd.kind,
        environment: d.environment,
        deployment: d.id,
        status: d.status,
        already: false,
        rollback: cmd.kind === 'fail' && hooks.autoRollback ? { id: 'R-1', status: 'completed' } : null,
      };
      results.push(out);
      return out;
    },
  };
  return hooks;
}
