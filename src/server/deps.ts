import type { Backend } from './backend.js';

/**
 * What the server needs from the layers below, declared here in the server's own words (restic's
 * archiver declares its repository the same way): the lead adapts src/auth, src/audit and the
 * services to these. Nothing here imports those layers.
 */

/** Who is calling: established by the Guard from a bearer token. */
export interface Identity {
  /** `token:<name>`, `oidc:<claim>`, `local:<user>@<host>`. */
  readonly subject: string;
  /** Effective roles, just-in-time grants included. */
  readonly roles: readonly string[];
  readonly via: 'token' | 'oidc' | 'local';
  /** The just-in-time grants among the roles, recorded in audit events. */
  readonly grants?: ReadonlyArray<{ readonly id: string; readonly role: string }>;
}

/** The audit identity of a caller who has not authenticated. */
export const ANONYMOUS = 'anonymous';

/** Where a request comes from, as the audit log records it. */
export interface RequestMeta {
  readonly ip: string;
  readonly userAgent: string | null;
}

export interface Guard<I extends Identity = Identity> {
  /**
   * The identity a bearer token (without the `Bearer ` prefix) stands for. Throws CairnError
   * CAIRN_E_UNAUTHENTICATED with `details.reason` (e.g. `unknown`, `expired`, `revoked`,
   * `bad-signature`, `wrong-audience`) when it stands for none: counted towards the address's limit.
   * Other errors (CAIRN_E_FORBIDDEN for a genuine token that gives no role, CAIRN_E_DUTY_CONFLICT,
   * CAIRN_E_SERVER when the JWKS cannot be fetched) are audited and answered, not counted.
   */
  authenticate(bearer: string, meta: RequestMeta): Promise<I>;
  /** The one permissions matrix (src/auth): may an identity with these roles do this? */
  can(roles: readonly string[], permission: string): boolean;
}

export type AuditResult = 'allowed' | 'denied' | 'ok' | 'failed' | 'requested';

/** One audit event as the server reports it; the audit layer adds sequence, time and hash. */
export interface AuditEventInput {
  /** The identity's subject; ANONYMOUS when the caller has not authenticated. */
  readonly identity: string;
  readonly roles: readonly string[];
  readonly ip: string;
  readonly userAgent: string | null;
  /** e.g. `snapshots.create`, `restore.run`, `auth.fail`. */
  readonly action: string;
  /** What was acted on: a snapshot id, an item list, a route; null when nothing in particular. */
  readonly target: string | null;
  readonly result: AuditResult;
  readonly changeId: string | null;
  readonly approvalId: string | null;
  /** Request id, method, route, error code, reason… never a secret. */
  readonly details: Readonly<Record<string, unknown>>;
}

export interface AuditSink {
  /**
   * Writes the event durably. Throws (CairnError CAIRN_E_AUDIT) when it cannot: the server then
   * fails closed (503 CAIRN_E_AUDIT; a mutating action is not performed, a read's data not sent).
   */
  record(event: AuditEventInput): Promise<void>;
}

/**
 * Everything buildServer needs. `I` is the guard's identity type: the backend is handed back exactly
 * the object the guard returned (in Caller.identity), so an adapter can use its own richer identity.
 */
export interface ServerDeps<I extends Identity = Identity> {
  readonly guard: Guard<I>;
  readonly audit: AuditSink;
  readonly backend: Backend<I>;
}
