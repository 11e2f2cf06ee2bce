import { isAbsolute, resolve } from 'node:path';
import { CairnError } from '../../errors/index.js';
import type { Policy } from '../../policy/index.js';

/**
 * Where the server replicates to and reads replication status from: only the replica its policy
 * names (`replication.to`). The server holds the repository's storage credentials; letting a caller
 * name any folder or bucket would let an operator token write the repository wherever the server can
 * reach. A `to` that names the policy's replica (the same URL, or the same absolute path) is accepted.
 */
export function replicaLocation(policy: Policy, asked: string | undefined): string {
  const named = policy.replication?.to;
  if (!named) {
    throw new CairnError(
      'CAIRN_E_USAGE',
      `the server's policy (${policy.file}) names no replica: set replication.to there; the server replicates only to it`,
      { field: 'replication.to' },
    );
  }
  if (asked === undefined || sameLocation(asked, named)) return named;
  throw new CairnError(
    'CAIRN_E_FORBIDDEN',
    `the server replicates only to the replica its policy names (replication.to: ${named}), not to ${asked}; ` +
      'leave `to` out, or replicate elsewhere with the CLI where the repository is',
    { field: 'to', allowed: named },
  );
}

function isUrl(location: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(location) && !/^[a-z]:[\\/]/i.test(location);
}

function sameLocation(asked: string, named: string): boolean {
  if (isUrl(asked) || isUrl(named)) return asked.replace(/\/+$/, '') === named.replace(/\/+$/, '');
  return isAbsolute(asked) && resolve(asked) === resolve(named);
}
