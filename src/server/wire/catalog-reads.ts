import type { Identity } from '../../auth/index.js';
import { resolveSnapshot } from '../../services/index.js';
import type { RepositoryBackend } from '../backend.js';
import { catalogMetrics } from './catalog-metrics.js';
import { checkPolicyFile, policyView } from './policy-view.js';
import type { WireContext } from './wire-context.js';

type Reads = Pick<
  RepositoryBackend<Identity>,
  'ready' | 'metrics' | 'policy' | 'checkPolicy' | 'listItems' | 'searchSnapshots' | 'showSnapshot'
>;

/** The use cases that read the policy and the catalog only (no repository data). */
export function catalogReads(ctx: WireContext): Reads {
  const { catalog } = ctx;
  return {
    async ready() {
      const [catalogCheck, repositoryCheck] = await Promise.all([
        probe(() => catalog.getMeta('repository')),
        probe(() => ctx.repo.storage.stat('config')),
      ]);
      return { catalog: catalogCheck, repository: repositoryCheck };
    },
    metrics: () => catalogMetrics(catalog),
    policy: async () => policyView(await ctx.policy()),
    checkPolicy: async () => checkPolicyFile((await ctx.policy()).file),
    async listItems() {
      const policy = await ctx.policy();
      const items = policy.items.map((i) => ({
        name: i.name,
        owner: i.owner,
        tier: i.tier,
        environment: i.environment ?? null,
        component: i.component ?? null,
      }));
      return { items };
    },
    searchSnapshots: async (filter) => ({ snapshots: await catalog.findSnapshots(filter) }),
    async showSnapshot(id) {
      const s = await resolveSnapshot(catalog, { id });
      return { ...s, verifications: await catalog.verificationsOf(s.id) };
    },
  };
}

async function probe(check: () => Promise<unknown>): Promise<{ ok: boolean; message?: string }> {
  try {
    await check();
    return { ok: true };
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}
