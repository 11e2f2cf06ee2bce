import type { KeyObject } from 'node:crypto';
import { type AuditVerifyResult, verifyAudit } from '../audit/index.js';
import { RepositoryCheckpointStore } from './audit-checkpoints.js';
import type { Session } from './session.js';

/**
 * `cairn audit verify` on an open repository: the catalog's chain against the signed checkpoints in
 * the repository, whose sealed event copies the session's key opens (docs/AUDIT.md). The key the
 * checkpoints must be signed with is the one pinned in the repository unless `publicKey` is given.
 */
export function verifyAuditTrail(
  session: Pick<Session, 'repo' | 'catalog'>,
  options: { readonly publicKey?: KeyObject } = {},
): Promise<AuditVerifyResult> {
  return verifyAudit({
    store: session.catalog.audit,
    checkpoints: new RepositoryCheckpointStore(session.repo),
    ...(options.publicKey ? { publicKey: options.publicKey } : {}),
  });
}
