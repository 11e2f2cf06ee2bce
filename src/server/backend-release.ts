import type { DeploymentRecord, DeploymentStatus } from '../catalog/index.js';
import type { DeploymentView, FailedDeploymentView } from '../services/index.js';
import type { Caller } from './backend.js';
import type { Identity } from './deps.js';

/**
 * The release-pipeline use cases of the Backend (issue 5): deployments with their pre- and post-deploy
 * bundles, answering what `cairn deploy … --json` prints.
 */

/** `cairn deploy start` as the API takes it; the actor is the caller. */
export interface StartDeploymentRequest {
  readonly environment: string;
  readonly release?: string;
  readonly commit?: string;
  readonly change?: string;
  readonly pipeline?: string;
  readonly id?: string;
}

export interface DeploymentQuery {
  readonly environment?: string;
  readonly release?: string;
  readonly status?: DeploymentStatus;
  readonly limit?: number;
}

export interface ReleaseBackend<I extends Identity = Identity> {
  /** CAIRN_E_USAGE for an unknown environment, CAIRN_E_CHANGE_TICKET when the policy's ticket rule refuses. */
  startDeployment(input: StartDeploymentRequest, caller: Caller<I>): Promise<DeploymentView>;
  /** CAIRN_E_NOT_FOUND for an unknown id, CAIRN_E_EXISTS when it is not started. */
  finishDeployment(id: string, caller: Caller<I>): Promise<DeploymentView>;
  /** Marks it failed, then runs the rollback when the environment has autoRollback. */
  failDeployment(id: string, input: { readonly reason?: string }, caller: Caller<I>): Promise<FailedDeploymentView>;
  listDeployments(query: DeploymentQuery): Promise<{ deployments: DeploymentRecord[] }>;
  showDeployment(id: string): Promise<DeploymentView>;
  // Rolling a deployment back: RollbackBackend (backend-rollback.ts, engineer R).
}
