/** catalog.rollbacks on SQLite and PostgreSQL: runs, per-item state, resume look-ups. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openCatalog, type RollbackItemRecord } from '../src/catalog/index.js';
import { catalogTargets } from '../src/catalog/test-support.js';
import { isCairnError } from '../src/errors/index.js';

const T = '2026-11-02T10:00:00.000Z';

function item(fields: Partial<RollbackItemRecord> & { item: string; position: number }): RollbackItemRecord {
  return {
    rollback: 'R-1',
    snapshotId: 'a'.repeat(64),
    target: 'directory /srv/app',
    state: 'pending',
    error: null,
    updatedAt: T,
    ...fields,
  };
}

describe('catalog.rollbacks', () => {
  for (const target of catalogTargets) {
    it(`records runs and item states, resumable, on ${target.dialect}`, async () => {
      const { options, remove } = await target.fresh();
      const catalog = await openCatalog(options);
      try {
        const rb = catalog.rollbacks;
        assert.equal(await rb.latestFor('D-1'), undefined);
        assert.equal(await rb.get('R-1'), undefined);
        const base = { deployment: 'D-1', finishedAt: null, actor: 'ci', dryRun: false, error: null } as const;
        await rb.create({ ...base, id: 'R-1', status: 'running', startedAt: T });
        await assert.rejects(rb.create({ ...base, id: 'R-1', status: 'running', startedAt: T }), (e) =>
          isCairnError(e, 'CAIRN_E_EXISTS'),
        );
        // Inserted out of order: read back in the rollback's order.
        await rb.setItem(item({ item: 'flags', position: 2, target: 'http PUT http://flags/import' }));
        await rb.setItem(item({ item: 'app', position: 1 }));
        await rb.setItem(item({ item: 'conf', position: 0, snapshotId: null, target: '' }));
        await rb.setItem(item({ item: 'app', position: 1, state: 'verified', updatedAt: '2026-11-02T10:00:05Z' }));
        await rb.setItem(
          item({
            item: 'flags',
            position: 2,
            state: 'failed',
            error: { code: 'CAIRN_E_TARGET', message: 'http PUT … answered 500' },
          }),
        );
        const run = await rb.get('R-1');
        assert.ok(run);
        assert.equal(run.status, 'running');
        assert.equal(run.dryRun, false);
        assert.deepEqual(
          run.items.map((i) => [i.item, i.position, i.state]),
          [
            ['conf', 0, 'pending'],
            ['app', 1, 'verified'],
            ['flags', 2, 'failed'],
          ],
        );
        assert.equal(run.items[0]!.snapshotId, null);
        assert.equal(run.items[1]!.updatedAt, '2026-11-02T10:00:05.000Z');
        assert.deepEqual(run.items[2]!.error, { code: 'CAIRN_E_TARGET', message: 'http PUT … answered 500' });

        // A later run of the same deployment is the latest; another deployment's is not.
        await rb.create({ ...base, id: 'R-2', status: 'planned', startedAt: '2026-11-02T11:00:00.000Z', dryRun: true });
        await rb.create({
          ...base,
          id: 'R-3',
          deployment: 'D-2',
          status: 'running',
          startedAt: '2026-11-03T00:00:00Z',
        });
        assert.equal((await rb.latestFor('D-1'))?.id, 'R-2');
        assert.equal((await rb.latestFor('D-1'))?.dryRun, true);
        assert.deepEqual((await rb.latestFor('D-1'))?.items, []);
        assert.equal((await rb.latestFor('D-2'))?.startedAt, '2026-11-03T00:00:00.000Z');

        await rb.setStatus('R-1', 'failed', { finishedAt: '2026-11-02T10:01:00Z', error: 'flags: answered 500' });
        const done = await rb.get('R-1');
        assert.equal(done?.status, 'failed');
        assert.equal(done?.finishedAt, '2026-11-02T10:01:00.000Z');
        assert.equal(done?.error, 'flags: answered 500');
        await rb.setStatus('R-1', 'completed', { error: null });
        assert.equal((await rb.get('R-1'))?.error, null);
        assert.equal((await rb.get('R-1'))?.finishedAt, '2026-11-02T10:01:00.000Z');
        await assert.rejects(rb.setStatus('R-9', 'completed'), (e) => isCairnError(e, 'CAIRN_E_NOT_FOUND'));
        await assert.rejects(rb.create({ ...base, id: 'R-4', status: 'running', startedAt: 'yesterday' }), (e) =>
          isCairnError(e, 'CAIRN_E_CATALOG'),
        );
      } finally {
        await catalog.close();
        await remove();
      }
    });
  }

  for (const target of catalogTargets) {
    it(`leases a run to one holder at a time (compare-and-set) on ${target.dialect}`, async () => {
      const { options, remove } = await target.fresh();
      const catalog = await openCatalog(options);
      try {
        const rb = catalog.rollbacks;
        const base = { deployment: 'D-1', finishedAt: null, actor: 'ci', dryRun: false, error: null } as const;
        await rb.create({ ...base, id: 'R-1', status: 'running', startedAt: T });
        const at = (min: number) => new Date(Date.parse(T) + min * 60_000).toISOString();
        // Two claims at once: exactly one wins.
        const both = await Promise.all([rb.claim('R-1', 'h 1 a', at(10), T), rb.claim('R-1', 'h 2 b', at(10), T)]);
        assert.equal(both.filter((c) => c.claimed).length, 1);
        const winner = both[0]!.claimed ? 'h 1 a' : 'h 2 b';
        const loser = winner === 'h 1 a' ? 'h 2 b' : 'h 1 a';
        assert.deepEqual(await rb.claim('R-1', loser, at(10), at(1)), {
          claimed: false,
          holder: winner,
          until: at(10),
        });
        assert.equal((await rb.get('R-1'))?.leaseHolder, winner);
        // The holder renews; a stranger cannot.
        assert.equal(await rb.renew('R-1', winner, at(20)), true);
        assert.equal(await rb.renew('R-1', loser, at(30)), false);
        assert.equal((await rb.claim('R-1', loser, at(10), at(15))).claimed, false);
        // A dead holder can be taken over by name; an expired lease by anyone.
        assert.equal((await rb.claim('R-1', loser, at(40), at(15), winner)).claimed, true);
        assert.equal((await rb.claim('R-1', 'h 3 c', at(60), at(41))).claimed, true);
        await rb.release('R-1', loser); // not the holder: nothing
        assert.equal((await rb.get('R-1'))?.leaseHolder, 'h 3 c');
        await rb.release('R-1', 'h 3 c');
        assert.equal((await rb.get('R-1'))?.leaseUntil, null);
        assert.equal((await rb.claim('R-1', 'h 4 d', at(70), at(42))).claimed, true);
        await assert.rejects(rb.claim('R-9', 'x', at(1), T), (e) => isCairnError(e, 'CAIRN_E_NOT_FOUND'));
      } finally {
        await catalog.close();
        await remove();
      }
    });
  }
});
