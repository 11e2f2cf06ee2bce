import type { WebhookDelivery, WebhookOutcome } from '../catalog/index.js';
import type { HookCommand } from './webhooks/events.js';
import type { HookProvider } from './webhooks/verify.js';

/**
 * What the inbound webhooks (POST /api/v1/hooks/:provider) need from the backend. The server
 * verifies the signature and decides the answer; the backend holds the secrets (from the environment
 * variables the policy names), the deliveries record and the deployment services.
 */

/** A provider's secret as the policy configures it. */
export type HookCredential =
  | { readonly kind: 'not-configured' }
  /** Configured, but the environment variable holding the secret is unset or empty. */
  | { readonly kind: 'missing-env'; readonly env: string }
  | { readonly kind: 'ready'; readonly secret: string; readonly replayWindowMs: number };

/** What a delivery did to a deployment. */
export interface HookApplied {
  readonly action: 'start' | 'finish' | 'fail';
  /** The Cairn environment (after webhooks.environmentMap). */
  readonly environment: string;
  readonly deployment: string;
  /** The deployment's status afterwards (DeploymentStatus). */
  readonly status: string;
  /** True when the delivery found the deployment already in the state asked for (nothing done). */
  readonly already: boolean;
  /** The automatic rollback a failure started (environment autoRollback), if any. */
  readonly rollback: { readonly id: string | null; readonly status: string; readonly error?: string } | null;
}

export interface HooksBackend {
  webhookCredential(provider: HookProvider): Promise<HookCredential>;
  /** Records the delivery as being processed: null when this call claimed it, else the earlier record. */
  claimWebhookDelivery(claim: {
    provider: HookProvider;
    deliveryId: string;
    event: string;
    receivedAt: string;
  }): Promise<WebhookDelivery | null>;
  recordWebhookOutcome(provider: HookProvider, deliveryId: string, outcome: WebhookOutcome): Promise<void>;
  /**
   * Starts, finishes or fails the deployment. Throws CAIRN_E_USAGE with details.reason
   * `unknown-environment` for an environment the policy lacks, CAIRN_E_NOT_FOUND for a finish or
   * fail of a deployment never started.
   */
  applyWebhook(
    provider: HookProvider,
    command: Extract<HookCommand, { kind: 'start' | 'finish' | 'fail' }>,
  ): Promise<HookApplied>;
}
