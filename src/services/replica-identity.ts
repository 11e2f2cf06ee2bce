import { CairnError, isCairnError } from '../errors/index.js';
import type { Storage } from '../storage/index.js';

/**
 * A replica is the same repository: the same `config` object byte for byte (it is sealed with a
 * random nonce, so two repositories never share one). Anything else at the location is refused
 * before a byte is written, with the location named.
 */
export async function replicaConfig(primary: Storage, replica: Storage): Promise<'same' | 'none'> {
  if (sameLocation(primary, replica)) {
    throw new CairnError('CAIRN_E_USAGE', `${replica.location} is the repository itself; name a second repository`);
  }
  const theirs = await getIfPresent(replica, 'config');
  if (theirs === undefined) return 'none';
  const ours = await primary.get('config');
  if (!ours.equals(theirs)) {
    throw new CairnError(
      'CAIRN_E_REPO_EXISTS',
      `${replica.location} holds another cairn repository (its config differs from that of ${primary.location}); ` +
        'a replica must be an empty location or a replica of this repository',
      { location: replica.location },
    );
  }
  return 'same';
}

/**
 * For replicate: the target is this repository's replica, or empty, or left by an interrupted first
 * replication (every object it holds is one of the primary's).
 */
export async function assertReplicaTarget(
  primary: Storage,
  target: Storage,
  targetKeys: Iterable<string>,
  primaryHas: (key: string) => boolean,
): Promise<void> {
  if ((await replicaConfig(primary, target)) === 'same') return;
  for (const key of targetKeys) {
    if (!primaryHas(key)) {
      throw new CairnError(
        'CAIRN_E_REPO_EXISTS',
        `${target.location} is not empty and is not a replica of ${primary.location}: it holds ${key}, ` +
          'which the repository does not; replicate to an empty location or a replica of this repository',
        { location: target.location, object: key },
      );
    }
  }
}

/** For repair: the source must be a replica (a location without config cannot vouch for anything). */
export async function assertReplicaSource(primary: Storage, source: Storage): Promise<void> {
  if ((await replicaConfig(primary, source)) === 'none') {
    throw new CairnError(
      'CAIRN_E_NO_REPOSITORY',
      `${source.location} is not a cairn repository (no config object), so it cannot be a replica of ${primary.location}`,
      { location: source.location },
    );
  }
}

function sameLocation(a: Storage, b: Storage): boolean {
  return a === b || a.location === b.location;
}

async function getIfPresent(storage: Storage, key: string): Promise<Buffer | undefined> {
  try {
    return await storage.get(key);
  } catch (err) {
    if (isCairnError(err, 'CAIRN_E_NOT_FOUND')) return undefined;
    throw err;
  }
}
