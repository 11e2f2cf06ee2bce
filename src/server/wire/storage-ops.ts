import type { Identity } from '../../auth/index.js';
import {
  addHold,
  openReplica,
  openReplicaChecked,
  parsePeriod,
  readHolds,
  replicateRepository,
  replicationStatus,
  repositoryStats,
  resolveSnapshot,
} from '../../services/index.js';
import type { Storage } from '../../storage/index.js';
import type { StorageBackend } from '../backend-storage.js';
import { replicaLocation } from './replica-location.js';
import { BACKGROUND_REFRESH_MAX_SNAPSHOTS, ReplicationWatch } from './replication-watch.js';
import type { WireContext } from './wire-context.js';

/**
 * Sizing, replication and legal holds over the services, as the CLI runs them. Replication goes only
 * to the policy's replica (replica-location.ts); its status also feeds the /metrics gauges.
 */
export function storageOps(ctx: WireContext, watch: ReplicationWatch): StorageBackend<Identity> {
  const { catalog } = ctx;
  return {
    async stats(input) {
      const projection = parsePeriod(input.projection, 'projection');
      const window = parsePeriod(input.window, 'window');
      const policy = await ctx.policy();
      return ctx.withRepository((repo) =>
        repositoryStats(repo, catalog, { policy, items: input.items, tier: input.tier, projection, window }),
      );
    },
    async replicationStatus(input) {
      const policy = await ctx.policy();
      const location = replicaLocation(policy, input.to);
      const copies = watch.copies();
      const started = new Date();
      const status = await withReplica(location, (to) => replicationStatus(ctx.repo, catalog, policy, to));
      watch.record(location, status, started, copies);
      return status;
    },
    async replicate(input) {
      const location = replicaLocation(await ctx.policy(), input.to);
      const to = await openReplicaChecked(location);
      try {
        return await ctx.withRepository((repo) =>
          replicateRepository(repo, { to, concurrency: input.concurrency, syncLocks: input.syncLocks }),
        );
      } finally {
        await to.close();
        watch.invalidate();
      }
    },
    replicationMetrics: async () => watch.metrics((await ctx.policy()).replication?.to),
    async listHolds() {
      const holds = [...(await readHolds(ctx.repo)).values()].sort((a, b) => (a.time < b.time ? -1 : 1));
      return { holds };
    },
    async addHold(input, caller) {
      const s = await resolveSnapshot(catalog, { id: input.snapshot });
      return ctx.withRepository((repo) =>
        addHold(repo, catalog, s.id, { reason: input.reason, actor: caller.identity.subject }),
      );
    },
  };
}

/** The watch behind the replication gauges; its background refreshes report through ctx.report. */
export function replicationWatch(ctx: WireContext): ReplicationWatch {
  return new ReplicationWatch(
    async (location) => {
      const policy = await ctx.policy();
      return withReplica(location, (to) => replicationStatus(ctx.repo, ctx.catalog, policy, to));
    },
    (err) => ctx.report('replication status for /metrics', err),
    {
      mayRefresh: async () =>
        (await ctx.catalog.snapshotCounts()).reduce((n, c) => n + c.count, 0) <= BACKGROUND_REFRESH_MAX_SNAPSHOTS,
    },
  );
}

async function withReplica<T>(location: string, fn: (to: Storage) => Promise<T>): Promise<T> {
  const to = openReplica(location);
  try {
    return await fn(to);
  } finally {
    await to.close();
  }
}
