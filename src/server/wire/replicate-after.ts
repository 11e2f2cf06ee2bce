import { errnoCode, isCairnError } from '../../errors/index.js';
import type { Policy } from '../../policy/index.js';
import type { Repository } from '../../repo/index.js';
import { type ItemResult, openReplica, replicateRepository } from '../../services/index.js';
import type { SnapshotReplication } from '../backend-storage.js';

/**
 * After snapshots taken through the server, what `cairn snapshot` does after its own: where the
 * policy names a replica and a snapshotted item's tier has `replicate: true`, copy what the replica
 * lacks. The snapshots are committed already, so a failure is reported in the answer, not thrown.
 */
export async function replicateAfterSnapshots(
  repo: Repository,
  policy: Policy,
  results: readonly ItemResult[],
): Promise<SnapshotReplication | undefined> {
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
  let target: ReturnType<typeof openReplica> | undefined;
  try {
    target = openReplica(to);
    const result = await replicateRepository(repo, { to: target });
    return { to, ok: result.ok, items, result };
  } catch (err) {
    const code = isCairnError(err) ? err.code : (errnoCode(err) ?? 'CAIRN_E_STORAGE');
    return { to, ok: false, items, error: { code, message: err instanceof Error ? err.message : String(err) } };
  } finally {
    await target?.close().catch(() => {});
  }
}
