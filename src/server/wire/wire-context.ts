import type { AuditLog } from '../../audit/index.js';
import type { AccessControl } from '../../auth/index.js';
import type { Catalog } from '../../catalog/index.js';
import type { Policy } from '../../policy/index.js';
import type { Repository } from '../../repo/index.js';
import {
  AlertCenter,
  type Governance,
  openGovernance,
  openRepository,
  type SessionOptions,
} from '../../services/index.js';
import type { PolicySource } from './policy-source.js';

/**
 * What the real backend's parts share: the catalog and the repository the server opened, the policy
 * in force, the audit log and the access layer for that policy.
 */
export interface WireContext {
  readonly catalog: Catalog;
  /** Opened once, for what only needs the master key and storage: checkpoints, sealing, readiness. */
  readonly repo: Repository;
  readonly log: AuditLog;
  readonly version: string;
  /** Background trouble that refuses no request (a refresh for /metrics that failed): logged. */
  report(what: string, err: unknown): void;
  policy(): Promise<Policy>;
  /** The access layer under the policy in force (built again when the policy file changes). */
  access(): Promise<AccessControl>;
  /**
   * Runs `fn` with a repository opened for it alone. A repository loads its index once; other
   * processes (the CLI, other replicas) add and prune packs meanwhile, so every operation that reads
   * or writes data starts from the repository as it is now, as a CLI command does.
   */
  withRepository<T>(fn: (repo: Repository) => Promise<T>): Promise<T>;
  /**
   * The server's one AlertCenter (durable alerts: raise, ack, resolve, escalation, delivery retries):
   * the scheduler raises through it, the alert loop escalates and delivers, the API acks and lists.
   */
  readonly alerts: AlertCenter;
}

export interface WireInputs {
  readonly session: { readonly repo: Repository; readonly catalog: Catalog };
  readonly sessionOptions: SessionOptions;
  readonly policies: PolicySource;
  readonly governance: Governance;
  readonly version: string;
  readonly onError: (err: unknown) => void;
  /** Where report() goes (the server's log); nowhere when absent. */
  readonly report?: (what: string, err: unknown) => void;
  /** Where *Env variables of alert sinks are read (process.env by default). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export function wireContext(inputs: WireInputs): WireContext {
  const { session, sessionOptions, policies, governance, onError } = inputs;
  let built = { generation: policies.generation, access: governance.access };
  const report = inputs.report ?? (() => {});
  const alerts = new AlertCenter({
    catalog: session.catalog,
    log: governance.audit,
    policy: () => policies.current(),
    ...(inputs.env ? { env: inputs.env } : {}),
    onError: report,
  });
  return {
    catalog: session.catalog,
    repo: session.repo,
    log: governance.audit,
    version: inputs.version,
    report,
    alerts,
    policy: () => policies.current(),
    async access() {
      const policy = await policies.current();
      if (built.generation !== policies.generation) {
        built = {
          generation: policies.generation,
          access: openGovernance(session.repo, session.catalog, policy, { onError }).access,
        };
      }
      return built.access;
    },
    async withRepository(fn) {
      const repo = await openRepository(sessionOptions);
      try {
        return await fn(repo);
      } finally {
        await repo.close();
        // Each request opens its own storage: close it too (an S3 client and its sockets, the request log).
        await repo.storage.close();
      }
    },
  };
}
