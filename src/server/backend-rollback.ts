import type { RollbackResult, Runbooks } from '../services/index.js';
import type { Caller } from './backend.js';
import type { Identity } from './deps.js';

/**
 * Rollbacks and runbooks (issue 5, C7.4–C7.6): what `cairn rollback --json` prints, and the runbook
 * files `cairn runbook` writes (the client writes them where it runs).
 */
export interface RollbackRequest {
  readonly dryRun: boolean;
  /** The change ticket for the rollback (default: the deployment's). */
  readonly change?: string;
  /** Restore an item whose pre-deploy snapshot is missing from the newest older one (default: refuse it). */
  readonly allowOlder?: boolean;
}

export interface RollbackBackend<I extends Identity = Identity> {
  /** CAIRN_E_NOT_FOUND for an unknown deployment; CAIRN_E_CHANGE_TICKET when the ticket rule refuses. */
  rollbackDeployment(deployment: string, input: RollbackRequest, caller: Caller<I>): Promise<RollbackResult>;
  /** CAIRN_E_USAGE for an environment the policy does not have. */
  runbooks(input: { readonly environment: string }): Promise<Runbooks>;
}
