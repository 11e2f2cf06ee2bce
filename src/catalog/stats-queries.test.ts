/**
 * A differential test of the `cairn stats` queries: sums and counts over a random history (ties in
 * time, first snapshots, null tiers, snapshots before and in the window) from each database, against
 * the same figures computed in memory from the records.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '../../bench/lib/rng.js';
import { openCatalog } from './index.js';
import type { DayFigures, ItemFigures } from './stats-queries.js';
import { catalogTargets, hexId } from './test-support.js';
import type { SnapshotRecord } from './types.js';

const SEED = Number(process.env.CAIRN_TEST_SEED ?? 11);
const rng = Rng.of(SEED, 'stats');
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const SPAN = 90 * 86_400_000;
const items = Array.from({ length: 12 }, (_, i) => `item-${i}`);
const snapshots: SnapshotRecord[] = Array.from({ length: 900 }, (_, i) => {
  // Every fifth time is on the hour, so that an item's newest snapshot is sometimes a tie broken by id.
  const ms = T0 + rng.int(0, SPAN);
  return {
    item: rng.pick(items),
    environment: null,
    tier: rng.chance(0.1) ? null : rng.pick(['gold', 'silver']),
    component: null,
    trigger: 'scheduled',
    release: null,
    commit: null,
    change: null,
    deployment: null,
    pipeline: null,
    actor: 'x',
    host: 'h',
    time: new Date(rng.chance(0.2) ? Math.floor(ms / 3_600_000) * 3_600_000 : ms).toISOString(),
    id: hexId(`stats ${i}`),
    parent: rng.chance(0.15) ? null : hexId(`stats ${i - 1}`),
    tree: hexId(`tree ${rng.int(0, 400)}`),
    contentHash: hexId(`content ${i}`),
    status: 'complete',
    files: 1,
    bytes: rng.int(0, 5_000_000_000), // past 2^32: bigint columns
    addedBytes: rng.int(0, 100_000),
    retainUntil: null,
    unreadable: [],
  };
});

// Half the items end on two snapshots taken at the same instant: the newest is the one with the larger id.
for (const [k, item] of items.slice(0, 6).entries()) {
  for (const n of [1, 2]) {
    const last = snapshots.findLast((s) => s.item === item)!;
    snapshots.push({
      ...last,
      id: hexId(`tie ${k} ${n}`),
      time: new Date(T0 + SPAN + 3_600_000).toISOString(),
      tier: n === 1 ? 'bronze' : 'iron',
      bytes: 1000 * k + n,
      parent: last.id,
    });
  }
}

function expectedItems(since: string, only?: readonly string[]): ItemFigures[] {
  const by = new Map<string, SnapshotRecord[]>();
  for (const s of snapshots) if (!only || only.includes(s.item)) by.set(s.item, [...(by.get(s.item) ?? []), s]);
  return [...by.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([item, list]) => {
      const newest = [...list].sort((a, b) =>
        a.time === b.time ? (a.id < b.id ? 1 : -1) : a.time < b.time ? 1 : -1,
      )[0]!;
      const inWindow = list.filter((s) => s.time >= since);
      return {
        item,
        tier: newest.tier,
        snapshots: list.length,
        oldest: list.map((s) => s.time).sort()[0]!,
        newest: newest.time,
        latestBytes: newest.bytes,
        logicalBytes: list.reduce((n, s) => n + s.bytes, 0),
        windowSnapshots: inWindow.length,
        windowAddedBytes: inWindow.reduce((n, s) => n + (s.parent === null ? 0 : s.addedBytes), 0),
      };
    });
}

function expectedDays(since: string, only?: readonly string[]): DayFigures[] {
  const by = new Map<string, DayFigures>();
  for (const s of snapshots) {
    if (s.time < since || (only && !only.includes(s.item))) continue;
    const day = s.time.slice(0, 10);
    const d = by.get(day) ?? { day, snapshots: 0, addedBytes: 0 };
    by.set(day, {
      day,
      snapshots: d.snapshots + 1,
      addedBytes: d.addedBytes + (s.parent === null ? 0 : s.addedBytes),
    });
  }
  return [...by.values()].sort((a, b) => (a.day < b.day ? -1 : 1));
}

describe(`stats queries against the records (seed ${SEED}; CAIRN_TEST_SEED replays)`, () => {
  for (const target of catalogTargets) {
    it(`agree on ${target.dialect}`, async () => {
      const { options, remove } = await target.fresh();
      const catalog = await openCatalog(options);
      try {
        await catalog.replaceAll(snapshots, []);
        for (const days of [0, 1, 7, 30, 60, 100]) {
          const since = new Date(T0 + SPAN - days * 86_400_000).toISOString();
          assert.deepEqual(await catalog.stats.itemFigures({ since }), expectedItems(since), `since ${since}`);
          assert.deepEqual(await catalog.stats.dailyFigures({ since }), expectedDays(since), `days since ${since}`);
          const only = rng.sample(items, 3).concat('no-such-item');
          assert.deepEqual(await catalog.stats.itemFigures({ since, items: only }), expectedItems(since, only));
          assert.deepEqual(await catalog.stats.dailyFigures({ since, items: only }), expectedDays(since, only));
        }
        assert.deepEqual(await catalog.stats.itemFigures({ since: '2000-01-01T00:00:00.000Z', items: [] }), []);
        for (const item of items) {
          const trees = [...new Set(snapshots.filter((s) => s.item === item).map((s) => s.tree))].sort();
          assert.deepEqual(await catalog.stats.rootTrees(item), trees);
        }
        assert.deepEqual(await catalog.stats.rootTrees('no-such-item'), []);
      } finally {
        await catalog.close();
        await remove();
      }
    });
  }

  it('answer nothing for an empty catalog', async () => {
    const { options, remove } = await catalogTargets[0]!.fresh();
    const catalog = await openCatalog(options);
    try {
      assert.deepEqual(await catalog.stats.itemFigures({ since: '2000-01-01T00:00:00.000Z' }), []);
      assert.deepEqual(await catalog.stats.dailyFigures({ since: '2000-01-01T00:00:00.000Z' }), []);
    } finally {
      await catalog.close();
      await remove();
    }
  });
});
