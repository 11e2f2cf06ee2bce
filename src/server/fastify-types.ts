import type { Identity } from './deps.js';
import type { RoutePermission } from './permissions.js';

/** What the server adds to Fastify's types: route config, per-request identity and audit state. */

/** How far a request's audit trail has got (see request-audit.ts). */
export interface AuditState {
  /** The request passed authentication and authorisation: its outcome must be audited. */
  open: boolean;
  /** Its final event has been written (or tried): nothing more to record. */
  closed: boolean;
  target: string | null;
  changeId: string | null;
  approvalId: string | null;
}

export interface RegisteredRoute {
  readonly method: string;
  readonly url: string;
  readonly permission: RoutePermission;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    permission?: RoutePermission;
    /** The audit action, e.g. `snapshots.create`. */
    action?: string;
  }
  interface FastifyRequest {
    identity: Identity | null;
    cairnAudit: AuditState;
  }
  interface FastifyInstance {
    /** Every route registered, with its permission (collected by an onRoute hook). */
    readonly cairnRoutes: readonly RegisteredRoute[];
  }
}
