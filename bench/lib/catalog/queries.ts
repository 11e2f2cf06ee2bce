// The searches the catalog benchmark times, each with a fresh value per repetition drawn from the history.
import type { SnapshotFilter } from '../../../src/catalog/index.js';
import { Rng } from '../rng.js';
import { END, ENVIRONMENTS, type History, ITEMS, release, START } from './history.js';

export interface QueryKind {
  readonly name: string;
  readonly filters: (count: number) => SnapshotFilter[];
}

const DAY = 86_400_000;

export function queryKinds(history: History, seed = 1): QueryKind[] {
  const rng = Rng.of(seed, 'catalog-queries');
  const times = (count: number, make: () => SnapshotFilter) => Array.from({ length: count }, make);
  // A window [since, since + days) starting at a random midnight inside the two years: mostly in the past.
  const window = (days: number, limit: number) => () => {
    const since = START + rng.int(0, (END - START) / DAY - days) * DAY;
    return { since: new Date(since), until: new Date(since + days * DAY), limit };
  };
  const commit = () => {
    for (;;) {
      const c = rng.pick(history.snapshots).commit;
      if (c !== null) return c.slice(0, 8);
    }
  };
  const itemEnv = () => ({ item: [rng.pick(ITEMS)], environment: rng.pick(ENVIRONMENTS) });
  return [
    { name: 'deployment', filters: (n) => times(n, () => ({ deployment: `dep-${rng.int(1, history.deployments)}` })) },
    { name: 'release', filters: (n) => times(n, () => ({ release: release(rng.int(0, history.releases - 1)) })) },
    { name: 'commit prefix (8)', filters: (n) => times(n, () => ({ commit: commit() })) },
    { name: '1-day window, limit 50', filters: (n) => times(n, window(1, 50)) },
    { name: '30-day window, limit 50', filters: (n) => times(n, window(30, 50)) },
    // `--since 30d`: the newest data is the history's end, so "now" moves by up to a day between searches.
    {
      name: 'last 30 days, limit 50',
      filters: (n) => times(n, () => ({ since: new Date(END - 30 * DAY - rng.int(0, DAY)), limit: 50 })),
    },
    { name: 'item + environment, limit 50', filters: (n) => times(n, () => ({ ...itemEnv(), limit: 50 })) },
    { name: 'item + environment, all', filters: (n) => times(n, itemEnv) },
  ];
}
