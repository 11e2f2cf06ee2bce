import { hostname, userInfo } from 'node:os';
import { AuditLog } from '../audit/index.js';
import { AccessControl, type Identity, localIdentity, OidcVerifier, type Sealer } from '../auth/index.js';
import type { Catalog } from '../catalog/index.js';
import { DEFAULT_ACCESS_POLICY, DEFAULT_AUDIT_SETTINGS, type Policy } from '../policy/index.js';
import { openSealedObject, type Repository, sealObject } from '../repo/index.js';
import { RepositoryCheckpointStore } from './audit-checkpoints.js';

/** The audit log and access control of one repository and catalog, under one policy (or the defaults). */
export interface Governance {
  readonly audit: AuditLog;
  readonly access: AccessControl;
}

export interface GovernanceOptions {
  readonly clock?: () => Date;
  readonly onError?: (err: unknown) => void;
}

export function openGovernance(
  repo: Repository,
  catalog: Catalog,
  policy: Policy | undefined,
  options: GovernanceOptions = {},
): Governance {
  const settings = policy?.audit ?? DEFAULT_AUDIT_SETTINGS;
  const retentionMs = settings.retentionMs ?? policy?.auditRetentionMs;
  const clock = options.clock ?? (() => new Date());
  const audit = new AuditLog({
    store: catalog.audit,
    checkpoints: new RepositoryCheckpointStore(repo, { ...(retentionMs ? { retentionMs } : {}), clock }),
    settings: { checkpointEvery: settings.checkpointEvery, ...(retentionMs ? { retentionMs } : {}) },
    clock,
    ...(options.onError ? { onError: options.onError } : {}),
  });
  const accessPolicy = policy?.access ?? DEFAULT_ACCESS_POLICY;
  const access = new AccessControl({
    store: catalog.access,
    policy: accessPolicy,
    sealer: repositorySealer(repo, 'mfa-secret'),
    now: clock,
    ...(accessPolicy.oidc
      ? {
          oidc: new OidcVerifier(accessPolicy.oidc, {
            separationOfDuties: accessPolicy.separationOfDuties,
            now: clock,
          }),
        }
      : {}),
  });
  return { audit, access };
}

/** Secrets the catalog keeps (TOTP seeds) are sealed with the repository key, so a catalog copy alone gives none. */
export function repositorySealer(repo: Repository, purpose: string): Sealer {
  return {
    async seal(bytes) {
      return new Uint8Array(sealObject(repo, bytes, purpose));
    },
    async open(bytes) {
      return new Uint8Array(openSealedObject(repo, bytes, purpose, purpose));
    },
  };
}

/**
 * Whoever runs the CLI against the repository itself holds its key, and with it every power over the
 * data: they act as admin, recorded under their OS account. Policies that demand approvals are
 * enforced by refusing the destructive commands locally (see forget), not by trusting this identity.
 */
export function operatingSystemIdentity(): Identity {
  let user = process.env.USER ?? 'unknown';
  try {
    user = userInfo().username;
  } catch {}
  return localIdentity(user, hostname(), ['admin']);
}
