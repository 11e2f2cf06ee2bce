import { CairnError, errnoCode, isCairnError } from '../errors/index.js';
import type { Policy } from '../policy/index.js';
import type { Repository } from '../repo/index.js';
import { isS3Location, prepareS3Bucket, type Storage } from '../storage/index.js';
import { noProgress, type ProgressSink } from './progress.js';
import { openReplica, type ReplicateResult, replicateRepository } from './replicate.js';
import type { ItemResult } from './snapshot.js';

/** What a snapshot run (CLI or server) reports about the replication it ran after committing. */
export interface AfterSnapshotReplication {
  readonly to: string;
  readonly ok: boolean;
  /** The snapshotted items whose tier has `replicate: true`. */
  readonly items: readonly string[];
  readonly result?: ReplicateResult;
  readonly error?: { readonly code: string; readonly message: string };
}

/**
 * The replica a copy goes to. An S3 bucket must be able to hold the primary's locks (versioning and
 * Object Lock, as for `cairn init`), so one that cannot is refused before anything is copied;
 * `createBucket` makes a missing one with them.
 */
export async function openReplicaChecked(location: string, opts: { createBucket?: boolean } = {}): Promise<Storage> {
  if (isS3Location(location)) await prepareS3Bucket(location, { create: opts.createBucket === true });
  else if (opts.createBucket) {
    throw new CairnError('CAIRN_E_USAGE', '--create-bucket applies to s3://bucket/prefix replicas only');
  }
  return openReplica(location);
}

/**
 * After snapshots, taken by `cairn snapshot` or through the server: where the policy names a replica
 * and a snapshotted item's tier has `replicate: true`, copy what the replica lacks. The snapshots are
 * committed already, so a failure is reported in the answer (`ok: false`, `error`), never thrown.
 * Undefined when there was nothing to replicate.
 */
export async function replicateAfterSnapshot(
  repo: Repository,
  policy: Policy,
  results: readonly ItemResult[],
  progress: ProgressSink = noProgress,
): Promise<AfterSnapshotReplication | undefined> {
  const to = policy.replication?.to;
  if (!to) return undefined;
  const items = results
    .filter((r) => r.status !== 'failed')
    .map((r) => r.item)
    .filter((name) => {
      const tier = policy.items.find((i) => i.name === name)?.tier;
      return tier !== undefined && policy.tiers[tier]?.replicate === true;
    });
  if (items.length === 0) return undefined;
  let target: Storage | undefined;
  try {
    target = await openReplicaChecked(to);
    const result = await replicateRepository(repo, { to: target }, progress);
    return { to, ok: result.ok, items, result };
  } catch (err) {
    const code = isCairnError(err) ? err.code : (errnoCode(err) ?? 'CAIRN_E_STORAGE');
    return { to, ok: false, items, error: { code, message: err instanceof Error ? err.message : String(err) } };
  } finally {
    await target?.close().catch(() => {});
  }
}
