/**
 * A differential test of the `replicate --status` query: a random history (ties in time, items the
 * replica has all, some or none of) and a random replica, whose ids include some the catalog does not
 * have, from each database against the same figures computed in memory from the records.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '../../bench/lib/rng.js';
import { openCatalog } from './index.js';
import type { ItemReplication } from './replication-queries.js';
import { catalogTargets, hexId, snapshotRecord } from './test-support.js';
import type { SnapshotRecord } from './types.js';

const SEED = Number(process.env.CAIRN_TEST_SEED ?? 12);
const rng = Rng.of(SEED, 'replication');
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const items = Array.from({ length: 8 }, (_, i) => `item-${i}`);
const snapshots: SnapshotRecord[] = Array.from({ length: 600 }, (_, i) =>
  snapshotRecord({
    id: hexId(`replication ${i}`),
    item: rng.pick(items),
    // Whole hours only: several snapshots of an item share a time.
    time: new Date(T0 + rng.int(0, 24 * 60) * 3_600_000).toISOString(),
  }),
);
/** item-0 fully replicated, item-1 not at all, the others at random; plus ids the catalog lacks. */
const replica = [
  ...snapshots.filter((s) => s.item === 'item-0' || (s.item !== 'item-1' && rng.chance(0.7))).map((s) => s.id),
  ...Array.from({ length: 20 }, (_, i) => hexId(`forgotten ${i}`)),
];

function expected(replicaIds: readonly string[]): ItemReplication[] {
  const there = new Set(replicaIds);
  return items
    .filter((item) => snapshots.some((s) => s.item === item))
    .map((item) => {
      const times = (ok: boolean) =>
        snapshots
          .filter((s) => s.item === item && there.has(s.id) === ok)
          .map((s) => s.time)
          .sort();
      const all = snapshots.filter((s) => s.item === item).map((s) => s.time);
      return {
        item,
        snapshots: all.length,
        replicated: times(true).length,
        newest: all.sort().at(-1)!,
        newestReplicated: times(true).at(-1) ?? null,
        oldestMissing: times(false)[0] ?? null,
      };
    });
}

describe(`replication query against the records (seed ${SEED}; CAIRN_TEST_SEED replays)`, () => {
  for (const target of catalogTargets) {
    it(`agrees on ${target.dialect}, twice on one catalog, and for an empty replica`, async () => {
      const { options, remove } = await target.fresh();
      const catalog = await openCatalog(options);
      try {
        await catalog.replaceAll(snapshots, []);
        const got = await catalog.replication.compare(replica);
        assert.deepEqual(got, expected(replica));
        assert.equal(got.find((f) => f.item === 'item-0')?.oldestMissing, null);
        assert.equal(got.find((f) => f.item === 'item-1')?.replicated, 0);
        // The temporary table is gone afterwards: a second comparison starts from nothing.
        assert.deepEqual(await catalog.replication.compare([]), expected([]));
        // Two at once (the server's status request beside its /metrics refresh) do not mix.
        const half = replica.slice(0, 200);
        const [a, b] = await Promise.all([catalog.replication.compare(half), catalog.replication.compare(replica)]);
        assert.deepEqual([a, b], [expected(half), expected(replica)]);
      } finally {
        await catalog.close();
        await remove();
      }
    });
  }

  it('answers nothing for an empty catalog', async () => {
    const { options, remove } = await catalogTargets[0]!.fresh();
    const catalog = await openCatalog(options);
    try {
      assert.deepEqual(await catalog.replication.compare(replica), []);
    } finally {
      await catalog.close();
      await remove();
    }
  });
});
