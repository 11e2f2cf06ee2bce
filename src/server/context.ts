import type { AuthFailureLimiter } from './auth-failures.js';
import type { ServerDeps } from './deps.js';
import type { ServerMetrics } from './metrics.js';
import type { ResolvedOptions } from './options.js';

/** What every hook and route of one server shares. */
export interface ServerContext {
  readonly deps: ServerDeps;
  readonly options: ResolvedOptions;
  readonly metrics: ServerMetrics;
  readonly failures: AuthFailureLimiter;
}
