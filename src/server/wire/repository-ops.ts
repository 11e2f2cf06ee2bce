import type { Identity } from '../../auth/index.js';
import type { Policy } from '../../policy/index.js';
import {
  addRepositoryKey,
  checkRepository,
  diffSnapshots,
  forgetByPolicy,
  forgetSnapshots,
  listRepositoryKeys,
  listSnapshot,
  prune,
  recordSnapshotOutcomes,
  replicateAfterSnapshot,
  resolveSnapshot,
  restoreSnapshot,
  takeSnapshots,
} from '../../services/index.js';
import type { RepositoryBackend } from '../backend.js';
import type { WireContext } from './wire-context.js';

type Ops = Omit<
  RepositoryBackend<Identity>,
  'ready' | 'metrics' | 'policy' | 'checkPolicy' | 'listItems' | 'searchSnapshots' | 'showSnapshot' | 'requestApproval'
>;

/**
 * The use cases that read or write repository data, each on a repository opened for it. `copied` is
 * told when a snapshot request replicated afterwards (the replication gauges are then out of date).
 */
export function repositoryOps(ctx: WireContext, copied: () => void = () => {}): Ops {
  const { catalog } = ctx;
  const use = ctx.withRepository.bind(ctx);
  return {
    listFiles: (id, path) =>
      use(async (repo) => {
        const snap = await resolveSnapshot(catalog, { id });
        return { snapshot: snap.id, entries: await listSnapshot(repo, snap, path) };
      }),
    diff: (from, to, opts) =>
      use(async (repo) => {
        const a = await resolveSnapshot(catalog, { id: from });
        const b = await resolveSnapshot(catalog, { id: to });
        return diffSnapshots(repo, a, b, opts);
      }),
    async createSnapshots(input, caller) {
      const policy = await ctx.policy();
      const { items, environment, force, ...run } = input;
      return use(async (repo) => {
        const snapshots = await takeSnapshots({ repo, catalog, close: async () => {} }, policy, {
          ...(items ? { items } : {}),
          ...(environment ? { environment } : {}),
          force,
          run: { ...run, actor: caller.identity.subject },
        });
        // Each item's outcome feeds its failure streak (backup-failed), as scheduled runs do; never fails the request.
        await recordSnapshotOutcomes(ctx.alerts, catalog, policy, snapshots, (item, err) =>
          ctx.report(`backup outcome of ${item}`, err),
        );
        const replication = await replicateAfterSnapshot(repo, policy, snapshots);
        if (replication) copied();
        return { snapshots, ...(replication ? { replication } : {}) };
      });
    },
    async resolveRestore(selector) {
      const snap = await resolveSnapshot(catalog, selector);
      return { snapshot: snap.id, item: snap.item, restoreDirectory: restoreDirectory(await ctx.policy(), snap.item) };
    },
    restore: (input) =>
      use(async (repo) => {
        const snap = await resolveSnapshot(catalog, { id: input.snapshot });
        const { target, include, overwrite, dryRun } = input;
        return restoreSnapshot(repo, snap, { target, include, overwrite, dryRun });
      }),
    check: (input) => use((repo) => checkRepository(repo, input)),
    async forgetByPolicy(input) {
      const policy = await ctx.policy();
      return use(async (repo) => {
        const result = await forgetByPolicy(repo, catalog, policy, {
          dryRun: input.dryRun,
          ...(input.items?.length ? { items: input.items } : {}),
        });
        const pruned = input.prune && !input.dryRun ? await prune(repo, {}) : undefined;
        return { ...result, ...(pruned ? { prune: pruned } : {}) };
      });
    },
    previewForget: (ids) => forgetSnapshots(ctx.repo, catalog, ids, { dryRun: true }), // reads the catalog only
    prune: (input) => use((repo) => prune(repo, input)),
    listKeys: async () => ({ keys: await listRepositoryKeys(ctx.repo) }),
    addKey: (input) => addRepositoryKey(ctx.repo, { kind: 'password', value: input.password }, input.label),
  };
}

/** The item's `restore: { directory }` from the policy (absolute: the policy layer resolves it), or null. */
export function restoreDirectory(policy: Policy, item: string): string | null {
  const restore = policy.items.find((i) => i.name === item)?.restore;
  return restore?.kind === 'directory' ? restore.path : null;
}
