import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReplicationStatus } from '../../services/index.js';
import { ReplicationWatch } from './replication-watch.js';

const status = (behind: number): ReplicationStatus => ({
  from: '/srv/repo',
  to: '/srv/replica',
  items: [
    {
      item: 'app',
      tier: '1',
      replicate: true,
      snapshots: 3,
      replicated: 3 - behind,
      behind,
      newest: '2026-11-29T08:00:00.000Z',
      newestReplicated: null,
      oldestMissing: behind > 0 ? '2026-11-29T07:00:00.000Z' : null,
      lagMs: 0,
    },
  ],
  behind,
  late: [],
});

/** A watch whose computations are counted and answer `behind` as it is when they run. */
function watch(refreshMs = 1000) {
  const state = { computed: 0, behind: 2, fail: false, small: true };
  const errors: unknown[] = [];
  const w = new ReplicationWatch(
    async () => {
      state.computed++;
      if (state.fail) throw new Error('replica down');
      return status(state.behind);
    },
    (err) => errors.push(err),
    { refreshMs, mayRefresh: async () => state.small },
  );
  return { w, state, errors };
}

describe('ReplicationWatch (the replication gauges of /metrics)', () => {
  it('never makes a scrape wait: the first shows nothing and starts working the status out', async () => {
    const { w, state } = watch();
    const scrapes = await Promise.all([w.metrics('/srv/replica'), w.metrics('/srv/replica')]);
    assert.deepEqual(scrapes, [null, null], 'a second scrape meanwhile starts no second computation');
    await w.settled();
    assert.equal(state.computed, 1);
    const shown = await w.metrics('/srv/replica');
    assert.deepEqual(shown?.items, [{ item: 'app', behind: 2, oldestMissing: '2026-11-29T07:00:00.000Z' }]);
    assert.equal(state.computed, 1, 'a fresh status is not worked out again');
  });

  it('works it out again once older than the refresh interval, or after a replication', async () => {
    const { w, state } = watch(1000);
    const t0 = new Date('2026-11-29T08:00:00Z');
    w.record('/srv/replica', status(2), t0);
    assert.equal((await w.metrics('/srv/replica', new Date(t0.getTime() + 999)))?.items[0]?.behind, 2);
    assert.equal(state.computed, 0);
    state.behind = 1;
    const stale = await w.metrics('/srv/replica', new Date(t0.getTime() + 1000));
    assert.equal(stale?.items[0]?.behind, 2, 'stale, shown');
    await w.settled();
    assert.equal(state.computed, 1);
    assert.equal((await w.metrics('/srv/replica'))?.items[0]?.behind, 1);
    state.behind = 0;
    w.invalidate();
    await w.metrics('/srv/replica');
    await w.settled();
    assert.equal((await w.metrics('/srv/replica'))?.items[0]?.behind, 0);
    assert.equal(state.computed, 2);
  });

  it('keeps a status worked out while a replication ran out of date', async () => {
    const { w, state } = watch(60_000);
    const before = w.copies();
    w.invalidate();
    w.record('/srv/replica', status(2), new Date(), before);
    await w.metrics('/srv/replica');
    await w.settled();
    assert.equal(state.computed, 1, 'worked out again at the next scrape');
  });

  it('works nothing out in the background while the catalog is too large: only what is recorded shows', async () => {
    const { w, state } = watch(1000);
    state.small = false;
    assert.equal(await w.metrics('/srv/replica'), null);
    await w.settled();
    w.record('/srv/replica', status(1), new Date(Date.now() - 10_000));
    w.invalidate();
    assert.equal((await w.metrics('/srv/replica'))?.items[0]?.behind, 1, 'old and out of date, still shown');
    await w.settled();
    assert.equal(state.computed, 0);
  });

  it('shows nothing without a replica or for another one, and reports a failed refresh', async () => {
    const { w, state, errors } = watch();
    assert.equal(await w.metrics(undefined), null);
    w.record('/srv/replica', status(2));
    state.fail = true;
    assert.equal(await w.metrics('/srv/elsewhere'), null);
    await w.settled();
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /replica down/);
  });
});
